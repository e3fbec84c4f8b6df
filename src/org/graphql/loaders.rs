//! Batches location and terminal lookups within one request
//! (async-graphql dataloader).

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{location, terminal};
use uuid::Uuid;

use crate::auth::Session;
use crate::graphql::RequestLoader;
use crate::tenancy::Db;

/// Per request: it carries the caller's session, so it can only load that
/// tenant's locations.
pub struct LocationLoader {
    db: Db,
    session: Session,
}

impl RequestLoader for LocationLoader {
    fn new(db: &Db, session: &Session) -> Self {
        Self {
            db: db.clone(),
            session: session.clone(),
        }
    }
}

impl RequestLoader for TerminalLoader {
    fn new(db: &Db, session: &Session) -> Self {
        Self(LocationLoader::new(db, session))
    }
}

impl Loader<Uuid> for LocationLoader {
    type Value = location::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = crate::org::locations::get_many(&self.session, &self.db, keys).await?;
        Ok(rows.into_iter().map(|row| (row.id, row)).collect())
    }
}

/// Terminals by id, for the caller's tenant only.
pub struct TerminalLoader(pub LocationLoader);

impl Loader<Uuid> for TerminalLoader {
    type Value = terminal::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = crate::org::terminals::get_many(&self.0.session, &self.0.db, keys).await?;
        Ok(rows.into_iter().map(|row| (row.id, row)).collect())
    }
}
