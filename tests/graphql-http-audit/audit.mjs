// Runs the GraphQL-over-HTTP audit suite of graphql-http (the spec's own) against a running
// server: `node audit.mjs http://127.0.0.1:8080/graphql`. Prints every audit; exits non-zero
// when a MUST or a SHOULD fails. A failed MAY is printed but allowed: the spec leaves it open.
import { auditServer } from 'graphql-http';

const url = process.argv[2] ?? process.env.GRAPHQL_URL;
if (!url) {
  console.error('usage: node audit.mjs URL (or set GRAPHQL_URL)');
  process.exit(2);
}

const results = await auditServer({ url });
const counts = {};
let failedRequired = 0;
for (const result of results) {
  const level = result.name.split(' ')[0];
  const tally = (counts[level] ??= { passed: 0, failed: 0 });
  if (result.status === 'ok') {
    tally.passed += 1;
    console.log(`ok   ${result.id} ${result.name}`);
  } else {
    tally.failed += 1;
    if (level !== 'MAY') failedRequired += 1;
    let body = '';
    try {
      body = await result.response.text();
    } catch {
      // The body was read by the audit already.
    }
    console.log(`FAIL ${result.id} ${result.name}\n     ${result.reason}${body ? `\n     body: ${body.slice(0, 300)}` : ''}`);
  }
}

for (const level of ['MUST', 'SHOULD', 'MAY']) {
  const { passed, failed } = counts[level] ?? { passed: 0, failed: 0 };
  console.log(`${level}: ${passed} passed, ${failed} failed`);
}
const passed = results.filter((r) => r.status === 'ok').length;
console.log(`audit: ${passed} passed, ${results.length - passed} failed`);
process.exit(failedRequired > 0 ? 1 : 0);
