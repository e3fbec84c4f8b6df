//! The cross-tenant probe suite, generated from the schema.
//!
//! It lists every Query, Mutation and Subscription field by introspection
//! and calls each with tenant A's tokens (owner, manager, cashier, device),
//! putting tenant B's ids, barcodes, SKUs, codes, names and receipt
//! numbers, and B's tenant id, into every place an argument can carry one
//! (see `values`). For every place it also sends a value nobody has, and
//! requires:
//!
//! - no byte of B's data in any response;
//! - the answer for B's value equal to the answer for the missing one,
//!   once each value is blanked out (errors in full; data by shape, with
//!   codes, statuses and messages kept);
//! - B's view of every query field unchanged at the end;
//! - every place reached past input validation by at least one caller, so
//!   that a probe cannot pass by never asking.
//!
//! A field it cannot build arguments for (an `ID` it cannot place, a
//! scalar it has no value for) fails the suite until it is taught.

mod compare;
mod run;
mod schema;
mod values;
mod world;

use run::probe;

use crate::helpers::TestApp;

async fn assert_no_leaks(app: TestApp) {
    let outcome = probe(&app).await;
    assert!(
        outcome.findings.is_empty(),
        "{} finding(s) in {} probes:\n{}",
        outcome.findings.len(),
        outcome.probes,
        outcome.findings.join("\n")
    );
    // The suite really asked: every root field, every place, every caller.
    assert!(
        outcome.fields >= 60,
        "only {} fields probed",
        outcome.fields
    );
    assert!(outcome.probes >= 500, "only {} probes", outcome.probes);
}

#[tokio::test]
async fn no_field_of_the_schema_leaks_another_tenants_data() {
    assert_no_leaks(TestApp::spawn().await).await;
}

/// The proof that the suite can fail: a build with the `planted-leak`
/// feature can drop the tenant filter from product reads at run time
/// (`--planted-unscoped-table products`). Row-level security would still
/// hide the rows on PostgreSQL, so there the app connects as the table
/// owner, as a misconfigured deployment would.
#[tokio::test]
async fn a_planted_scope_less_query_is_caught() {
    let app = TestApp::spawn_unprotected(&["--planted-unscoped-table", "products"]).await;
    let outcome = probe(&app).await;
    let found = |needle: &str| outcome.findings.iter().any(|f| f.contains(needle));
    // Read through the planted query, written through it, and shown.
    for needle in [
        "OWNER product/id: B's Product answered unlike a missing one",
        "OWNER product: tenant B's `BRAVO Secret Soda` in the response",
        "B's product changed while A probed",
    ] {
        assert!(
            found(needle),
            "the planted leak was not caught as `{needle}`; findings:\n{}",
            outcome.findings.join("\n")
        );
    }
}

/// New fields cannot slip past: an `ID` argument the suite cannot place
/// is an error, which the probe reports as a finding.
#[test]
fn an_id_the_suite_cannot_place_fails_it() {
    let at = schema::Site {
        field: "frobnicate",
        parent: None,
        name: "widgetId",
    };
    let err = values::scalar("ID", &at).expect_err("an unknown id must not get a value");
    assert!(err.contains("frobnicate(widgetId)"), "{err}");
    let known = schema::Site {
        field: "archiveVariant",
        parent: None,
        name: "id",
    };
    assert_eq!(
        values::scalar("ID", &known),
        Ok(serde_json::json!("$A:Variant"))
    );
}
