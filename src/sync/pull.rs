//! `catalogChanges`: the catalog change feed as a terminal pulls it, with
//! each changed entity's current state for the terminal's location.
//!
//! The feed lists every catalog write in version order. Each entry carries
//! the entity as it is now (or a tombstone, when it is gone, archived, or
//! does not apply at this location), so a terminal that applies the pages
//! in order, from no cursor to `hasMore: false`, holds exactly the current
//! catalog; replaying a page is harmless.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entity::enums::Status;
use entity::{
    attribute_definition, barcode, catalog_change, location, location_price, pricing_rule, product,
    tax_group, variant,
};
use sea_orm::{ColumnTrait, Condition, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::auth::Session;
use crate::catalog::barcode::ScaleFormat as ScaleLayout;
use crate::catalog::changes::current_version;
use crate::catalog::{barcodes, lookup};
use crate::error::{AppError, Result};
use crate::tenancy::{Db, TenantTx};

pub const DEFAULT_PAGE: usize = 100;
pub const MAX_PAGE: usize = 500;

/// An entity as it is now.
#[derive(Debug, Clone)]
pub enum State {
    Product(product::Model),
    Variant(variant::Model),
    Barcode(barcode::Model),
    TaxGroup(tax_group::Model),
    PricingRule(pricing_rule::Model),
    AttributeDefinition(attribute_definition::Model),
    LocationPrice(location_price::Model),
    ScaleFormat(ScaleLayout),
    /// Gone, archived, or not for this location.
    Gone,
}

#[derive(Debug, Clone)]
pub struct Item {
    pub version: i64,
    /// `PRODUCT`, `VARIANT`, `BARCODE`, `TAX_GROUP`, `PRICING_RULE`,
    /// `ATTRIBUTE_DEFINITION`, `LOCATION_PRICE` or `SCALE_FORMAT`.
    pub entity: String,
    pub id: String,
    pub state: State,
}

#[derive(Clone)]
pub struct Page {
    pub items: Vec<Item>,
    pub cursor: Option<String>,
    pub has_more: bool,
    /// The catalog version the terminal holds once it has applied this
    /// page (the tenant's current version when `has_more` is false).
    pub version: i64,
    pub location: location::Model,
}

type Position = (i64, String, String);

fn encode(p: &Position) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}\n{}\n{}", p.0, p.1, p.2))
}

fn decode(cursor: &str) -> Result<Position> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|text| {
            let mut parts = text.splitn(3, '\n');
            Some((
                parts.next()?.parse().ok()?,
                parts.next()?.to_owned(),
                parts.next()?.to_owned(),
            ))
        })
        .ok_or_else(|| AppError::bad_input("since", "since is not a cursor from catalogChanges"))
}

fn uuid_of(id: &str) -> Option<Uuid> {
    Uuid::parse_str(id).ok()
}

/// The page size a client asked for, or the default.
pub fn page_size(first: Option<i32>) -> Result<usize> {
    crate::validate::page_size(first, DEFAULT_PAGE, MAX_PAGE)
}

#[tracing::instrument(skip_all, fields(tenant = %session.tenant))]
pub async fn changes(
    session: &Session,
    db: &Db,
    location: Option<Uuid>,
    since: Option<&str>,
    first: Option<i32>,
) -> Result<Page> {
    let location_id = lookup::location_for(session, location)?;
    let first = page_size(first)?;
    let after = since.map(decode).transpose()?;
    let tx = db.read(session).await?;
    let location = tx
        .select::<location::Entity>()
        .filter(location::Column::Id.eq(location_id))
        .one(&tx)
        .await?
        .ok_or_else(crate::org::locations::not_found)?;
    let mut select = tx.select::<catalog_change::Entity>();
    if let Some((version, entity, id)) = &after {
        select = select.filter(
            Condition::any()
                .add(catalog_change::Column::Version.gt(*version))
                .add(
                    Condition::all()
                        .add(catalog_change::Column::Version.eq(*version))
                        .add(
                            Condition::any()
                                .add(catalog_change::Column::Entity.gt(entity.as_str()))
                                .add(
                                    Condition::all()
                                        .add(catalog_change::Column::Entity.eq(entity.as_str()))
                                        .add(catalog_change::Column::EntityId.gt(id.as_str())),
                                ),
                        ),
                ),
        );
    }
    let mut rows = select
        .order_by_asc(catalog_change::Column::Version)
        .order_by_asc(catalog_change::Column::Entity)
        .order_by_asc(catalog_change::Column::EntityId)
        .limit(first as u64 + 1)
        .all(&tx)
        .await?;
    let has_more = rows.len() > first;
    rows.truncate(first);
    let cursor = rows
        .last()
        .map(|r| encode(&(r.version, r.entity.clone(), r.entity_id.clone())))
        .or_else(|| since.map(str::to_owned));
    let version = match (has_more, rows.last()) {
        (true, Some(last)) => last.version,
        _ => current_version(&tx).await?,
    };
    let items = current_states(&tx, &rows, location_id).await?;
    Ok(Page {
        items,
        cursor,
        has_more,
        version,
        location,
    })
}

/// The current rows of the entities a page of changes names, one query per
/// kind.
struct Loaded {
    products: Vec<product::Model>,
    variants: Vec<variant::Model>,
    groups: Vec<tax_group::Model>,
    rules: Vec<pricing_rule::Model>,
    definitions: Vec<attribute_definition::Model>,
    codes: Vec<barcode::Model>,
    prices: Vec<location_price::Model>,
    formats: Vec<ScaleLayout>,
}

/// The current state of every entity in `rows`: loaded, then matched.
async fn current_states(
    tx: &TenantTx,
    rows: &[catalog_change::Model],
    location: Uuid,
) -> Result<Vec<Item>> {
    let loaded = Loaded::read(tx, rows, location).await?;
    Ok(rows
        .iter()
        .map(|r| Item {
            version: r.version,
            entity: r.entity.clone(),
            id: r.entity_id.clone(),
            state: if r.deleted {
                State::Gone
            } else {
                loaded.state_of(r, location).unwrap_or(State::Gone)
            },
        })
        .collect())
}

impl Loaded {
    async fn read(tx: &TenantTx, rows: &[catalog_change::Model], location: Uuid) -> Result<Self> {
        let live = |kind: &'static str| {
            rows.iter()
                .filter(move |r| r.entity == kind && !r.deleted)
                .map(|r| r.entity_id.as_str())
        };
        let ids = |kind: &'static str| live(kind).filter_map(uuid_of).collect::<Vec<Uuid>>();
        let priced = live("LOCATION_PRICE")
            .filter_map(|id| id.split_once(':').and_then(|(v, _)| uuid_of(v)));
        Ok(Self {
            products: tx
                .select::<product::Entity>()
                .filter(product::Column::Id.is_in(ids("PRODUCT")))
                .all(tx)
                .await?,
            variants: tx
                .select::<variant::Entity>()
                .filter(variant::Column::Id.is_in(ids("VARIANT")))
                .all(tx)
                .await?,
            groups: tx
                .select::<tax_group::Entity>()
                .filter(tax_group::Column::Id.is_in(ids("TAX_GROUP")))
                .all(tx)
                .await?,
            rules: tx
                .select::<pricing_rule::Entity>()
                .filter(pricing_rule::Column::Id.is_in(ids("PRICING_RULE")))
                .all(tx)
                .await?,
            definitions: tx
                .select::<attribute_definition::Entity>()
                .filter(attribute_definition::Column::Id.is_in(ids("ATTRIBUTE_DEFINITION")))
                .all(tx)
                .await?,
            codes: tx
                .select::<barcode::Entity>()
                .filter(barcode::Column::LookupKey.is_in(live("BARCODE").collect::<Vec<_>>()))
                .all(tx)
                .await?,
            prices: tx
                .select::<location_price::Entity>()
                .filter(location_price::Column::LocationId.eq(location))
                .filter(location_price::Column::VariantId.is_in(priced))
                .all(tx)
                .await?,
            formats: if rows.iter().any(|r| r.entity == "SCALE_FORMAT") {
                barcodes::scale_formats(tx).await?
            } else {
                Vec::new()
            },
        })
    }

    /// The entity's state as a terminal at `location` sees it; `None`
    /// when it is gone (archived, deleted, or another location's).
    fn state_of(&self, r: &catalog_change::Model, location: Uuid) -> Option<State> {
        let id = uuid_of(&r.entity_id);
        let active = |s: Status| s == Status::Active;
        match r.entity.as_str() {
            "PRODUCT" => self
                .products
                .iter()
                .find(|m| Some(m.id) == id && active(m.status))
                .cloned()
                .map(State::Product),
            "VARIANT" => self
                .variants
                .iter()
                .find(|m| Some(m.id) == id && active(m.status))
                .cloned()
                .map(State::Variant),
            "TAX_GROUP" => self
                .groups
                .iter()
                .find(|m| Some(m.id) == id && active(m.status))
                .cloned()
                .map(State::TaxGroup),
            // A rule for another location is, here, as good as gone.
            "PRICING_RULE" => self
                .rules
                .iter()
                .find(|m| {
                    Some(m.id) == id
                        && active(m.status)
                        && m.location_id.is_none_or(|l| l == location)
                })
                .cloned()
                .map(State::PricingRule),
            "ATTRIBUTE_DEFINITION" => self
                .definitions
                .iter()
                .find(|m| Some(m.id) == id && active(m.status))
                .cloned()
                .map(State::AttributeDefinition),
            "BARCODE" => self
                .codes
                .iter()
                .find(|m| m.lookup_key == r.entity_id)
                .cloned()
                .map(State::Barcode),
            "LOCATION_PRICE" => self
                .prices
                .iter()
                .find(|m| crate::catalog::changes::pair(m.variant_id, m.location_id) == r.entity_id)
                .cloned()
                .map(State::LocationPrice),
            "SCALE_FORMAT" => self
                .formats
                .iter()
                .find(|f| f.prefix == r.entity_id)
                .cloned()
                .map(State::ScaleFormat),
            _ => None,
        }
    }
}

/// The stream behind `catalogChanged`: the current version, then each
/// higher one as change notices for the tenant arrive.
pub fn versions(
    session: Session,
    db: Db,
    changes: tokio::sync::broadcast::Receiver<Uuid>,
) -> impl futures_util::Stream<Item = i64> {
    use tokio::sync::broadcast::error::RecvError;
    futures_util::stream::unfold(
        (session, db, changes, None::<i64>),
        |(session, db, mut changes, last)| async move {
            loop {
                if last.is_some() {
                    match changes.recv().await {
                        Ok(tenant) if tenant != session.tenant => continue,
                        Ok(_) | Err(RecvError::Lagged(_)) => {}
                        Err(RecvError::Closed) => return None,
                    }
                }
                let version = match db.read(&session).await {
                    Ok(tx) => current_version(&tx).await,
                    Err(e) => Err(e),
                };
                match version {
                    Ok(v) if last.is_none_or(|l| v > l) => {
                        return Some((v, (session, db, changes, Some(v))));
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "catalogChanged could not read the version");
                        // Without a first version there is nothing to follow:
                        // end the stream; later, wait for the next notice.
                        last?;
                    }
                }
            }
        },
    )
}
