//! The SQLite store's in-process cache of the session check's lookups.
//!
//! SQLite means one server process, so every write that can make a cached answer wrong
//! (ending a session, rotating a refresh token, changing an account's limits) passes
//! through this process. Each such write bumps a generation *after* its commit (and
//! before its events go out: a stream that hears of an end looks the session up at
//! once); an entry is served only if it was read under the current generation. A
//! request that starts after an end has returned therefore never sees the ended session
//! as valid: the end's bump came first, so the request either misses or finds an entry
//! read after the commit.
//!
//! On Postgres each node keeps one too, but the generation is the database's (migration
//! 0010), which every committed change raises whoever wrote it: the node learns it with
//! each batch of lookups ([`SessionCache::observe`]) and serves only entries read under
//! it (`coalesce.rs`).

use super::{SessionContext, TokenHash};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;
use uuid::Uuid;

/// Entries kept at most; beyond it the cache starts over (it refills on demand).
const MAX_ENTRIES: usize = 200_000;

/// Keys are SHA-256 digests, already uniform: their first bytes make a good hash, and
/// skip SipHash on the hot path.
#[derive(Default)]
struct DigestHasher(u64);

impl std::hash::Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for (i, b) in bytes.iter().take(8).enumerate() {
            self.0 ^= u64::from(*b) << (8 * i);
        }
    }
    fn write_u8(&mut self, n: u8) {
        self.0 = self.0.rotate_left(5) ^ u64::from(n);
    }
}

type Digests<V> = HashMap<([u8; 32], Lookup), V, std::hash::BuildHasherDefault<DigestHasher>>;

/// Which lookup an entry answers.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lookup {
    Browser,
    Refresh,
    Access,
}

struct Entry {
    generation: u64,
    context: SessionContext,
}

#[derive(Default)]
pub struct SessionCache {
    generation: AtomicU64,
    entries: RwLock<Digests<Entry>>,
    /// Activity recorded since the entries were read: (last active, last address).
    activity: RwLock<HashMap<Uuid, (DateTime<Utc>, String)>>,
}

impl SessionCache {
    /// The generation to stamp on an entry about to be read from the database.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn get(&self, hash: &TokenHash, lookup: Lookup) -> Option<SessionContext> {
        self.get_under(hash, lookup, self.generation())
    }

    /// The entry read under exactly `generation`, with activity recorded since.
    pub fn get_under(&self, hash: &TokenHash, lookup: Lookup, generation: u64) -> Option<SessionContext> {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        let entry = entries
            .get(&(hash.0, lookup))
            .filter(|e| e.generation == generation)?;
        let mut context = entry.context.clone();
        drop(entries);
        let activity = self.activity.read().unwrap_or_else(|p| p.into_inner());
        if let Some((at, ip)) = activity.get(&context.session_id) {
            if *at > context.last_active_at {
                context.last_active_at = *at;
                context.last_ip.clone_from(ip);
            }
        }
        Some(context)
    }

    /// Remembers a valid session read under `generation`. Ended sessions are not cached:
    /// they are answered from the database, which also says why they ended.
    pub fn put(&self, hash: &TokenHash, lookup: Lookup, generation: u64, context: &SessionContext) {
        if context.ended_at.is_some() || generation != self.generation() {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            (hash.0, lookup),
            Entry {
                generation,
                context: context.clone(),
            },
        );
    }

    pub fn touched(&self, session_id: Uuid, at: DateTime<Utc>, ip: &str) {
        let mut activity = self.activity.write().unwrap_or_else(|p| p.into_inner());
        if activity.len() >= MAX_ENTRIES {
            activity.clear();
        }
        match activity.get_mut(&session_id) {
            Some(seen) if seen.0 >= at => {}
            Some(seen) => *seen = (at, ip.to_string()),
            None => {
                activity.insert(session_id, (at, ip.to_string()));
            }
        }
    }

    /// Postgres: the database's generation, as a batch's snapshot saw it. Any other
    /// than the last one seen drops every entry: a newer one, or an older one (a
    /// database restored from a backup, or a batch that started before another's).
    /// Housekeeping only: a batch serves an entry only if it was read under exactly the
    /// generation that batch saw ([`Self::get_under`]).
    pub fn observe(&self, generation: u64) {
        if self.generation.swap(generation, Ordering::AcqRel) != generation {
            self.entries.write().unwrap_or_else(|p| p.into_inner()).clear();
        }
    }

    /// Whether an entry is kept for this lookup, whatever its generation.
    pub fn holds(&self, hash: &TokenHash, lookup: Lookup) -> bool {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        entries.contains_key(&(hash.0, lookup))
    }

    /// Drops the entries of one credential, so that its next lookup reads the database.
    pub fn forget(&self, hash: &TokenHash) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        for lookup in [Lookup::Browser, Lookup::Refresh, Lookup::Access] {
            entries.remove(&(hash.0, lookup));
        }
    }

    /// Called after every committed write that could make an entry wrong.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.entries.write().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{LoginSessionSettings, Role, SessionKind};
    use chrono::TimeZone;

    fn context() -> SessionContext {
        let at = Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap();
        SessionContext {
            session_id: Uuid::new_v4(),
            account_id: Uuid::new_v4(),
            user_id: Uuid::new_v4(),
            kind: SessionKind::Browser,
            created_at: at,
            last_active_at: at,
            last_ip: "192.0.2.1".into(),
            ended_at: None,
            end_reason: None,
            role: Role::Member,
            display_name: "Member".into(),
            email: "member@acme.test".into(),
            account_name: "Acme".into(),
            settings: LoginSessionSettings::default(),
            token_expires_at: None,
            remembered: false,
        }
    }

    /// Postgres: two batches in flight. One saw generation 5 (an end committed); the
    /// other, whose snapshot predates the end, returns later and keeps what it read under
    /// 4. The first must not serve that: only entries read under exactly its own.
    #[test]
    fn a_batch_serves_only_entries_read_under_its_own_generation() {
        let cache = SessionCache::default();
        let hash = TokenHash([7; 32]);
        cache.observe(5);
        cache.observe(4);
        cache.put(&hash, Lookup::Browser, 4, &context());
        assert!(cache.holds(&hash, Lookup::Browser));
        assert_eq!(cache.get_under(&hash, Lookup::Browser, 5), None);
        assert!(cache.get_under(&hash, Lookup::Browser, 4).is_some());

        // A newer generation empties the memory.
        cache.observe(6);
        assert!(!cache.holds(&hash, Lookup::Browser));
    }
}
