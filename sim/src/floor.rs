//! The end of a run, beside the ledger: each store's stock levels against
//! what its tills did (deliveries, sales, restocked refunds, voids), and
//! each till's closed shift against its own count of the drawer.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;

use crate::client::{CallError, Client};
use crate::money::parse_milli;
use crate::till::Till;
use crate::verify::Verdict;

const PATIENCE: Duration = Duration::from_secs(60);

const LEVELS: &str = "query Levels($l: ID!, $after: String) { stockLevels(locationId: $l, first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { onHand variant { id } } } }";
const SHIFTS: &str = "query Shifts($t: ID!) { shifts(terminalId: $t) { nodes { id status expected counted overShort } } }";

/// Every store's levels equal the sum of what its tills' acknowledged
/// events moved.
pub async fn stock(
    client: &Client,
    owner: &str,
    tills: &[Till],
    v: &mut Verdict,
) -> Result<(), CallError> {
    let mut expected: BTreeMap<(String, String), i64> = BTreeMap::new();
    for till in tills {
        for logged in till.log.iter().filter(|l| l.ack.is_some()) {
            for (variant, milli) in &logged.stock {
                *expected
                    .entry((till.location.clone(), variant.clone()))
                    .or_default() += milli;
            }
        }
    }
    let mut stores: Vec<&str> = tills.iter().map(|t| t.location.as_str()).collect();
    stores.sort();
    stores.dedup();
    for store in stores {
        let mut after = serde_json::Value::Null;
        loop {
            let data = client
                .call_retrying(
                    owner,
                    LEVELS,
                    json!({ "l": store, "after": after }),
                    PATIENCE,
                )
                .await?;
            let page = &data["stockLevels"];
            for node in page["nodes"].as_array().into_iter().flatten() {
                let variant = node["variant"]["id"].as_str().unwrap_or_default();
                let found = node["onHand"].as_str().and_then(parse_milli);
                let key = (store.to_owned(), variant.to_owned());
                let want = expected.remove(&key).unwrap_or(0);
                v.stock_levels += 1;
                if found != Some(want) {
                    v.differences.push(format!(
                        "store {store}: variant {variant} has {} on hand, the tills moved {want}",
                        node["onHand"]
                    ));
                }
            }
            if page["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = page["pageInfo"]["endCursor"].clone();
        }
    }
    for ((store, variant), milli) in expected.into_iter().filter(|(_, m)| *m != 0) {
        v.differences.push(format!(
            "store {store}: the tills moved {milli} of {variant}, the server lists no level"
        ));
    }
    Ok(())
}

/// Each till's shift is closed, with the cash it expected, the count it
/// made and their difference.
pub async fn shifts(
    client: &Client,
    owner: &str,
    tills: &[Till],
    v: &mut Verdict,
) -> Result<(), CallError> {
    for till in tills {
        let data = client
            .call_retrying(owner, SHIFTS, json!({ "t": till.id }), PATIENCE)
            .await?;
        let d = &till.drawer;
        let want = json!([{ "id": d.shift, "status": "CLOSED",
            "expected": d.expected.to_string(), "counted": d.counted.to_string(),
            "overShort": (d.counted - d.expected).to_string() }]);
        v.shifts += 1;
        if data["shifts"]["nodes"] != want {
            v.differences.push(format!(
                "terminal {}: shifts {}, the till counted {want}",
                till.id, data["shifts"]["nodes"]
            ));
        }
    }
    Ok(())
}
