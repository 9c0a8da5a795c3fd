//! The sweep: records sessions that expired without a request noticing, deletes
//! sessions ended and audit events recorded longer ago than their retention periods,
//! refreshes the planner's statistics, and (on Postgres) vacuums the sessions.

use super::end::{end_sessions, Selection};
use super::liveness;
use crate::domain::session;
use crate::error::AppError;
use crate::ssr::AppState;
use crate::store::SessionEnd;
use chrono::Duration;
use std::collections::BTreeMap;

const BATCH: i64 = 500;

/// Audit events deleted per statement, and statements per run at most: a large
/// backlog (a retention shortened by years) is worked off over several runs without
/// holding the writer for long.
const AUDIT_BATCH: i64 = 5_000;
const AUDIT_BATCHES_PER_RUN: usize = 100;

/// How long what is over is kept.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    /// Ended sessions stay listed this long.
    pub sessions: Duration,
    /// Audit events are kept this long.
    pub audit: Duration,
}

/// Records at most `max_ends` unnoticed expiries per run (so one run never floods the
/// database) and purges. Safe to run in several processes at once: every step is
/// idempotent. Returns how many sessions it recorded or deleted.
pub async fn sweep(state: &AppState, retention: Retention, max_ends: u64) -> Result<u64, AppError> {
    // This process's pending activity is stored first: the sweep judges stored times.
    super::activity::flush(state).await?;
    let now = state.clock.now();
    let mut recorded = 0;
    for (account_id, settings) in state.store.accounts_settings().await? {
        let live = liveness(&settings, now);
        while recorded < max_ends {
            let batch = state.store.unrecorded_expired(account_id, live, BATCH).await?;
            // One end per reason: idle and past the maximum are recorded as such.
            let mut by_reason = BTreeMap::new();
            for s in &batch {
                if let Some(reason) = session::evaluate(s.times(), &settings, now).end_reason() {
                    by_reason
                        .entry(reason.as_str())
                        .or_insert((reason, Vec::new()))
                        .1
                        .push(s.id);
                }
            }
            for (_, (reason, ids)) in by_reason {
                let end = SessionEnd::system(reason, now);
                let selection = Selection::Ids { ids, user_id: None };
                let ended = end_sessions(&*state.store, account_id, selection, end).await?;
                recorded += ended.len() as u64;
            }
            if batch.len() < BATCH as usize {
                break;
            }
        }
    }
    let mut purged = state.store.purge(now - retention.sessions, now).await?;
    for _ in 0..AUDIT_BATCHES_PER_RUN {
        let deleted = state
            .store
            .purge_audit_events(now - retention.audit, AUDIT_BATCH)
            .await?;
        purged += deleted;
        if deleted < AUDIT_BATCH as u64 {
            break;
        }
    }
    // The account-wide search's plans follow the data's shape as it grows.
    state.store.refresh_statistics().await?;
    // Its counts read indexes alone only where the table's pages are marked visible to
    // all, which every end and activity write undoes on Postgres until a vacuum: a count
    // of 100 000 sessions took 47 ms after 10 000 ends, 27 ms once vacuumed. Not being
    // allowed to vacuum (a database user that does not own the table) slows the counts
    // until autovacuum comes by, and ends nothing: the sweep goes on.
    if let Err(e) = state.store.tidy_sessions().await {
        tracing::warn!(error = %e, "could not vacuum the sessions table; searches count more slowly until autovacuum does");
    }
    Ok(recorded + purged)
}
