//! Admission control: a bounded number of operations in flight per
//! replica, so overload is refused early and cheaply instead of queueing
//! on the database pool until every request times out.
//!
//! Mutations (pushes included) and queries have places of their own, so a
//! lookup the cache can serve never waits behind writes. An operation that
//! finds no place joins a bounded line (`POS_ADMISSION_QUEUE` per kind,
//! four times its places by default) and waits up to
//! `POS_ADMISSION_WAIT_MS` (500 ms) for one, in arrival order. A full line
//! refuses at once, without waiting; so does a wait that runs out. Refusal
//! is `UNAVAILABLE`, HTTP 503 and a `Retry-After` of 1 to 3 s, spread at
//! random so refused clients do not all return in the same second. A burst
//! a replica can work off within the wait is queued, not refused; a herd
//! larger than that is refused cheaply at the door. Subscriptions hold no
//! place: they wait for events, not for the database.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
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

/// The places of one kind, and the line waiting for them.
struct Places {
    running: Arc<Semaphore>,
    waiting: AtomicUsize,
    line: usize,
}

impl Places {
    fn new(places: u32, line: u32) -> Arc<Self> {
        Arc::new(Self {
            running: Arc::new(Semaphore::new(places.max(1) as usize)),
            waiting: AtomicUsize::new(0),
            line: line as usize,
        })
    }
}

/// Leaves the line when dropped, whether the wait ended or its future
/// was dropped.
struct InLine<'a>(&'a AtomicUsize);

impl Drop for InLine<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The places of one replica.
#[derive(Clone)]
pub struct Admission {
    reads: Arc<Places>,
    writes: Arc<Places>,
    wait: Duration,
}

/// A place, given back when dropped.
pub type Place = OwnedSemaphorePermit;

impl Admission {
    /// `reads` and `writes` places; `line` operations of each kind may
    /// wait (`None`: four times the kind's places).
    pub fn new(reads: u32, writes: u32, line: Option<u32>, wait: Duration) -> Self {
        let line_for = |places: u32| line.unwrap_or(places.max(1).saturating_mul(4));
        Self {
            reads: Places::new(reads, line_for(reads)),
            writes: Places::new(writes, line_for(writes)),
            wait,
        }
    }

    /// A place for one operation of `kind`, or UNAVAILABLE when the line
    /// is full or no place came free within the wait.
    pub async fn enter(&self, kind: Kind) -> Result<Place, AppError> {
        let places = match kind {
            Kind::Read => &self.reads,
            Kind::Write => &self.writes,
        };
        if let Ok(place) = places.running.clone().try_acquire_owned() {
            return Ok(place);
        }
        if places.waiting.fetch_add(1, Ordering::AcqRel) >= places.line {
            places.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(refuse(kind, "line_full"));
        }
        let _in_line = InLine(&places.waiting);
        match tokio::time::timeout(self.wait, places.running.clone().acquire_owned()).await {
            Ok(Ok(place)) => Ok(place),
            // Timed out, or (never here) closed.
            _ => Err(refuse(kind, "waited")),
        }
    }
}

/// Counts a refusal and makes its error.
fn refuse(kind: Kind, why: &'static str) -> AppError {
    crate::metrics::metrics().overload_refused(kind.label(), why);
    AppError::Overloaded {
        retry_after_secs: jittered_retry(),
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
        let admission = Admission::new(1, 1, None, Duration::from_millis(5));
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
        let admission = Admission::new(1, 1, None, Duration::from_secs(5));
        let held = admission.enter(Kind::Write).await.unwrap();
        let waiter = {
            let admission = admission.clone();
            tokio::spawn(async move { admission.enter(Kind::Write).await.is_ok() })
        };
        tokio::task::yield_now().await;
        drop(held);
        assert!(waiter.await.unwrap());
    }

    #[tokio::test]
    async fn a_full_line_refuses_at_once_and_a_dropped_waiter_leaves_it() {
        let admission = Admission::new(1, 1, Some(1), Duration::from_secs(60));
        let held = admission.enter(Kind::Write).await.unwrap();
        let waiter = {
            let admission = admission.clone();
            tokio::spawn(async move { admission.enter(Kind::Write).await.is_ok() })
        };
        while admission.writes.waiting.load(Ordering::Acquire) == 0 {
            tokio::task::yield_now().await;
        }
        // The line (one) is full: refused without waiting the 60 s.
        let refused = tokio::time::timeout(Duration::from_secs(5), admission.enter(Kind::Write))
            .await
            .expect("refused at once");
        assert_eq!(refused.expect_err("line full").code(), "UNAVAILABLE");
        // A waiter whose future is dropped gives its place in line back.
        waiter.abort();
        let _ = waiter.await;
        assert_eq!(admission.writes.waiting.load(Ordering::Acquire), 0);
        drop(held);
        assert!(admission.enter(Kind::Write).await.is_ok());
    }

    #[test]
    fn retry_hints_are_spread_over_three_seconds() {
        let seen: std::collections::BTreeSet<u64> = (0..200).map(|_| jittered_retry()).collect();
        assert_eq!(seen, [1, 2, 3].into());
    }
}
