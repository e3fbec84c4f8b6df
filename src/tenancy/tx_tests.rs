//! The scoped operations on an in-memory SQLite database, where nothing
//! but the scope keeps tenants apart (no row-level security).

use chrono::Utc;
use entity::enums::Status;
use entity::{catalog_version, product, tenant};
use migration::{Migrator, MigratorTrait};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, DbErr, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use crate::tenancy::{Db, PoolOptions, TenantTx};

async fn db() -> Db {
    let pool = PoolOptions {
        max_connections: 1,
        statement_timeout: std::time::Duration::from_secs(5),
    };
    let db = Db::connect("sqlite::memory:", &pool).await.unwrap();
    Migrator::up(db.operator().raw_connection(), None)
        .await
        .unwrap();
    db
}

/// A tenant with one product, named after it; returns the product.
async fn tenant_with_product(db: &Db, name: &str) -> (Uuid, product::Model) {
    let id = Uuid::now_v7();
    let tx = db.operator().write_for_tenant(id).await.unwrap();
    tx.insert(tenant::ActiveModel {
        id: Set(id),
        name: Set(name.into()),
        currency: Set("EUR".into()),
        rounding_mode: Set("HALF_EVEN".into()),
        rounding_level: Set("LINE".into()),
        created_at: Set(Utc::now()),
    })
    .await
    .unwrap();
    let now = Utc::now();
    let made = tx
        .insert(product::ActiveModel {
            id: Set(Uuid::now_v7()),
            // Stamped over by the scope.
            tenant_id: Set(Uuid::nil()),
            name: Set(name.into()),
            description: Set(None),
            category: Set(None),
            status: Set(Status::Active),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (id, made)
}

async fn write(db: &Db, tenant: Uuid) -> TenantTx {
    db.operator().write_for_tenant(tenant).await.unwrap()
}

#[tokio::test]
async fn reads_see_only_the_tenants_rows() {
    let db = db().await;
    let (a, pa) = tenant_with_product(&db, "A").await;
    let (_, pb) = tenant_with_product(&db, "B").await;
    assert_eq!(pa.tenant_id, a, "insert stamps the tenant");
    let tx = write(&db, a).await;
    let all = tx
        .select::<product::Entity>()
        .order_by_asc(product::Column::Name)
        .all(&tx)
        .await
        .unwrap();
    assert_eq!(all, vec![pa.clone()]);
    let theirs = tx
        .select::<product::Entity>()
        .filter(product::Column::Id.eq(pb.id))
        .one(&tx)
        .await
        .unwrap();
    assert_eq!(theirs, None);
    assert_eq!(tx.select::<product::Entity>().count(&tx).await.unwrap(), 1);
    let names: Vec<String> = tx
        .select::<product::Entity>()
        .select_only()
        .column(product::Column::Name)
        .into_tuple()
        .all(&tx)
        .await
        .unwrap();
    assert_eq!(names, vec!["A".to_owned()]);
}

#[tokio::test]
async fn a_scoped_query_does_not_run_in_another_tenants_transaction() {
    let db = db().await;
    let (a, _) = tenant_with_product(&db, "A").await;
    let (b, _) = tenant_with_product(&db, "B").await;
    let tx_a = write(&db, a).await;
    let query = tx_a.select::<product::Entity>();
    drop(tx_a);
    let tx_b = write(&db, b).await;
    assert!(matches!(query.all(&tx_b).await, Err(DbErr::Custom(_))));
    let statement = tx_b.sql("SELECT 1");
    drop(tx_b);
    let tx_a = write(&db, a).await;
    assert!(matches!(statement.one(&tx_a).await, Err(DbErr::Custom(_))));
}

#[tokio::test]
async fn updating_another_tenants_row_fails_and_changes_nothing() {
    let db = db().await;
    let (a, _) = tenant_with_product(&db, "A").await;
    let (b, pb) = tenant_with_product(&db, "B").await;
    let tx = write(&db, a).await;
    // B's row as B's model, and with A's tenant put in its key.
    let mut as_theirs = pb.clone().into_active_model();
    as_theirs.name = Set("changed by A".into());
    let mut as_ours = as_theirs.clone();
    as_ours.tenant_id = Set(a);
    for model in [as_theirs, as_ours] {
        assert!(matches!(
            tx.update(model).await,
            Err(DbErr::RecordNotUpdated)
        ));
    }
    let bulk = tx
        .update_many::<product::Entity>()
        .col_expr(product::Column::Name, Expr::value("bulk by A"))
        .filter(product::Column::Id.eq(pb.id))
        .exec(&tx)
        .await
        .unwrap();
    assert_eq!(bulk.rows_affected, 0);
    let deleted = tx
        .delete_many::<product::Entity>()
        .filter(product::Column::Id.eq(pb.id))
        .exec(&tx)
        .await
        .unwrap();
    assert_eq!(deleted.rows_affected, 0);
    tx.commit().await.unwrap();
    let tx = write(&db, b).await;
    let still = tx
        .select::<product::Entity>()
        .one(&tx)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(still, pb);
}

#[tokio::test]
async fn updating_the_tenants_own_row_works() {
    let db = db().await;
    let (a, pa) = tenant_with_product(&db, "A").await;
    let tx = write(&db, a).await;
    let mut model = pa.into_active_model();
    model.name = Set("renamed".into());
    let updated = tx.update(model).await.unwrap();
    assert_eq!(updated.name, "renamed");
    assert_eq!(updated.tenant_id, a);
}

#[tokio::test]
async fn insert_on_conflict_and_tenant_sql_use_the_transactions_tenant() {
    let db = db().await;
    let (a, _) = tenant_with_product(&db, "A").await;
    let (b, _) = tenant_with_product(&db, "B").await;
    let version = |tenant: Uuid, version: i64| catalog_version::ActiveModel {
        tenant_id: Set(tenant),
        version: Set(version),
    };
    let conflict = || {
        OnConflict::column(catalog_version::Column::TenantId)
            .do_nothing()
            .to_owned()
    };
    let tx = write(&db, a).await;
    // The model names B; the row is A's.
    let first = tx.insert_on_conflict(version(b, 7), conflict()).await;
    assert_eq!(first.unwrap(), 1);
    let again = tx.insert_on_conflict(version(a, 8), conflict()).await;
    assert_eq!(again.unwrap(), 0);
    let row = tx
        .sql("SELECT version FROM catalog_versions WHERE tenant_id = ?1 AND version > ?2")
        .bind(0_i64)
        .one(&tx)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<i64>("", "version").unwrap(), 7);
    tx.commit().await.unwrap();
    let tx = write(&db, b).await;
    let theirs = tx.select::<catalog_version::Entity>().count(&tx).await;
    assert_eq!(theirs.unwrap(), 0);
}
