DROP TABLE export_claims;
DROP TABLE sync_run_rows;
DROP TABLE sync_runs;
DROP TABLE import_decisions;
DROP TABLE kleer_employees;
DROP TABLE links;
DROP TABLE kleer_connections;
DROP TABLE employees;
