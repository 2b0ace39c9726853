//! Table definitions, written by hand in types both backends share (`diesel print-schema` would
//! give a different file per backend).

diesel::table! {
    employees (id) {
        id -> BigInt,
        first_name -> Text,
        last_name -> Text,
        personal_identity_number -> Nullable<Text>,
        private_email -> Nullable<Text>,
        work_email -> Nullable<Text>,
        private_email_key -> Nullable<Text>,
        work_email_key -> Nullable<Text>,
        private_phone -> Nullable<Text>,
        employee_number -> Nullable<Text>,
        street -> Nullable<Text>,
        zip_code -> Nullable<Text>,
        city -> Nullable<Text>,
        country_code -> Nullable<Text>,
        tax_table -> Nullable<Integer>,
        tax_column -> Nullable<Integer>,
        clearing_number -> Nullable<Text>,
        bank_account_number -> Nullable<Text>,
        start_date -> Nullable<Date>,
        end_date -> Nullable<Date>,
        monthly_salary -> Nullable<BigInt>,
        sort_key -> Text,
        search_text -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    kleer_connections (id) {
        id -> BigInt,
        label -> Text,
        base_url -> Text,
        company_id -> Text,
        token -> Text,
        use_work_email -> Bool,
        is_demo -> Bool,
        mirror_refreshed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    links (connection_id, employee_id) {
        connection_id -> BigInt,
        employee_id -> BigInt,
        kleer_user_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    kleer_employees (connection_id, kleer_user_id) {
        connection_id -> BigInt,
        kleer_user_id -> BigInt,
        foreign_id -> Nullable<Text>,
        name -> Text,
        email -> Nullable<Text>,
        email_key -> Nullable<Text>,
        active -> Bool,
        personal_identity_number -> Nullable<Text>,
        phone -> Nullable<Text>,
        street -> Nullable<Text>,
        zip_code -> Nullable<Text>,
        city -> Nullable<Text>,
        country_code -> Nullable<Text>,
        tax_table -> Nullable<Integer>,
        tax_column -> Nullable<Integer>,
        clearing_number -> Nullable<Text>,
        bank_account_number -> Nullable<Text>,
        start_date -> Nullable<Date>,
        end_date -> Nullable<Date>,
        monthly_salary -> Nullable<BigInt>,
        sort_key -> Text,
        search_text -> Text,
        fetched_at -> Timestamp,
    }
}

diesel::table! {
    import_decisions (connection_id, kleer_user_id) {
        connection_id -> BigInt,
        kleer_user_id -> BigInt,
        action -> Text,
        employee_id -> Nullable<BigInt>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sync_runs (id) {
        id -> BigInt,
        connection_id -> Nullable<BigInt>,
        kind -> Text,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        succeeded -> Integer,
        skipped -> Integer,
        failed -> Integer,
    }
}

diesel::table! {
    sync_run_rows (id) {
        id -> BigInt,
        run_id -> BigInt,
        position -> Integer,
        subject_id -> Text,
        employee_id -> Nullable<BigInt>,
        kleer_user_id -> Nullable<BigInt>,
        action -> Nullable<Text>,
        outcome -> Text,
        code -> Nullable<Text>,
        message -> Nullable<Text>,
        changes -> Text,
    }
}

diesel::table! {
    export_claims (connection_id, employee_id) {
        connection_id -> BigInt,
        employee_id -> BigInt,
        owner -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        name -> Text,
        role -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(links -> employees (employee_id));
diesel::joinable!(links -> kleer_connections (connection_id));
diesel::joinable!(sync_run_rows -> sync_runs (run_id));

diesel::allow_tables_to_appear_in_same_query!(
    employees,
    kleer_connections,
    links,
    kleer_employees,
    import_decisions,
    sync_runs,
    sync_run_rows,
    export_claims,
    api_tokens,
);
