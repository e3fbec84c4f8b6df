//! The audit entry of the mutation running in this task, written inside
//! the write that it records.
//!
//! The audit trail (`crate::audit`) drafts an entry before a root mutation
//! field runs and runs the field inside [`Journal::scope`]. The first
//! write transaction of the session's tenant that commits in that scope
//! inserts the entry as its last statement, then commits: the write and
//! its entry commit together or not at all. The entry names the ids the
//! arguments named and the rows the transaction inserted, and the
//! detail the service noted ([`note_counts`]: a push's statuses).
//!
//! A field that commits nothing (refused, bad input, nothing to change)
//! leaves the draft unwritten; the trail then writes it on its own.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::Utc;
use entity::audit_entry;
use sea_orm::sea_query::ValueTuple;
use sea_orm::{ActiveValue, Value};
use uuid::Uuid;

/// At most this many ids per entry.
pub const MAX_IDS: usize = 50;

tokio::task_local! {
    static JOURNAL: Arc<Journal>;
}

/// One root mutation field's entry, until a commit writes it.
pub struct Journal {
    tenant: Uuid,
    /// Whether the rows the write inserts are named in the entry (not for
    /// a push: its records are in the ledger under their own ids).
    names_made: bool,
    state: Mutex<State>,
}

struct State {
    /// The entry; `None` while a commit carries it, and once written.
    draft: Option<audit_entry::ActiveModel>,
    written: bool,
    ids: BTreeSet<String>,
    counts: BTreeMap<String, usize>,
}

impl Journal {
    /// A journal for `draft`, an entry of `tenant` naming `ids`.
    pub fn new(
        tenant: Uuid,
        draft: audit_entry::ActiveModel,
        ids: BTreeSet<String>,
        names_made: bool,
    ) -> Arc<Self> {
        Arc::new(Self {
            tenant,
            names_made,
            state: Mutex::new(State {
                draft: Some(draft),
                written: false,
                ids,
                counts: BTreeMap::new(),
            }),
        })
    }

    /// Runs `work` with this journal as the task's.
    pub async fn scope<F: Future>(self: &Arc<Self>, work: F) -> F::Output {
        JOURNAL.scope(self.clone(), work).await
    }

    /// Whether a commit wrote the entry.
    pub fn written(&self) -> bool {
        self.lock().written
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The entry as it stands, for a commit of `tenant` to insert; `None`
    /// when there is none to write. [`Journal::settle`] must follow.
    fn take(&self, tenant: Uuid) -> Option<audit_entry::ActiveModel> {
        if tenant != self.tenant {
            return None;
        }
        let mut state = self.lock();
        let mut entry = state.draft.take()?;
        let ids: Vec<&String> = state.ids.iter().take(MAX_IDS).collect();
        entry.resource_ids = ActiveValue::Set(serde_json::to_string(&ids).unwrap_or_default());
        if !state.counts.is_empty() {
            let head = match &entry.detail {
                ActiveValue::Set(Some(d)) | ActiveValue::Unchanged(Some(d)) => d.clone(),
                _ => String::new(),
            };
            let text = format!("{head}; {}", counts_text(&state.counts));
            entry.detail = ActiveValue::Set(Some(text.chars().take(500).collect()));
        }
        entry.id = ActiveValue::Set(Uuid::now_v7());
        entry.at = ActiveValue::Set(Utc::now());
        Some(entry)
    }

    /// After the commit that carried `entry`: written, or (it failed) the
    /// draft back for a later commit.
    pub(super) fn settle(&self, entry: audit_entry::ActiveModel, committed: bool) {
        let mut state = self.lock();
        if committed {
            state.written = true;
        } else {
            state.draft = Some(entry);
        }
    }
}

/// The running field's journal and its entry, for a commit of `tenant`.
pub(super) fn take_for_commit(tenant: Uuid) -> Option<(Arc<Journal>, audit_entry::ActiveModel)> {
    JOURNAL
        .try_with(|journal| journal.take(tenant).map(|entry| (journal.clone(), entry)))
        .ok()
        .flatten()
}

/// `applied 11, duplicate 1`: counted outcomes as an entry's detail ends.
pub fn counts_text(counts: &BTreeMap<String, usize>) -> String {
    let parts: Vec<String> = counts
        .iter()
        .map(|(label, n)| format!("{label} {n}"))
        .collect();
    parts.join(", ")
}

/// Counts outcomes for the running field's entry, e.g. a push's statuses
/// (`applied 11, duplicate 1`). Does nothing outside a mutation.
pub fn note_counts<'a>(labels: impl IntoIterator<Item = &'a str>) {
    let _ = JOURNAL.try_with(|journal| {
        let mut state = journal.lock();
        for label in labels {
            *state.counts.entry(label.to_owned()).or_default() += 1;
        }
    });
}

/// Names a row the running field's write inserted (by its primary key's
/// UUID, when it has one).
pub(super) fn note_made(key: Option<ValueTuple>) {
    let Some(key) = key else { return };
    let _ = JOURNAL.try_with(|journal| {
        if !journal.names_made {
            return;
        }
        let mut state = journal.lock();
        if state.ids.len() >= MAX_IDS {
            return;
        }
        // The row's own id: the UUID in its key that is not the tenant.
        let uuid = key.into_iter().find_map(|v| match v {
            Value::Uuid(Some(u)) if u != journal.tenant => Some(u),
            _ => None,
        });
        if let Some(u) = uuid {
            state.ids.insert(u.to_string());
        }
    });
}
