//! The lookup benchmark's ceiling (BENCHMARKS.md, "productByBarcode"): a
//! bare async-graphql resolver on axum answering `productByBarcode` with
//! the same response shape as the server, from a static value. No token
//! check, no cache, no pricing: what the framework alone costs per
//! request on this machine, measured by `bench/lookup.sh` in the same run
//! as the real lookup.
//!
//!   cargo build --release --example graphql_ceiling
//!   target/release/examples/graphql_ceiling 127.0.0.1:18081

use async_graphql::{EmptyMutation, EmptySubscription, ID, Object, Schema, SimpleObject};
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::Router;
use axum::extract::State;
use axum::routing::post;

#[derive(SimpleObject)]
struct Variant {
    sku: String,
}

#[derive(SimpleObject)]
struct Money {
    amount: String,
}

#[derive(SimpleObject)]
#[graphql(name = "ScanResult")]
struct Scan {
    variant: Variant,
    unit_price: Money,
    tax: Money,
}

struct Query;

#[Object]
impl Query {
    async fn product_by_barcode(&self, barcode: String, location_id: Option<ID>) -> Option<Scan> {
        let _ = (barcode, location_id);
        Some(Scan {
            variant: Variant {
                sku: "SKU-00042".into(),
            },
            unit_price: Money {
                amount: "12.99".into(),
            },
            tax: Money {
                amount: "2.25".into(),
            },
        })
    }
}

type Ceiling = Schema<Query, EmptyMutation, EmptySubscription>;

/// The server's allocator, so the two differ only in what they run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

async fn graphql(State(schema): State<Ceiling>, request: GraphQLRequest) -> GraphQLResponse {
    schema.execute(request.into_inner()).await.into()
}

#[tokio::main]
async fn main() {
    let listen = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18081".into());
    let schema = Schema::build(Query, EmptyMutation, EmptySubscription).finish();
    let app = Router::new()
        .route("/graphql", post(graphql))
        .with_state(schema);
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .unwrap_or_else(|e| panic!("binding {listen}: {e}"));
    axum::serve(listener, app)
        .await
        .unwrap_or_else(|e| panic!("serving: {e}"));
}
