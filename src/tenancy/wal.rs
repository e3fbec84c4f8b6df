//! Keeping SQLite's write-ahead log short: a TRUNCATE checkpoint on
//! demand, and a task that checkpoints in the background. No-ops on
//! PostgreSQL.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DbBackend};

use super::Db;

impl Db {
    /// On SQLite, checkpoints the write-ahead log and truncates it. The
    /// automatic checkpoint cannot reset the WAL while transactions keep
    /// overlapping, so under steady load it grows without bound (48 GB in
    /// one benchmark run); a TRUNCATE checkpoint waits (up to the busy
    /// timeout) for a moment without readers. No-op on PostgreSQL.
    pub async fn checkpoint_wal(&self) -> Result<(), sea_orm::DbErr> {
        if self.conn.get_database_backend() == DbBackend::Sqlite {
            self.conn
                .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                .await?;
        }
        Ok(())
    }

    /// Runs [`Db::checkpoint_wal`] every `every` for as long as the runtime
    /// lives, and a passive checkpoint every second in between (SQLite
    /// only). The passive one copies the log into the database beside the
    /// writer instead of inside its commit, where SQLite's automatic
    /// checkpoint runs (with the write lock held); that one stays as a
    /// bound, at 10,000 pages, for a log this task has not kept short.
    pub fn spawn_wal_checkpoints(&self, every: Duration) {
        if self.conn.get_database_backend() != DbBackend::Sqlite {
            return;
        }
        let db = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            let mut truncated = tokio::time::Instant::now();
            loop {
                tick.tick().await;
                let result = if truncated.elapsed() >= every {
                    truncated = tokio::time::Instant::now();
                    db.checkpoint_wal().await
                } else {
                    db.conn
                        .execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)")
                        .await
                        .map(|_| ())
                };
                if let Err(e) = result {
                    tracing::warn!(error = %crate::error::describe(&e), "WAL checkpoint failed; retried on the next tick");
                }
            }
        });
    }
}
