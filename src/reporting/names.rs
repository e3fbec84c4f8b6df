//! The names a report export's rows refer to (locations, terminals,
//! products, variants, tax groups): read in one query per kind and chunk,
//! each once per export.

use std::collections::{HashMap, HashSet};

use entity::{location, product, tax_group, terminal, variant};
use uuid::Uuid;

use super::report::Row;
use crate::auth::Session;
use crate::catalog::{products, tax_groups, variants};
use crate::error::Result;
use crate::org::{locations, terminals};
use crate::tenancy::Db;

/// What one kind of name was read as, by id, so each is read once.
pub(super) struct Known<V> {
    pub(super) rows: HashMap<Uuid, V>,
    asked: HashSet<Uuid>,
    /// The id a row refers to, and a read value's own.
    key: fn(&Row) -> Option<Uuid>,
    id: fn(&V) -> Uuid,
}

impl<V> Known<V> {
    fn new(key: fn(&Row) -> Option<Uuid>, id: fn(&V) -> Uuid) -> Self {
        Self {
            rows: HashMap::new(),
            asked: HashSet::new(),
            key,
            id,
        }
    }

    /// Reads, with one call of `fetch`, the ids `rows` refer to that were
    /// not asked for before.
    async fn learn<F, Fut>(&mut self, rows: &[Row], fetch: F) -> Result<()>
    where
        F: FnOnce(Vec<Uuid>) -> Fut,
        Fut: Future<Output = Result<Vec<V>>>,
    {
        let ids: Vec<Uuid> = rows
            .iter()
            .filter_map(self.key)
            .filter(|i| self.asked.insert(*i))
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        // The service's own error, so an outage stays UNAVAILABLE
        // (retryable), not INTERNAL.
        let found = fetch(ids).await?;
        let id = self.id;
        self.rows.extend(found.into_iter().map(|v| (id(&v), v)));
        Ok(())
    }
}

/// Names of what rows refer to, read once per export.
pub(super) struct Names {
    session: Session,
    db: Db,
    pub(super) locations: Known<location::Model>,
    pub(super) terminals: Known<terminal::Model>,
    pub(super) products: Known<product::Model>,
    pub(super) variants: Known<variant::Model>,
    pub(super) tax_groups: Known<tax_group::Model>,
}

impl Names {
    pub(super) fn new(session: &Session, db: &Db) -> Self {
        Self {
            session: session.clone(),
            db: db.clone(),
            locations: Known::new(|r| r.location, |m| m.id),
            terminals: Known::new(|r| r.terminal, |m| m.id),
            products: Known::new(|r| r.product, |m| m.id),
            variants: Known::new(|r| r.variant, |m| m.id),
            tax_groups: Known::new(|r| r.tax_group, |m| m.id),
        }
    }

    /// Reads the names of `rows` not read yet.
    pub(super) async fn learn(&mut self, rows: &[Row]) -> Result<()> {
        let (s, db) = (&self.session, &self.db);
        let of_locations = |ids: Vec<Uuid>| async move { locations::get_many(s, db, &ids).await };
        let of_terminals = |ids: Vec<Uuid>| async move { terminals::get_many(s, db, &ids).await };
        let of_products = |ids: Vec<Uuid>| async move { products::get_many(s, db, &ids).await };
        let of_variants = |ids: Vec<Uuid>| async move { variants::get_many(s, db, &ids).await };
        let of_groups = |ids: Vec<Uuid>| async move { tax_groups::get_many(s, db, &ids).await };
        self.locations.learn(rows, of_locations).await?;
        self.terminals.learn(rows, of_terminals).await?;
        self.products.learn(rows, of_products).await?;
        self.variants.learn(rows, of_variants).await?;
        self.tax_groups.learn(rows, of_groups).await
    }
}
