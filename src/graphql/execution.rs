//! Running one request: the document is parsed ahead of execution (so the HTTP layer knows the
//! operation's type before anything runs), request errors (the request never ran: no `data`)
//! are told apart from execution errors, and the time limit is kept without cutting a mutation
//! in half. What the outcome means in HTTP terms is the HTTP layer's business.

use super::errors::{self, Phase, Refusal};
use super::{AppSchema, Limits};
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextValidation,
};
use async_graphql::parser::types::{
    Directive, DocumentOperations, ExecutableDocument, OperationDefinition, OperationType,
    Selection, SelectionSet,
};
use async_graphql::{Name, Pos, Positioned, Request, Response, ServerError, ValidationResult};
use async_graphql_value::{ConstValue, Value};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A request whose document parsed and names one operation.
pub struct Prepared {
    request: Request,
    operation: OperationType,
}

impl Prepared {
    pub fn is_mutation(&self) -> bool {
        self.operation == OperationType::Mutation
    }
}

/// What came of a request.
pub enum Outcome {
    /// The operation ran: the response has `data` (perhaps null) and field errors, if any.
    Executed(Response),
    /// The request never ran (a GraphQL request error): the answer has no `data`.
    RequestError(Vec<ServerError>),
    /// Not done within the time limit. A query was stopped; a mutation was left to finish (see
    /// `execute`).
    TimedOut { mutation: bool },
    /// The execution panicked; nothing more is known.
    Failed,
}

/// Parses the document and picks its operation, so nothing runs before the caller has seen
/// the operation's type.
pub fn prepare(mut request: Request, limits: &Limits) -> Result<Prepared, Vec<ServerError>> {
    if let Some(pos) = nesting_beyond(&request.query, limits.max_nesting) {
        let mut error = Refusal::TooDeep.error(format!(
            "brackets are nested more than {} deep",
            limits.max_nesting
        ));
        error.locations = vec![pos];
        return Err(vec![error]);
    }
    let operation_name = request.operation_name.clone();
    let document = request.parsed_query().map_err(|mut error| {
        errors::label(std::slice::from_mut(&mut error), Phase::Parse);
        vec![error]
    })?;
    let chosen = match (&document.operations, operation_name.as_deref()) {
        (DocumentOperations::Single(op), None) => Some(op),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next(),
        (DocumentOperations::Multiple(_), None) => {
            return Err(vec![Refusal::OperationResolutionFailed.error(
                "the document has several operations: name one in operationName",
            )]);
        }
        (DocumentOperations::Single(_), Some(_)) => None,
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
    };
    let Some(chosen) = chosen else {
        return Err(vec![Refusal::OperationResolutionFailed.error(format!(
            "the document has no operation named {:?}",
            operation_name.unwrap_or_default()
        ))]);
    };
    let operation = chosen.node.ty;
    let required: Vec<(String, Pos)> = chosen
        .node
        .variable_definitions
        .iter()
        .filter(|d| !d.node.var_type.node.nullable && d.node.default_value.is_none())
        .map(|d| (d.node.name.node.to_string(), d.pos))
        .collect();
    let nul_in_document = nul_in_document(document);
    if nul_in_document.is_some() || request.variables.values().any(const_has_nul) {
        // PostgreSQL cannot store U+0000 in text, and no field of ours has a use for it:
        // refused whole, before a resolver could carry it to the database.
        let mut error =
            Refusal::BadUserInput.error("text must not contain the NUL character (U+0000)");
        error.locations = nul_in_document.into_iter().collect();
        return Err(vec![error]);
    }
    // async-graphql validates the values given, but a required variable left out (or null)
    // only fails once a resolver reads it, as a field error: it is a request error.
    let missing: Vec<ServerError> = required
        .into_iter()
        .filter(|(name, _)| {
            request
                .variables
                .get(name.as_str())
                .is_none_or(|value| *value == async_graphql::Value::Null)
        })
        .map(|(name, pos)| {
            let mut error = Refusal::ValidationFailed.error(format!(
                "variable ${name} is required and was not given a value"
            ));
            error.locations = vec![pos];
            error
        })
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    if operation == OperationType::Subscription {
        return Err(vec![
            Refusal::ValidationFailed.error("this API has no subscriptions"),
        ]);
    }
    Ok(Prepared { request, operation })
}

/// Runs a prepared request within `Limits::request_timeout`.
///
/// It runs in a task of its own, so that neither the time limit nor a client that hangs up
/// cancels a mutation half way: the sync rules keep each row whole, but a batch cut off
/// between rows would leave the client with no answer and the run unfinished. A mutation past
/// the limit finishes in the background (its sync run records the outcome); a query is
/// stopped, as it changes nothing.
pub async fn execute(schema: &AppSchema, prepared: Prepared, limits: &Limits) -> Outcome {
    let mutation = prepared.is_mutation();
    let probe = Arc::new(Probe::default());
    let request = prepared.request.data(probe.clone());
    let schema = schema.clone();
    let mut task = tokio::spawn(async move { schema.execute(request).await });
    let _stop_query = (!mutation).then(|| AbortOnDrop(task.abort_handle()));

    match tokio::time::timeout(limits.request_timeout, &mut task).await {
        Err(_) => {
            tracing::warn!(
                mutation,
                limit = ?limits.request_timeout,
                "request timed out"
            );
            Outcome::TimedOut { mutation }
        }
        Ok(Err(failure)) => {
            tracing::error!(error = %failure, "request execution failed");
            Outcome::Failed
        }
        Ok(Ok(mut response)) => {
            if probe.executed.load(Ordering::SeqCst) {
                errors::label(&mut response.errors, Phase::Execution);
                Outcome::Executed(response)
            } else {
                let phase = if probe.validated.load(Ordering::SeqCst) {
                    Phase::Validation
                } else {
                    Phase::Parse
                };
                errors::label(&mut response.errors, phase);
                Outcome::RequestError(response.errors)
            }
        }
    }
}

/// Where a string in the document's arguments or default values holds U+0000, if anywhere.
fn nul_in_document(document: &ExecutableDocument) -> Option<Pos> {
    let operations: Vec<&OperationDefinition> = match &document.operations {
        DocumentOperations::Single(op) => vec![&op.node],
        DocumentOperations::Multiple(ops) => ops.values().map(|op| &op.node).collect(),
    };
    operations
        .into_iter()
        .find_map(|op| {
            op.variable_definitions
                .iter()
                .filter_map(|d| d.node.default_value.as_ref())
                .find(|v| const_has_nul(&v.node))
                .map(|v| v.pos)
                .or_else(|| nul_in_directives(&op.directives))
                .or_else(|| nul_in_selections(&op.selection_set.node))
        })
        .or_else(|| {
            document.fragments.values().find_map(|f| {
                nul_in_directives(&f.node.directives)
                    .or_else(|| nul_in_selections(&f.node.selection_set.node))
            })
        })
}

fn nul_in_selections(set: &SelectionSet) -> Option<Pos> {
    set.items.iter().find_map(|item| match &item.node {
        Selection::Field(field) => nul_in_arguments(&field.node.arguments)
            .or_else(|| nul_in_directives(&field.node.directives))
            .or_else(|| nul_in_selections(&field.node.selection_set.node)),
        Selection::FragmentSpread(spread) => nul_in_directives(&spread.node.directives),
        Selection::InlineFragment(inline) => nul_in_directives(&inline.node.directives)
            .or_else(|| nul_in_selections(&inline.node.selection_set.node)),
    })
}

fn nul_in_directives(directives: &[Positioned<Directive>]) -> Option<Pos> {
    directives
        .iter()
        .find_map(|d| nul_in_arguments(&d.node.arguments))
}

fn nul_in_arguments(arguments: &[(Positioned<Name>, Positioned<Value>)]) -> Option<Pos> {
    arguments
        .iter()
        .find(|(_, value)| has_nul(&value.node))
        .map(|(_, value)| value.pos)
}

fn has_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::List(items) => items.iter().any(has_nul),
        Value::Object(fields) => fields.values().any(has_nul),
        _ => false,
    }
}

fn const_has_nul(value: &ConstValue) -> bool {
    match value {
        ConstValue::String(s) => s.contains('\0'),
        ConstValue::List(items) => items.iter().any(const_has_nul),
        ConstValue::Object(fields) => fields.values().any(const_has_nul),
        _ => false,
    }
}

struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Where a request got to: async-graphql answers a failed parse, a failed validation and a
/// failed execution alike (errors, `data` null), and only its extension hooks see the phases.
#[derive(Default)]
struct Probe {
    /// Validation was reached (so a failure after it is not a syntax error).
    validated: AtomicBool,
    /// Execution began: the response's `data` is real.
    executed: AtomicBool,
}

/// Installed on the schema; reports to the `Probe` in the request's data, if there is one.
pub(super) struct PhaseProbe;

impl ExtensionFactory for PhaseProbe {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(PhaseProbe)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for PhaseProbe {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        if let Some(probe) = ctx.data_opt::<Arc<Probe>>() {
            probe.validated.store(true, Ordering::SeqCst);
        }
        next.run(ctx).await
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        if let Some(probe) = ctx.data_opt::<Arc<Probe>>() {
            probe.executed.store(true, Ordering::SeqCst);
        }
        next.run(ctx, operation_name).await
    }
}

/// Where brackets (`{`, `[`, `(`) first nest deeper than `limit`, outside strings and comments.
///
/// The parser's own guard against deep nesting answers with a syntax error quoting the whole
/// line (a megabyte of `[` comes back as a megabyte of message, coded as a parse failure);
/// this cheap scan refuses such a document first, with the limit's code.
fn nesting_beyond(query: &str, limit: usize) -> Option<Pos> {
    let mut depth = 0usize;
    let (mut line, mut column) = (1, 0);
    let mut chars = query.chars().peekable();
    while let Some(c) = chars.next() {
        column += 1;
        match c {
            '\n' => (line, column) = (line + 1, 0),
            '#' => while chars.next_if(|&c| c != '\n').is_some() {},
            '"' => {
                let block = chars.next_if_eq(&'"').is_some();
                if block && chars.next_if_eq(&'"').is_none() {
                    // `""`: an empty string.
                    continue;
                }
                skip_string(&mut chars, block, &mut line, &mut column);
            }
            '{' | '[' | '(' => {
                depth += 1;
                if depth > limit {
                    return Some(Pos { line, column });
                }
            }
            '}' | ']' | ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// Skips to the end of a string (`"…"`) or block string (`"""…"""`) whose opening quotes were
/// read; an unterminated one runs to the end, which the parser then refuses.
fn skip_string(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    block: bool,
    line: &mut usize,
    column: &mut usize,
) {
    let mut quotes = 0;
    while let Some(c) = chars.next() {
        *column += 1;
        match c {
            '\\' if block => {
                // `\"""` is the one escape of a block string.
                quotes = 0;
                for _ in 0..3 {
                    chars.next_if_eq(&'"');
                }
            }
            '\\' => {
                chars.next();
            }
            '"' if !block => return,
            '"' => {
                quotes += 1;
                if quotes == 3 {
                    return;
                }
            }
            '\n' => {
                (*line, *column) = (*line + 1, 0);
                quotes = 0;
            }
            _ => quotes = 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_counts_brackets_outside_strings_and_comments() {
        assert_eq!(nesting_beyond("{ a { b } }", 2), None);
        assert_eq!(
            nesting_beyond("{ a { b { c } } }", 2),
            Some(Pos { line: 1, column: 9 })
        );
        assert_eq!(nesting_beyond(r#"{ a(s: "{{{{\"{{") }"#, 2), None);
        assert_eq!(
            nesting_beyond("{ a(s: \"\"\"{{{\\\"\"\"{{\"\"\") }", 2),
            None
        );
        assert_eq!(nesting_beyond("# {{{{\n{ a }", 1), None);
        assert_eq!(nesting_beyond(r#"{ a(s: "") { b } }"#, 2), None);
        assert_eq!(
            nesting_beyond("{\n a(x: [[[1]]]) }", 3),
            Some(Pos { line: 2, column: 8 })
        );
    }

    #[test]
    fn a_million_braces_are_refused_before_the_parser_sees_them() {
        let limits = Limits::default();
        let deep = "{".repeat(1_000_000);
        let refused = prepare(Request::new(deep), &limits).err().unwrap();
        assert_eq!(errors::code_of(&refused[0]), Some("QUERY_TOO_DEEP"));
    }

    #[test]
    fn the_operation_is_known_before_execution() {
        let limits = Limits::default();
        let prepared = prepare(Request::new("mutation M { a } query Q { b }"), &limits);
        assert!(
            matches!(prepared, Err(ref e) if errors::code_of(&e[0]) == Some("OPERATION_RESOLUTION_FAILURE"))
        );
        let named = Request::new("mutation M { a } query Q { b }").operation_name("M");
        assert!(prepare(named, &limits).unwrap().is_mutation());
        assert!(
            !prepare(Request::new("{ a }"), &limits)
                .unwrap()
                .is_mutation()
        );
        let unknown = Request::new("{ a }").operation_name("Q");
        assert!(prepare(unknown, &limits).is_err());
        let unset =
            Request::new("query($id: ID!, $n: Int, $d: Int! = 1) { a(id: $id, n: $n, d: $d) }");
        let refused = prepare(unset, &limits).err().unwrap();
        assert_eq!(refused.len(), 1);
        assert_eq!(
            errors::code_of(&refused[0]),
            Some("GRAPHQL_VALIDATION_FAILED")
        );
        let nul = Request::new(r#"query($x: String = "ok") { a(s: "a\u0000b") }"#);
        let refused = prepare(nul, &limits).err().unwrap();
        assert_eq!(errors::code_of(&refused[0]), Some("BAD_USER_INPUT"));
        let nul = Request::new("query($x: String) { a(s: $x) }").variables(
            async_graphql::Variables::from_json(serde_json::json!({ "x": ["a\u{0}"] })),
        );
        assert!(prepare(nul, &limits).is_err());
        let syntax = prepare(Request::new("{"), &limits).err().unwrap();
        assert_eq!(errors::code_of(&syntax[0]), Some("GRAPHQL_PARSE_FAILED"));
    }
}
