CREATE TABLE employees (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    personal_identity_number TEXT UNIQUE,
    private_email TEXT,
    work_email TEXT,
    private_email_key TEXT,
    work_email_key TEXT,
    private_phone TEXT,
    employee_number TEXT,
    street TEXT,
    zip_code TEXT,
    city TEXT,
    country_code TEXT,
    tax_table INTEGER,
    tax_column INTEGER,
    clearing_number TEXT,
    bank_account_number TEXT,
    start_date TEXT,
    end_date TEXT,
    monthly_salary BIGINT,
    sort_key TEXT NOT NULL,
    search_text TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX employees_sort ON employees (sort_key, id);
CREATE INDEX employees_private_email ON employees (private_email_key);
CREATE INDEX employees_work_email ON employees (work_email_key);

CREATE TABLE kleer_connections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    label TEXT NOT NULL,
    base_url TEXT NOT NULL,
    company_id TEXT NOT NULL,
    token TEXT NOT NULL,
    use_work_email BOOLEAN NOT NULL DEFAULT 0,
    is_demo BOOLEAN NOT NULL DEFAULT 0,
    mirror_refreshed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (base_url, company_id)
);

CREATE TABLE links (
    connection_id BIGINT NOT NULL REFERENCES kleer_connections (id) ON DELETE CASCADE,
    employee_id BIGINT NOT NULL REFERENCES employees (id) ON DELETE CASCADE,
    kleer_user_id BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (connection_id, employee_id),
    UNIQUE (connection_id, kleer_user_id)
);

CREATE TABLE kleer_employees (
    connection_id BIGINT NOT NULL REFERENCES kleer_connections (id) ON DELETE CASCADE,
    kleer_user_id BIGINT NOT NULL,
    foreign_id TEXT,
    name TEXT NOT NULL,
    email TEXT,
    email_key TEXT,
    active BOOLEAN NOT NULL,
    personal_identity_number TEXT,
    phone TEXT,
    street TEXT,
    zip_code TEXT,
    city TEXT,
    country_code TEXT,
    tax_table INTEGER,
    tax_column INTEGER,
    clearing_number TEXT,
    bank_account_number TEXT,
    start_date TEXT,
    end_date TEXT,
    monthly_salary BIGINT,
    sort_key TEXT NOT NULL,
    search_text TEXT NOT NULL,
    fetched_at TIMESTAMP NOT NULL,
    PRIMARY KEY (connection_id, kleer_user_id)
);
CREATE INDEX kleer_employees_sort ON kleer_employees (connection_id, sort_key, kleer_user_id);
CREATE INDEX kleer_employees_pin ON kleer_employees (connection_id, personal_identity_number);
CREATE INDEX kleer_employees_email ON kleer_employees (connection_id, email_key);

CREATE TABLE import_decisions (
    connection_id BIGINT NOT NULL REFERENCES kleer_connections (id) ON DELETE CASCADE,
    kleer_user_id BIGINT NOT NULL,
    action TEXT NOT NULL,
    employee_id BIGINT REFERENCES employees (id) ON DELETE CASCADE,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (connection_id, kleer_user_id),
    UNIQUE (connection_id, employee_id)
);

CREATE TABLE sync_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    connection_id BIGINT REFERENCES kleer_connections (id) ON DELETE SET NULL,
    kind TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    succeeded INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE sync_run_rows (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id BIGINT NOT NULL REFERENCES sync_runs (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    subject_id TEXT NOT NULL,
    employee_id BIGINT,
    kleer_user_id BIGINT,
    action TEXT,
    outcome TEXT NOT NULL,
    code TEXT,
    message TEXT,
    changes TEXT NOT NULL
);
CREATE INDEX sync_run_rows_run ON sync_run_rows (run_id, position);

-- An export in progress holds a claim on the employee, so two requests (or two servers) never
-- create one employee in Kleer twice. A claim whose holder died expires and can be taken over.
CREATE TABLE export_claims (
    connection_id BIGINT NOT NULL REFERENCES kleer_connections (id) ON DELETE CASCADE,
    employee_id BIGINT NOT NULL REFERENCES employees (id) ON DELETE CASCADE,
    owner TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    PRIMARY KEY (connection_id, employee_id)
);

-- API tokens: only a hash is kept, so the table alone lets nobody in.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
