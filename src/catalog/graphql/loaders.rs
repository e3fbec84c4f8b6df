//! Per-request dataloaders for the catalog, so nested fields never cost a
//! query per row (no N+1). Each carries the caller's session.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{barcode, product, tax_group, tax_rate, variant};
use uuid::Uuid;

use crate::auth::Session;
use crate::catalog::{attributes, barcodes, products, tax_groups, variants};
use crate::graphql::RequestLoader;
use crate::tenancy::Db;

/// What every catalog loader holds.
#[derive(Clone)]
pub struct Scope {
    pub db: Db,
    pub session: Session,
}

macro_rules! loader {
    ($(#[$doc:meta])* $name:ident, $value:ty, |$scope:ident, $keys:ident| $body:expr) => {
        $(#[$doc])*
        pub struct $name(pub Scope);

        impl RequestLoader for $name {
            fn new(db: &Db, session: &Session) -> Self {
                Self(Scope {
                    db: db.clone(),
                    session: session.clone(),
                })
            }
        }

        impl Loader<Uuid> for $name {
            type Value = $value;
            type Error = async_graphql::Error;

            async fn load(&self, $keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
                let $scope = &self.0;
                Ok($body)
            }
        }
    };
}

loader!(ProductLoader, product::Model, |s, keys| {
    products::get_many(&s.session, &s.db, keys)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect()
});

loader!(VariantLoader, variant::Model, |s, keys| {
    variants::get_many(&s.session, &s.db, keys)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect()
});

loader!(TaxGroupLoader, tax_group::Model, |s, keys| {
    tax_groups::get_many(&s.session, &s.db, keys)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect()
});

loader!(
    /// Rates by tax group id.
    TaxRatesLoader,
    Vec<tax_rate::Model>,
    |s, keys| {
        let tx = s.db.read(&s.session).await?;
        tax_groups::rates_of(&tx, keys).await?
    }
);

loader!(
    /// Barcodes by variant id.
    BarcodesLoader,
    Vec<barcode::Model>,
    |s, keys| {
        let tx = s.db.read(&s.session).await?;
        barcodes::of_variants(&tx, keys).await?
    }
);

loader!(
    /// Attribute (code, value) pairs by product or variant id.
    AttributesLoader,
    Vec<(String, String)>,
    |s, keys| {
        let tx = s.db.read(&s.session).await?;
        attributes::values_of(&tx, keys).await?
    }
);

loader!(
    /// Location prices (location, price) by variant id.
    LocationPricesLoader,
    Vec<(Uuid, i64)>,
    |s, keys| {
        let tx = s.db.read(&s.session).await?;
        variants::location_prices_of(&tx, keys).await?
    }
);
