//! `schema.graphql` is the contract clients read; it must be exactly what the server serves.

#[test]
fn schema_graphql_is_the_served_schema() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert!(
        committed == kleer_sync::graphql::sdl(),
        "schema.graphql is out of date: run `cargo run -- schema > schema.graphql` and commit it"
    );
}
