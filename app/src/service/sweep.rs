//! The sweep: records sessions that expired without a request noticing, deletes
//! sessions ended longer ago than the retention period, and refreshes the planner's
//! statistics.

use super::end::{end_sessions, Selection};
use super::liveness;
use crate::domain::session;
use crate::error::AppError;
use crate::ssr::AppState;
use crate::store::SessionEnd;
use chrono::Duration;
use std::collections::BTreeMap;

const BATCH: i64 = 500;

/// Records at most `max_ends` unnoticed expiries per run (so one run never floods the
/// database) and purges. Safe to run in several processes at once: every step is
/// idempotent. Returns how many sessions it recorded or deleted.
pub async fn sweep(state: &AppState, retention: Duration, max_ends: u64) -> Result<u64, AppError> {
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
    let purged = state.store.purge(now - retention, now).await?;
    // The account-wide search's plans follow the data's shape as it grows.
    state.store.refresh_statistics().await?;
    Ok(recorded + purged)
}
