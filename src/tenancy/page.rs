//! A validated `first`/`after` window over time-ordered (UUIDv7) ids:
//! what list queries take. Building the GraphQL connection from the rows
//! is the API layer's (`graphql::pagination`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::error::{AppError, Result};

pub const DEFAULT_PAGE: usize = 20;
pub const MAX_PAGE: usize = 100;

/// A validated `first`/`after` pair.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub first: usize,
    pub after: Option<Uuid>,
}

impl Page {
    pub fn new(first: Option<i32>, after: Option<&str>) -> Result<Self> {
        let first = match first {
            None => DEFAULT_PAGE,
            Some(n) if (0..=MAX_PAGE as i32).contains(&n) => n as usize,
            Some(_) => {
                return Err(AppError::bad_input(
                    "first",
                    format!("first must be between 0 and {MAX_PAGE}"),
                ));
            }
        };
        let after = after.map(decode_cursor).transpose()?;
        Ok(Self { first, after })
    }

    /// Orders by `id`, starts after the cursor and fetches one extra row to
    /// learn whether another page follows.
    pub fn apply<Q, C>(&self, select: Q, id: C) -> Q
    where
        Q: QueryFilter + QueryOrder + QuerySelect,
        C: ColumnTrait,
    {
        let select = match self.after {
            Some(after) => select.filter(id.gt(after)),
            None => select,
        };
        select.order_by_asc(id).limit(self.first as u64 + 1)
    }
}

pub fn encode_cursor(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

fn decode_cursor(cursor: &str) -> Result<Uuid> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| Uuid::from_slice(&bytes).ok())
        .ok_or_else(|| AppError::bad_input("after", "after is not a cursor from this API"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let id = Uuid::now_v7();
        let page = Page::new(Some(5), Some(&encode_cursor(id))).unwrap();
        assert_eq!(page.after, Some(id));
        assert!(Page::new(None, Some("not a cursor")).is_err());
        assert!(Page::new(Some(101), None).is_err());
        assert!(Page::new(Some(-1), None).is_err());
    }
}
