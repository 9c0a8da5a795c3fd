//! Login sessions: creating, listing and ending them, their credentials, the session
//! check's lookups and the sweep.

use super::{insert_audits, SqlStore, Tx};
use crate::domain::device::describe;
use crate::domain::search::ip_key;
use crate::domain::{EndReason, SessionKind, SessionView};
use crate::model::{LoginSession, SessionListing};
use crate::store::cache::Lookup;
use crate::store::dialect::Value;
use crate::store::dialect::{args, Args, Dialect};
use crate::store::events::{Change, Feed, SessionEvent};
use crate::store::types::conflict;
use crate::store::{
    sql, AccountSessionListing, Activity, EndedSession, Liveness, NewAuditEvent, NewSession, SessionContext,
    SessionCount, SessionEnd, SessionMatch, SessionQuery, SessionSelection, SessionStore, StoreError,
    StoreResult, TokenHash, BULK_ROWS,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use uuid::Uuid;

/// What an ended session's audit event needs, kept while an end's statements run (the
/// account is the end's own: every statement is limited to it).
struct Ended {
    session: EndedSession,
    kind: SessionKind,
    last_ip: String,
}

impl From<LoginSession> for Ended {
    fn from(s: LoginSession) -> Self {
        Ended {
            session: EndedSession::from(&s),
            kind: s.kind,
            last_ip: s.last_ip,
        }
    }
}

fn ended_rows(rows: Vec<LoginSession>) -> impl Iterator<Item = Ended> {
    rows.into_iter().map(Ended::from)
}

/// Writes an audit event for each session `end` ended, a multi-row statement at a time,
/// and returns them. The events go in in the order of the person they are about: the
/// log's index by person then takes each new entry next to the one before, instead of
/// on a page of its own. In random order that index was two thirds of the time 12 000
/// events took to insert on SQLite (docs/performance.md, "The bulk end's time").
async fn record_ended<DB: Dialect>(
    tx: &mut Tx<DB>,
    account_id: Uuid,
    mut rows: Vec<Ended>,
    end: &SessionEnd,
) -> StoreResult<Vec<EndedSession>> {
    rows.sort_unstable_by_key(|r| r.session.user_id);
    for chunk in rows.chunks(BULK_ROWS) {
        let events: Vec<_> = chunk
            .iter()
            .map(|r| NewAuditEvent::session_ended(account_id, &r.session, r.kind, &r.last_ip, end))
            .collect();
        insert_audits(tx, &events).await?;
    }
    Ok(rows.into_iter().map(|r| r.session).collect())
}

/// What happened to a session, for the live console.
fn event(session: &LoginSession, change: Change) -> SessionEvent {
    SessionEvent {
        account_id: session.account_id,
        user_id: session.user_id,
        session_id: session.id,
        change,
    }
}

#[async_trait]
impl<DB: Dialect> SessionStore for SqlStore<DB> {
    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Feed> {
        self.bus().subscribe()
    }

    async fn create_session(&self, new: &NewSession) -> StoreResult<LoginSession> {
        let (_turn, mut tx) = self.begin_write().await?;
        let device = describe(&new.user_agent, new.kind == SessionKind::Cli);
        let label = device.label();
        DB::execute(&mut *tx, sql::ADD_DEVICE_LABEL, args![&label]).await?;
        let mut args = new_session_args(new);
        args.extend(args![
            Value::Bytes(ip_key(&new.ip)),
            label,
            device.name,
            device.kind.as_str()
        ]);
        let created = DB::fetch_all(&mut *tx, sql::INSERT_SESSION, args).await;
        let session: LoginSession = created.map_err(conflict)?.pop().ok_or(StoreError::NotFound)?;
        let args = args![new.account_id, new.user_id, new.created_at];
        DB::execute(&mut *tx, sql::MEMBER_ACTIVE_AT, args).await?;
        insert_audits(&mut tx, &[NewAuditEvent::signed_in(&session)]).await?;
        let started = [event(&session, Change::Started)];
        Self::announce(&mut tx, &started).await?;
        tx.commit().await?;
        // Tokens are random and issued only now, so none was remembered as unknown; a
        // caller's own token (tests, tools) might have been.
        self.forget_remembered(&new.token_hash);
        self.announced(&started);
        Ok(session)
    }

    async fn record_activity(&self, batch: &[Activity]) -> StoreResult<usize> {
        if batch.is_empty() {
            return Ok(0);
        }
        // Rows are locked in one order, every session by id and then every member by
        // key, so that two nodes writing overlapping batches at once wait for each other
        // instead of deadlocking (Postgres aborted one of them after a second's wait).
        let mut ordered: Vec<&Activity> = batch.iter().collect();
        ordered.sort_by_key(|a| a.session_id);
        let (_turn, mut tx) = self.begin_write().await?;
        let mut moved = Vec::with_capacity(batch.len());
        let mut members: BTreeMap<(Uuid, Uuid), DateTime<Utc>> = BTreeMap::new();
        for a in ordered {
            let args = args![a.session_id, a.at, &a.ip, Value::Bytes(ip_key(&a.ip))];
            let touched: Option<(Uuid, Uuid)> =
                DB::fetch_optional(&mut *tx, sql::TOUCH_SESSION, args).await?;
            let Some((account_id, user_id)) = touched else {
                continue;
            };
            let latest = members.entry((account_id, user_id)).or_insert(a.at);
            *latest = (*latest).max(a.at);
            moved.push(SessionEvent {
                account_id,
                user_id,
                session_id: a.session_id,
                change: Change::Active,
            });
        }
        for ((account_id, user_id), at) in members {
            DB::execute(&mut *tx, sql::MEMBER_ACTIVE_AT, args![account_id, user_id, at]).await?;
        }
        Self::announce(&mut tx, &moved).await?;
        tx.commit().await?;
        self.announced(&moved);
        for a in batch {
            if let Some(cache) = &self.cache {
                cache.touched(a.session_id, a.at, &a.ip);
            }
            if let Some(coalescer) = &self.coalescer {
                coalescer.touched(a.session_id, a.at, &a.ip);
            }
        }
        Ok(moved.len())
    }

    async fn session(&self, account_id: Uuid, id: Uuid) -> StoreResult<Option<LoginSession>> {
        self.optional(sql::SESSION, args![id, account_id]).await
    }

    async fn sessions_of_user(
        &self,
        account_id: Uuid,
        user_id: Uuid,
        view: SessionView,
        live: Liveness,
    ) -> StoreResult<Vec<SessionListing>> {
        let mut args = args![account_id, user_id];
        if view != SessionView::All {
            args.extend(args![live.idle_before, live.created_before]);
        }
        if DB::PACKED_LISTS {
            let mut rows: Vec<SessionListing> =
                self.packed(&sql::packed_sessions_of_user(view), args).await?;
            // Newest first, as `sql::sessions_of_user` orders them.
            rows.sort_by_key(|r| std::cmp::Reverse(r.session.created_at));
            return Ok(rows);
        }
        self.all(sql::sessions_of_user(view), args).await
    }

    async fn end_sessions(
        &self,
        account_id: Uuid,
        selection: &SessionSelection,
        end: &SessionEnd,
    ) -> StoreResult<Vec<EndedSession>> {
        let (_turn, mut tx) = self.begin_write().await?;
        let mut rows: Vec<Ended> = Vec::new();
        let mut bulk = None;
        match selection {
            SessionSelection::LiveOfUser {
                user_id,
                except,
                live,
            } => {
                let args = args![
                    end.at,
                    end.by,
                    end.reason,
                    account_id,
                    *user_id,
                    live.idle_before,
                    live.created_before,
                    *except,
                ];
                rows.extend(ended_rows(
                    DB::fetch_all(&mut *tx, sql::END_LIVE_OF_USER, args).await?,
                ));
            }
            SessionSelection::ExpiredByChange { old, new, reason } => {
                let mut args = args![end.at, end.by, end.reason, old.idle_before, old.created_before];
                let sql = if *reason == EndReason::MaximumDuration {
                    args.extend(args![new.created_before, account_id]);
                    sql::END_PAST_NEW_MAXIMUM
                } else {
                    args.extend(args![new.idle_before, account_id, new.created_before]);
                    sql::END_PAST_NEW_INACTIVITY
                };
                rows.extend(ended_rows(DB::fetch_all(&mut *tx, sql, args).await?));
            }
            SessionSelection::Matching { matching, summary } => {
                // A statement's worth at a time: a bulk end of thousands decodes one
                // chunk's full rows at once, and keeps of each only what its audit event
                // needs. The first statement writes, so SQLite's transaction holds the
                // write lock from its start and what matches cannot change between chunks.
                loop {
                    let (sql, args) = sql::end_matching::<DB>(account_id, matching, end, BULK_ROWS);
                    let chunk: Vec<LoginSession> = DB::fetch_all(&mut *tx, &sql, args).await?;
                    let last = chunk.len() < BULK_ROWS;
                    rows.extend(ended_rows(chunk));
                    if last {
                        break;
                    }
                }
                bulk = Some(summary);
            }
            SessionSelection::Ids { ids, user_id } => {
                for chunk in ids.chunks(BULK_ROWS) {
                    let (sql, args) = sql::end_by_ids::<DB>(account_id, chunk, *user_id, end);
                    rows.extend(ended_rows(DB::fetch_all(&mut *tx, &sql, args).await?));
                }
            }
        }
        let ended = record_ended(&mut tx, account_id, rows, end).await?;
        if let Some(summary) = bulk {
            let bulk = NewAuditEvent::bulk_end(account_id, end, summary, ended.len());
            insert_audits(&mut tx, &[bulk]).await?;
        }
        let events: Vec<_> = ended
            .iter()
            .map(|s| SessionEvent {
                account_id,
                user_id: s.user_id,
                session_id: s.id,
                change: Change::Ended(end.reason),
            })
            .collect();
        Self::announce(&mut tx, &events).await?;
        tx.commit().await?;
        // Cached lookups go first: whoever hears of an end (an open tab's stream looks
        // its session up again at once) must not find the session still live.
        if !ended.is_empty() {
            self.invalidate();
        }
        self.announced(&events);
        Ok(ended)
    }

    async fn search_sessions(
        &self,
        account_id: Uuid,
        query: &SessionQuery,
    ) -> StoreResult<Vec<AccountSessionListing>> {
        let (sql, args) = sql::search_sessions::<DB>(account_id, query);
        self.all(&sql, args).await
    }

    async fn count_sessions(
        &self,
        account_id: Uuid,
        matching: &SessionMatch,
        users: bool,
    ) -> StoreResult<SessionCount> {
        let (sql, args) = sql::count_sessions::<DB>(account_id, matching, users);
        Ok(self.optional(&sql, args).await?.unwrap_or_default())
    }

    async fn session_by_token(
        &self,
        hash: &TokenHash,
        kind: SessionKind,
    ) -> StoreResult<Option<SessionContext>> {
        let lookup = match kind {
            SessionKind::Browser => Lookup::Browser,
            SessionKind::Cli => Lookup::Refresh,
        };
        self.context(hash, lookup, DB::CONTEXT_BY_TOKEN, args![hash, kind])
            .await
    }

    async fn session_by_access_token(
        &self,
        hash: &TokenHash,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<SessionContext>> {
        let args = args![hash, now];
        let found = self
            .context(hash, Lookup::Access, sql::CONTEXT_BY_ACCESS_TOKEN, args)
            .await?;
        // A cached entry may outlive its token's ten minutes.
        Ok(found.filter(|c| c.token_expires_at.is_some_and(|expiry| expiry > now)))
    }

    fn forget_remembered(&self, hash: &TokenHash) {
        if let Some(coalescer) = &self.coalescer {
            coalescer.forget(hash);
        }
        if let Some(cache) = &self.cache {
            cache.forget(hash);
        }
    }

    async fn session_by_retired_refresh(&self, hash: &TokenHash) -> StoreResult<Option<(Uuid, Uuid)>> {
        self.optional(sql::RETIRED_REFRESH, args![hash]).await
    }

    async fn add_access_token(
        &self,
        session_id: Uuid,
        hash: &TokenHash,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let args = args![hash, session_id, expires_at];
        let _turn = self.write_turn().await;
        DB::execute(&mut *self.conn().await?, sql::INSERT_ACCESS_TOKEN, args)
            .await
            .map_err(conflict)?;
        self.forget_remembered(hash);
        Ok(())
    }

    async fn rotate_refresh_token(
        &self,
        session_id: Uuid,
        old: &TokenHash,
        new: &TokenHash,
        retired_until: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let (_turn, mut tx) = self.begin_write().await?;
        if DB::execute(&mut *tx, sql::SWAP_REFRESH, args![session_id, old, new]).await? != 1 {
            return Ok(false);
        }
        DB::execute(
            &mut *tx,
            sql::RETIRE_REFRESH,
            args![old, session_id, retired_until],
        )
        .await?;
        tx.commit().await?;
        self.invalidate();
        Ok(true)
    }

    async fn unrecorded_expired(
        &self,
        account_id: Uuid,
        live: Liveness,
        limit: i64,
    ) -> StoreResult<Vec<LoginSession>> {
        let args = args![account_id, live.idle_before, live.created_before, limit];
        self.all(sql::UNRECORDED_EXPIRED, args).await
    }

    async fn purge(&self, ended_before: DateTime<Utc>, now: DateTime<Utc>) -> StoreResult<u64> {
        let tokens = self.run(sql::PURGE_TOKENS, args![now]).await?;
        let sessions = self.run(sql::PURGE_SESSIONS, args![ended_before]).await?;
        // A purged session's credential is unknown now, no longer "ended because...".
        if sessions > 0 {
            self.invalidate();
        }
        Ok(tokens + sessions)
    }
}

/// The readable device a session's list row shows, kept for the device filter:
/// "Chrome on Windows 10 Desktop".
pub(in crate::store) fn device_label(user_agent: &str, kind: SessionKind) -> String {
    describe(user_agent, kind == SessionKind::Cli).label()
}

/// A new session's columns as every insert binds them first.
pub(in crate::store) fn new_session_args(new: &NewSession) -> Args {
    args![
        new.id,
        &new.token_hash,
        new.account_id,
        new.user_id,
        new.kind,
        new.created_at,
        new.expires_at,
        &new.ip,
        &new.user_agent,
    ]
}
