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

/// Credentials the database did not know, kept at most. Their own map, so that a flood
/// of made-up tokens empties only itself, never the live sessions' entries.
const MAX_UNKNOWN: usize = 10_000;

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

/// What the database answered for a credential: its session (live or ended), or none.
pub type Answer = Option<SessionContext>;

#[derive(Default)]
pub struct SessionCache {
    generation: AtomicU64,
    entries: RwLock<Digests<Entry>>,
    /// Credentials no session has, each with the generation it was looked up under. A
    /// token is 256 random bits, handed out only after its row commits: one presented
    /// and not found is never issued later. A session purged after its end drops out
    /// too; it stays refused either way.
    unknown: RwLock<Digests<u64>>,
    /// Activity recorded since the entries were read: (last active, last address).
    activity: RwLock<HashMap<Uuid, (DateTime<Utc>, String)>>,
}

impl SessionCache {
    /// The generation to stamp on an entry about to be read from the database.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn get(&self, hash: &TokenHash, lookup: Lookup) -> Option<Answer> {
        self.get_under(hash, lookup, self.generation())
    }

    /// The answer read under exactly `generation`, with activity recorded since; `None`
    /// when nothing is remembered under it.
    pub fn get_under(&self, hash: &TokenHash, lookup: Lookup, generation: u64) -> Option<Answer> {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        let Some(entry) = entries
            .get(&(hash.0, lookup))
            .filter(|e| e.generation == generation)
        else {
            drop(entries);
            let unknown = self.unknown.read().unwrap_or_else(|p| p.into_inner());
            return unknown
                .get(&(hash.0, lookup))
                .filter(|g| **g == generation)
                .map(|_| None);
        };
        let mut context = entry.context.clone();
        drop(entries);
        // Activity never extends an end: an ended session keeps the time it was stored with.
        if context.ended_at.is_some() {
            return Some(Some(context));
        }
        let activity = self.activity.read().unwrap_or_else(|p| p.into_inner());
        if let Some((at, ip)) = activity.get(&context.session_id) {
            if *at > context.last_active_at {
                context.last_active_at = *at;
                context.last_ip.clone_from(ip);
            }
        }
        Some(Some(context))
    }

    /// Remembers a session read under `generation`. An ended one too, with why it ended:
    /// an end is final, and a credential refused once is often presented again (a leaked
    /// token replayed, clients retrying after a bulk end).
    pub fn put(&self, hash: &TokenHash, lookup: Lookup, generation: u64, context: &SessionContext) {
        if generation != self.generation() {
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

    /// Remembers that no session has this credential, as read under `generation`.
    pub fn put_unknown(&self, hash: &TokenHash, lookup: Lookup, generation: u64) {
        if generation != self.generation() {
            return;
        }
        let mut unknown = self.unknown.write().unwrap_or_else(|p| p.into_inner());
        if unknown.len() >= MAX_UNKNOWN {
            unknown.clear();
        }
        unknown.insert((hash.0, lookup), generation);
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
            self.clear();
        }
    }

    /// Whether an answer is kept for this lookup, whatever its generation.
    pub fn holds(&self, hash: &TokenHash, lookup: Lookup) -> bool {
        let key = (hash.0, lookup);
        self.entries
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(&key)
            || self
                .unknown
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .contains_key(&key)
    }

    /// Drops the answers for one credential, so that its next lookup reads the database.
    pub fn forget(&self, hash: &TokenHash) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        let mut unknown = self.unknown.write().unwrap_or_else(|p| p.into_inner());
        for lookup in [Lookup::Browser, Lookup::Refresh, Lookup::Access] {
            entries.remove(&(hash.0, lookup));
            unknown.remove(&(hash.0, lookup));
        }
    }

    /// Called after every committed write that could make an entry wrong.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.clear();
    }

    fn clear(&self) {
        self.entries.write().unwrap_or_else(|p| p.into_inner()).clear();
        self.unknown.write().unwrap_or_else(|p| p.into_inner()).clear();
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

    /// A credential no session has is answered from memory while the generation holds,
    /// and read again once it moves (an end, a change of limits, another node's write).
    #[test]
    fn an_unknown_credential_is_remembered_under_its_generation() {
        let cache = SessionCache::default();
        let hash = TokenHash([9; 32]);
        assert_eq!(cache.get(&hash, Lookup::Browser), None);
        cache.put_unknown(&hash, Lookup::Browser, cache.generation());
        assert_eq!(cache.get(&hash, Lookup::Browser), Some(None));
        assert!(cache.holds(&hash, Lookup::Browser));
        // Another kind of lookup of the same token was not answered.
        assert_eq!(cache.get(&hash, Lookup::Access), None);

        cache.invalidate();
        assert_eq!(cache.get(&hash, Lookup::Browser), None);

        // Read under a generation that moved meanwhile: not kept.
        let before = cache.generation();
        cache.invalidate();
        cache.put_unknown(&hash, Lookup::Browser, before);
        assert!(!cache.holds(&hash, Lookup::Browser));

        cache.put_unknown(&hash, Lookup::Browser, cache.generation());
        cache.forget(&hash);
        assert!(!cache.holds(&hash, Lookup::Browser));
    }

    /// An ended session is remembered with why it ended: an end is final.
    #[test]
    fn an_ended_session_is_remembered() {
        let cache = SessionCache::default();
        let hash = TokenHash([3; 32]);
        let mut ended = context();
        ended.ended_at = Some(ended.created_at);
        ended.end_reason = Some(crate::domain::EndReason::EndedByAdministrator);
        cache.put(&hash, Lookup::Browser, cache.generation(), &ended);
        assert_eq!(cache.get(&hash, Lookup::Browser), Some(Some(ended)));
    }

    /// Made-up tokens by the thousand empty only their own map: the live sessions'
    /// entries stay.
    #[test]
    fn a_flood_of_unknown_credentials_keeps_the_live_entries() {
        let cache = SessionCache::default();
        let live = TokenHash([1; 32]);
        cache.put(&live, Lookup::Browser, cache.generation(), &context());
        for n in 0..(MAX_UNKNOWN as u32 + 10) {
            let mut bytes = [0xAA; 32];
            bytes[..4].copy_from_slice(&n.to_le_bytes());
            cache.put_unknown(&TokenHash(bytes), Lookup::Browser, cache.generation());
        }
        assert!(cache.unknown.read().unwrap().len() <= MAX_UNKNOWN);
        assert!(matches!(cache.get(&live, Lookup::Browser), Some(Some(_))));
    }
}
