//! Stand-alone migration CLI (`cargo run -p migration -- up`). The server
//! binary offers the same through `pos migrate`.

#[tokio::main]
async fn main() {
    sea_orm_migration::cli::run_cli(migration::Migrator).await;
}
