//! Cancellation: a request future dropped at any await of a transaction's
//! begin or commit never hands its connection back to the pool inside a
//! transaction, nor with the tenant setting left on it. On a pool of one
//! connection, each begin and commit is polled 0, 1, 2, … times and then
//! dropped, and the connection is checked before the next round.

use std::future::Future;
use std::task::Poll;
use std::time::Duration;

use pos::auth::{Role, Session};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::helpers::TestApp;

/// Polls `future` up to `polls` times, letting I/O progress in between,
/// then drops it; true when it finished first.
async fn poll_then_drop<F: Future>(future: F, polls: usize, pause: Duration) -> bool {
    let mut future = std::pin::pin!(future);
    for _ in 0..polls {
        let ready =
            std::future::poll_fn(|cx| Poll::Ready(future.as_mut().poll(cx).is_ready())).await;
        if ready {
            return true;
        }
        if pause.is_zero() {
            tokio::task::yield_now().await;
        } else {
            tokio::time::sleep(pause).await;
        }
    }
    false
}

/// The pool's one connection is outside any transaction, with no tenant
/// set; and new transactions, read and write, open on it.
async fn assert_clean(app: &TestApp, session: &Session, round: &str) {
    let db = &app.state.db;
    let conn = db.operator().raw_connection();
    if conn.get_database_backend() == DbBackend::Postgres {
        let sql = |text: &str| Statement::from_string(DbBackend::Postgres, text.to_owned());
        // SAVEPOINT works only inside a transaction block: on a clean
        // connection it fails (25P01, no active transaction).
        let savepoint = tokio::time::timeout(
            Duration::from_secs(10),
            conn.execute_raw(sql("SAVEPOINT cancel_probe")),
        )
        .await
        .unwrap_or_else(|_| panic!("{round}: the connection never came back"));
        assert!(
            savepoint.is_err(),
            "{round}: the pool's connection is inside a transaction"
        );
        let row = conn
            .query_one_raw(sql(
                "SELECT coalesce(current_setting('app.tenant_id', true), '') AS tenant",
            ))
            .await
            .unwrap_or_else(|e| panic!("{round}: {e}"))
            .expect("a row");
        let tenant: String = row.try_get("", "tenant").unwrap();
        assert_eq!(
            tenant, "",
            "{round}: the tenant setting outlived its transaction"
        );
    }
    let read = tokio::time::timeout(Duration::from_secs(10), db.read(session))
        .await
        .unwrap_or_else(|_| panic!("{round}: no connection for a read"))
        .unwrap_or_else(|e| panic!("{round}: a read did not open: {e}"));
    drop(read);
    let write = tokio::time::timeout(Duration::from_secs(10), db.write(session))
        .await
        .unwrap_or_else(|_| panic!("{round}: no connection for a write"))
        .unwrap_or_else(|e| panic!("{round}: a write did not open: {e}"));
    write.commit().await.unwrap();
}

#[tokio::test]
async fn a_transaction_dropped_at_any_await_leaves_a_clean_connection() {
    let app = TestApp::spawn_with(&["--db-max-connections", "1"]).await;
    let tenant = app.tenant("Acme").await;
    let session = Session::from(
        app.state
            .keys
            .verify(&app.token(tenant, &[Role::Owner]))
            .unwrap(),
    );
    let db = &app.state.db;
    for pause in [Duration::ZERO, Duration::from_micros(300)] {
        for polls in 0..24 {
            let round = format!("begin, {polls} polls, {pause:?} apart");
            poll_then_drop(db.write(&session), polls, pause).await;
            assert_clean(&app, &session, &round).await;
            poll_then_drop(db.read(&session), polls, pause).await;
            assert_clean(&app, &session, &round).await;

            let round = format!("commit, {polls} polls, {pause:?} apart");
            let tx = db.write(&session).await.unwrap();
            tx.invalidate_caches_on_commit();
            poll_then_drop(tx.commit(), polls, pause).await;
            assert_clean(&app, &session, &round).await;
        }
    }
}
