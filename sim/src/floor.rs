//! The end of a run, beside the ledger: each store's stock levels (listed,
//! and pulled as terminals pull them) against what its tills did
//! (deliveries, sales, restocked refunds, voids, counts), and
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
const COUNTS: &str = "query Counts($l: ID!, $after: String) { stockMovements(locationId: $l, kind: COUNT, first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { quantity variant { id } } } }";
const FEED: &str = "query Feed($l: ID!, $since: String) { stockChanges(locationId: $l, since: $since, first: 500) { cursor hasMore levels { onHand variant { id } } } }";
const SHIFTS: &str = "query Shifts($t: ID!) { shifts(terminalId: $t) { nodes { id status expected counted overShort } } }";

type Levels = BTreeMap<String, i64>;

/// Every store's levels equal the sum of what its tills' acknowledged
/// events moved, as `stockLevels` lists them and as the stock feed a
/// terminal pulls gives them. A count moves what it finds less what was
/// there when it was applied, which the tills cannot know: those moves are
/// read from the server, and there must be one per acknowledged count.
pub async fn stock(
    client: &Client,
    owner: &str,
    tills: &[Till],
    v: &mut Verdict,
) -> Result<(), CallError> {
    let mut stores: BTreeMap<String, (Levels, usize)> = BTreeMap::new();
    for till in tills {
        let (levels, counts) = stores.entry(till.location.clone()).or_default();
        for logged in till.log.iter().filter(|l| l.ack.is_some()) {
            *counts += usize::from(logged.kind() == "STOCK_COUNT");
            for (variant, milli) in &logged.stock {
                *levels.entry(variant.clone()).or_default() += milli;
            }
        }
    }
    for (store, (mut expected, counts)) in stores {
        let found = counted(client, owner, &store, &mut expected).await?;
        if found != counts {
            v.differences.push(format!(
                "store {store}: {found} count movements, the tills had {counts} counts acknowledged"
            ));
        }
        let listed = pages(client, owner, LEVELS, &store).await?;
        compare(v, &store, "stockLevels", &expected, listed);
        let pulled = feed(client, owner, &store).await?;
        compare(v, &store, "stockChanges", &expected, pulled);
    }
    Ok(())
}

/// Adds the store's COUNT movements to `levels`; how many there are.
async fn counted(
    client: &Client,
    owner: &str,
    store: &str,
    levels: &mut Levels,
) -> Result<usize, CallError> {
    let moves = pages(client, owner, COUNTS, store).await?;
    let n = moves.len();
    for (variant, milli) in moves {
        *levels.entry(variant).or_default() += milli;
    }
    Ok(n)
}

/// Every node of a paged list at a store: (variant, quantity).
async fn pages(
    client: &Client,
    owner: &str,
    query: &str,
    store: &str,
) -> Result<Vec<(String, i64)>, CallError> {
    let mut out = Vec::new();
    let mut after = serde_json::Value::Null;
    loop {
        let data = client
            .call_retrying(
                owner,
                query,
                json!({ "l": store, "after": after }),
                PATIENCE,
            )
            .await?;
        let page = data
            .as_object()
            .and_then(|o| o.values().next())
            .cloned()
            .unwrap_or_default();
        for node in page["nodes"].as_array().into_iter().flatten() {
            let quantity = node["onHand"].as_str().or(node["quantity"].as_str());
            out.push((
                node["variant"]["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                quantity.and_then(parse_milli).unwrap_or(i64::MIN),
            ));
        }
        if page["pageInfo"]["hasNextPage"] != true {
            return Ok(out);
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

/// The store's levels as a terminal pulls them: the feed from no cursor
/// to its end, a later page's level replacing an earlier one's.
async fn feed(client: &Client, owner: &str, store: &str) -> Result<Vec<(String, i64)>, CallError> {
    let mut levels = Levels::new();
    let mut since = serde_json::Value::Null;
    loop {
        let data = client
            .call_retrying(owner, FEED, json!({ "l": store, "since": since }), PATIENCE)
            .await?;
        let page = &data["stockChanges"];
        for level in page["levels"].as_array().into_iter().flatten() {
            let on_hand = level["onHand"].as_str().and_then(parse_milli);
            let variant = level["variant"]["id"].as_str().unwrap_or_default();
            levels.insert(variant.to_owned(), on_hand.unwrap_or(i64::MIN));
        }
        if page["hasMore"] != true {
            return Ok(levels.into_iter().collect());
        }
        since = page["cursor"].clone();
    }
}

/// Each listed level against what the tills moved; a level moved but not
/// listed is a difference too.
fn compare(
    v: &mut Verdict,
    store: &str,
    source: &str,
    expected: &Levels,
    found: Vec<(String, i64)>,
) {
    let mut left = expected.clone();
    for (variant, on_hand) in found {
        let want = left.remove(&variant).unwrap_or(0);
        v.stock_levels += 1;
        if on_hand != want {
            v.differences.push(format!(
                "store {store}: {source} has {on_hand} of variant {variant} on hand, the tills moved {want}"
            ));
        }
    }
    for (variant, milli) in left.into_iter().filter(|(_, m)| *m != 0) {
        v.differences.push(format!(
            "store {store}: the tills moved {milli} of {variant}, {source} lists no level"
        ));
    }
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
