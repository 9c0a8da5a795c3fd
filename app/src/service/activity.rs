//! Session activity, off the request path. The session check notes activity here, in
//! this process's memory, and a background task writes what is pending in one
//! transaction per interval, so no request waits for a write.
//!
//! What keeps it exact:
//! - pending activity counts in this process's idle decision (`merge`);
//! - another process sees only the stored time, so activity is kept pending only while
//!   the stored time keeps the session alive for a few more intervals
//!   (`domain::session::may_defer_activity`); closer to the limit it is written at once;
//! - a write never moves a time backwards nor touches an ended session, so of two
//!   processes the later activity wins, and ends (always written at once) are never
//!   undone. A crash loses at most the activity still pending: one interval's worth.

use crate::domain::session::may_defer_activity;
use crate::error::AppError;
use crate::ssr::AppState;
use crate::store::{Activity, SessionContext};
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;
use uuid::Uuid;

/// How often pending activity is written, unless the server is told otherwise.
pub const FLUSH_INTERVAL: Duration = Duration::seconds(5);

/// Sessions pending at most; beyond it a check writes its activity at once instead.
const MAX_PENDING: usize = 200_000;

/// Activity seen by this process and not written yet: the latest time and address per
/// session.
pub struct ActivityBuffer {
    /// The flush interval in milliseconds: the server sets it from its configuration
    /// before it serves.
    interval_ms: AtomicI64,
    pending: Mutex<HashMap<Uuid, (DateTime<Utc>, String)>>,
}

impl ActivityBuffer {
    pub fn new(interval: Duration) -> Self {
        ActivityBuffer {
            interval_ms: AtomicI64::new(interval.num_milliseconds()),
            pending: Mutex::default(),
        }
    }

    pub fn interval(&self) -> Duration {
        Duration::milliseconds(self.interval_ms.load(Ordering::Relaxed))
    }

    pub fn set_interval(&self, interval: Duration) {
        self.interval_ms
            .store(interval.num_milliseconds(), Ordering::Relaxed);
    }

    /// Counts this process's pending activity in a context read from the database.
    pub fn merge(&self, context: &mut SessionContext) {
        let pending = self.lock();
        if let Some((at, ip)) = pending.get(&context.session_id) {
            if *at > context.last_active_at {
                context.last_active_at = *at;
                context.last_ip.clone_from(ip);
            }
        }
    }

    /// A session's last activity: the stored time, or later activity pending here.
    pub fn latest(&self, session_id: Uuid, stored: DateTime<Utc>) -> DateTime<Utc> {
        match self.lock().get(&session_id) {
            Some((at, _)) => stored.max(*at),
            None => stored,
        }
    }

    /// Keeps the activity pending; false when the buffer is full (write it at once).
    fn defer(&self, session_id: Uuid, at: DateTime<Utc>, ip: &str) -> bool {
        let mut pending = self.lock();
        if pending.len() >= MAX_PENDING && !pending.contains_key(&session_id) {
            return false;
        }
        match pending.get_mut(&session_id) {
            Some(seen) if seen.0 >= at => {}
            Some(seen) => *seen = (at, ip.to_string()),
            None => {
                pending.insert(session_id, (at, ip.to_string()));
            }
        }
        true
    }

    fn take(&self) -> Vec<Activity> {
        std::mem::take(&mut *self.lock())
            .into_iter()
            .map(|(session_id, (at, ip))| Activity { session_id, at, ip })
            .collect()
    }

    /// Puts back a batch whose write failed, unless newer activity came meanwhile.
    fn restore(&self, batch: Vec<Activity>) {
        for a in batch {
            self.defer(a.session_id, a.at, &a.ip);
        }
    }

    pub fn pending(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, (DateTime<Utc>, String)>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Default for ActivityBuffer {
    fn default() -> Self {
        ActivityBuffer::new(FLUSH_INTERVAL)
    }
}

/// Records a request's activity on a session judged active. `stored` is the last-active
/// time the database holds (before `merge`): far from the inactivity limit the
/// activity waits for the next flush, near it it is written now.
pub async fn record(
    state: &AppState,
    context: &SessionContext,
    stored: DateTime<Utc>,
    now: DateTime<Utc>,
    ip: &str,
) -> Result<(), AppError> {
    let buffer = &state.activity;
    if may_defer_activity(stored, &context.settings, now, buffer.interval())
        && buffer.defer(context.session_id, now, ip)
    {
        return Ok(());
    }
    let used = Activity {
        session_id: context.session_id,
        at: now,
        ip: ip.to_string(),
    };
    state.store.record_activity(&[used]).await?;
    Ok(())
}

/// Writes every pending activity in one transaction; on failure it stays pending for
/// the next attempt. Returns how many sessions moved forward.
pub async fn flush(state: &AppState) -> Result<usize, AppError> {
    let batch = state.activity.take();
    if batch.is_empty() {
        return Ok(0);
    }
    match state.store.record_activity(&batch).await {
        Ok(moved) => Ok(moved),
        Err(e) => {
            state.activity.restore(batch);
            Err(e.into())
        }
    }
}
