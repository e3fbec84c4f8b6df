//! The checked-in SDL is the API contract; it must match the code.

#[test]
fn the_checked_in_schema_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let sdl = pos::graphql::sdl();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &sdl).unwrap();
    }
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        checked_in == sdl,
        "schema.graphql is stale: run `cargo run -- print-schema > schema.graphql` and review the diff"
    );
}

#[test]
fn the_schema_snapshot_is_reviewed() {
    insta::assert_snapshot!("schema", pos::graphql::sdl());
}
