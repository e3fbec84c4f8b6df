//! Admission control: a bounded number of operations in flight per
//! replica, so overload is refused early and cheaply instead of queueing
//! on the database pool until every request times out.
//!
//! Mutations (pushes included) and queries have places of their own, so a
//! lookup the cache can serve never waits behind writes. An operation that
//! finds no place waits up to `POS_ADMISSION_WAIT_MS` (25 ms) for one, in
//! arrival order, then is refused with `UNAVAILABLE`, HTTP 503 and a
//! `Retry-After` of 1 to 3 s, spread at random so refused clients do not
//! all return in the same second. Subscriptions hold no place: they wait
//! for events, not for the database.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::AppError;

/// What an operation is, for admission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Read,
    Write,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }
}

/// The places of one replica.
#[derive(Clone)]
pub struct Admission {
    reads: Arc<Semaphore>,
    writes: Arc<Semaphore>,
    wait: Duration,
}

/// A place, given back when dropped.
pub type Place = OwnedSemaphorePermit;

impl Admission {
    pub fn new(reads: u32, writes: u32, wait: Duration) -> Self {
        Self {
            reads: Arc::new(Semaphore::new(reads.max(1) as usize)),
            writes: Arc::new(Semaphore::new(writes.max(1) as usize)),
            wait,
        }
    }

    /// A place for one operation of `kind`, or UNAVAILABLE when none came
    /// free within the wait.
    pub async fn enter(&self, kind: Kind) -> Result<Place, AppError> {
        let places = match kind {
            Kind::Read => &self.reads,
            Kind::Write => &self.writes,
        };
        if let Ok(place) = places.clone().try_acquire_owned() {
            return Ok(place);
        }
        match tokio::time::timeout(self.wait, places.clone().acquire_owned()).await {
            Ok(Ok(place)) => Ok(place),
            // Timed out, or (never here) closed.
            _ => {
                crate::metrics::metrics().count(
                    "pos_overload_refused_total",
                    vec![("kind", kind.label().to_owned())],
                );
                Err(AppError::Overloaded {
                    retry_after_secs: jittered_retry(),
                })
            }
        }
    }
}

/// 1, 2 or 3 seconds, at random.
fn jittered_retry() -> u64 {
    1 + (uuid::Uuid::new_v4().as_u128() % 3) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_kind_refuses_after_the_wait_and_the_other_kind_still_enters() {
        let admission = Admission::new(1, 1, Duration::from_millis(5));
        let write = admission.enter(Kind::Write).await.expect("a place");
        let refused = admission.enter(Kind::Write).await.expect_err("full");
        assert_eq!(refused.code(), "UNAVAILABLE");
        let secs = refused.retry_after_secs().expect("a retry hint");
        assert!((1..=3).contains(&secs));
        // Reads have places of their own.
        let _read = admission.enter(Kind::Read).await.expect("a read place");
        drop(write);
        assert!(admission.enter(Kind::Write).await.is_ok());
    }

    #[tokio::test]
    async fn a_waiting_operation_gets_the_place_given_back_in_time() {
        let admission = Admission::new(1, 1, Duration::from_secs(5));
        let held = admission.enter(Kind::Write).await.unwrap();
        let waiter = {
            let admission = admission.clone();
            tokio::spawn(async move { admission.enter(Kind::Write).await.is_ok() })
        };
        tokio::task::yield_now().await;
        drop(held);
        assert!(waiter.await.unwrap());
    }

    #[test]
    fn retry_hints_are_spread_over_three_seconds() {
        let seen: std::collections::BTreeSet<u64> = (0..200).map(|_| jittered_retry()).collect();
        assert_eq!(seen, [1, 2, 3].into());
    }
}
