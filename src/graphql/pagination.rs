//! Relay connections over [`Page`]s (`tenancy::page`): the cursor of
//! each edge is its row's id.

use async_graphql::OutputType;
use async_graphql::connection::{Connection, Edge};
use uuid::Uuid;

pub use crate::tenancy::Page;
use crate::tenancy::page::encode_cursor;

impl Page {
    /// Builds the connection from rows fetched with [`Page::apply`].
    pub fn connection<M, T: OutputType>(
        &self,
        mut rows: Vec<M>,
        id: impl Fn(&M) -> Uuid,
        node: impl Fn(M) -> T,
    ) -> Connection<String, T> {
        let has_next = rows.len() > self.first;
        rows.truncate(self.first);
        let mut connection = Connection::new(self.after.is_some(), has_next);
        connection.edges = rows
            .into_iter()
            .map(|row| Edge::new(encode_cursor(id(&row)), node(row)))
            .collect();
        connection
    }
}
