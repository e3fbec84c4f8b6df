//! `stockChanges`: the stock feed a terminal pulls beside the catalog.

use async_graphql::{Context, ID, Object, Result, SimpleObject};

use crate::catalog::graphql::stock::StockLevel;
use crate::catalog::lookup::location_for;
use crate::graphql::ContextExt;
use crate::org::graphql::Location;
use crate::stock::feed;
use crate::validate;

/// A page of the levels at one location, in the order they were written.
#[derive(SimpleObject)]
pub struct StockChangePage {
    /// Each level as it is now. Apply them in order.
    pub levels: Vec<StockLevel>,
    /// Pass as `since` for the next page (and, once `hasMore` is false,
    /// for the next pull); null only when there has never been a level.
    pub cursor: Option<String>,
    pub has_more: bool,
    /// The location's stock version a terminal holds once it has applied
    /// this page.
    pub version: i64,
    pub location: Location,
}

#[derive(Default)]
pub struct StockFeedQuery;

#[Object]
impl StockFeedQuery {
    /// The stock levels at the terminal's location (`locationId` for
    /// staff tokens) written after `since` (a cursor from an earlier page;
    /// none for every level there), oldest write first. Opt-in: a
    /// terminal that keeps stock offline asks for it in the same request
    /// as `catalogChanges`, with its own cursor, and pages until `hasMore`
    /// is false. A level written again while it pages comes again on a
    /// later page.
    async fn stock_changes(
        &self,
        ctx: &Context<'_>,
        since: Option<String>,
        #[graphql(desc = "1 to 500; 100 by default.")] first: Option<i32>,
        location_id: Option<ID>,
    ) -> Result<StockChangePage> {
        let session = ctx.session()?;
        let asked = location_id
            .map(|id| validate::id("locationId", &id))
            .transpose()?;
        let location = location_for(session, asked)?;
        let page = feed::changes(session, ctx.db()?, location, since.as_deref(), first).await?;
        Ok(StockChangePage {
            levels: page.levels.into_iter().map(StockLevel).collect(),
            cursor: page.cursor,
            has_more: page.has_more,
            version: page.version,
            location: Location(page.location),
        })
    }
}
