//! The session check on Postgres, coalesced: lookups waiting at the same moment go to
//! the database as one query, so a busy node pays one round trip, one statement and one
//! pool checkout for many checks instead of one each.
//!
//! A node also remembers the answers (`cache.rs`), each with the check generation its
//! snapshot saw (migration 0010: every committed change to what the check reads raises
//! it, through triggers). A batch whose lookups are all remembered asks the database
//! only for the current generation and serves the entries read under it.
//!
//! Immediacy is kept: a lookup joins a batch only after its request arrived, and the
//! batch's query starts after it joined, so it sees every change committed before the
//! request arrived, through this node or any other. Such a change raised the generation,
//! so an entry read before it is not served: it is read again.

use super::cache::{Lookup, SessionCache};
use super::sql_store::is_broken_connection;
use super::{sql, SessionContext, StoreError, StoreResult, TokenHash};
use crate::domain::SessionKind;
use sqlx::{ConnectOptions, PgConnection, PgPool, Postgres};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Semaphore};

/// Most lookups one query answers.
const MOST_PER_QUERY: usize = 128;

/// Queries in flight at once (and connections of the lookups' own pool). While they
/// run, new lookups queue up and form the next batch; more slots mean smaller batches
/// and more statements for the database.
pub(in crate::store) const QUERIES_IN_FLIGHT: usize = 2;

/// How many times the batching task lets the runtime run other tasks before it takes a
/// batch. Requests this node is already serving then reach their lookup and join the
/// same query, instead of the task leaving with the first one or two. No timer: they
/// only get their turn ahead of this task. Measured (200 000 sessions, wrk, 32
/// connections): database CPU per cookie check 13–19 µs without, 8–12 µs with one or
/// more; more than two gained nothing.
const YIELDS_BEFORE_A_BATCH: usize = 2;

struct Pending {
    lookup: Lookup,
    hash: TokenHash,
    reply: oneshot::Sender<StoreResult<Option<SessionContext>>>,
}

/// Hands lookups to the task that batches them.
pub(in crate::store) struct Coalescer {
    queue: mpsc::UnboundedSender<Pending>,
    memory: Arc<SessionCache>,
}

impl Coalescer {
    /// The coalescer and the task that runs its queries (until the coalescer is dropped).
    pub fn start(pool: PgPool) -> (Self, tokio::task::JoinHandle<()>) {
        let (queue, waiting) = mpsc::unbounded_channel();
        let memory = Arc::new(SessionCache::default());
        let task = tokio::spawn(batch_forever(pool, memory.clone(), waiting));
        (Coalescer { queue, memory }, task)
    }

    /// Activity this node wrote, so that its remembered answers do not look idle.
    pub fn touched(&self, session_id: uuid::Uuid, at: chrono::DateTime<chrono::Utc>, ip: &str) {
        self.memory.touched(session_id, at, ip);
    }

    /// Forgets what this node remembers of one credential.
    pub fn forget(&self, hash: &TokenHash) {
        self.memory.forget(hash);
    }

    pub async fn find(&self, lookup: Lookup, hash: &TokenHash) -> StoreResult<Option<SessionContext>> {
        let (reply, answer) = oneshot::channel();
        let pending = Pending {
            lookup,
            hash: *hash,
            reply,
        };
        self.queue.send(pending).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> StoreError {
    StoreError::Unavailable(sqlx::Error::PoolClosed)
}

async fn batch_forever(
    pool: PgPool,
    memory: Arc<SessionCache>,
    mut waiting: mpsc::UnboundedReceiver<Pending>,
) {
    let slots = Arc::new(Semaphore::new(QUERIES_IN_FLIGHT));
    while let Some(first) = waiting.recv().await {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        for _ in 0..YIELDS_BEFORE_A_BATCH {
            tokio::task::yield_now().await;
        }
        // Everything queued by now, including what arrived while every slot was busy.
        let mut batch = vec![first];
        while batch.len() < MOST_PER_QUERY {
            match waiting.try_recv() {
                Ok(pending) => batch.push(pending),
                Err(_) => break,
            }
        }
        let (pool, memory) = (pool.clone(), memory.clone());
        tokio::spawn(async move {
            answer(&pool, &memory, batch).await;
            drop(slot);
        });
    }
}

/// A found session with the hash that found it.
#[derive(sqlx::FromRow)]
struct Found {
    looked_up: Vec<u8>,
    generation: i64,
    #[sqlx(flatten)]
    context: SessionContext,
}

async fn answer(pool: &PgPool, memory: &SessionCache, batch: Vec<Pending>) {
    // A CLI refresh token is never remembered: its rotation must be seen at once, and it
    // is presented once in ten minutes.
    let (remembered, mut unknown): (Vec<_>, Vec<_>) = batch
        .into_iter()
        .partition(|p| p.lookup != Lookup::Refresh && memory.holds(&p.hash, p.lookup));
    if !remembered.is_empty() {
        match generation(pool).await {
            Ok(generation) => {
                memory.observe(generation);
                for pending in remembered {
                    // Exactly this batch's generation: an entry read under an older one
                    // may predate an end, and one read under a newer one comes from a
                    // concurrent batch (served on its own turn).
                    match memory.get_under(&pending.hash, pending.lookup, generation) {
                        Some(answer) => {
                            let answer = answer.map(|mut context| {
                                context.remembered = true;
                                context
                            });
                            let _ = pending.reply.send(Ok(answer));
                        }
                        None => unknown.push(pending),
                    }
                }
            }
            // The lookups below meet the same fault and report it.
            Err(_) => unknown.extend(remembered),
        }
    }
    let (access, session): (Vec<_>, Vec<_>) = unknown.into_iter().partition(|p| p.lookup == Lookup::Access);
    for (group, statement) in [
        (session, sql::CONTEXTS_BY_TOKEN_POSTGRES),
        (access, sql::CONTEXTS_BY_ACCESS_TOKEN),
    ] {
        if group.is_empty() {
            continue;
        }
        // The same credential may wait twice (a browser's parallel requests).
        let mut hashes: Vec<&[u8]> = group.iter().map(|p| p.hash.0.as_slice()).collect();
        hashes.sort_unstable();
        hashes.dedup();
        // A credential the query does not find is remembered under the generation seen
        // before it ran: no row carries the snapshot's. Unknown stays unknown (see
        // `SessionCache::unknown`), so an older number only forgets it sooner.
        let before = memory.generation();
        match query(pool, statement, &hashes).await {
            Ok(found) => {
                if let Some(newest) = found.iter().map(|f| f.generation).max() {
                    memory.observe(as_generation(newest));
                }
                for pending in group {
                    let found = found
                        .iter()
                        .find(|f| f.looked_up == pending.hash.0 && kind_fits(pending.lookup, f.context.kind));
                    match found {
                        _ if pending.lookup == Lookup::Refresh => {}
                        Some(f) => memory.put(
                            &pending.hash,
                            pending.lookup,
                            as_generation(f.generation),
                            &f.context,
                        ),
                        None => memory.put_unknown(&pending.hash, pending.lookup, before),
                    }
                    let _ = pending.reply.send(Ok(found.map(|f| f.context.clone())));
                }
            }
            Err(e) => {
                // The first waiter carries the cause (logged once, where it becomes an
                // `AppError`); the others learn only that the lookup failed.
                let unavailable = matches!(e, StoreError::Unavailable(_));
                let mut cause = Some(e);
                for pending in group {
                    let error = cause.take().unwrap_or_else(|| shared(unavailable));
                    let _ = pending.reply.send(Err(error));
                }
            }
        }
    }
}

/// The database's check generation now.
async fn generation(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let value: i64 = sqlx::query_scalar(sql::CHECK_GENERATION).fetch_one(pool).await?;
    Ok(as_generation(value))
}

/// The column counts up from 0.
fn as_generation(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// The batch's query. Like every read, it runs once more on a new connection when the
/// pooled one turns out to be broken (the database restarted, a link dropped).
async fn query(pool: &PgPool, statement: &str, hashes: &[&[u8]]) -> StoreResult<Vec<Found>> {
    let mut conn = pool.acquire().await?;
    match fetch(&mut conn, statement, hashes).await {
        Err(e) if is_broken_connection(&e) => {
            conn.close_on_drop();
            drop(conn);
            tracing::warn!(error = %e, "a pooled database connection broke; reading again on a new one");
            let mut fresh = pool.connect_options().connect().await?;
            let found = fetch(&mut fresh, statement, hashes).await?;
            let _ = sqlx::Connection::close(fresh).await;
            Ok(found)
        }
        found => Ok(found?),
    }
}

async fn fetch(
    conn: &mut PgConnection,
    statement: &str,
    hashes: &[&[u8]],
) -> Result<Vec<Found>, sqlx::Error> {
    sqlx::query_as::<Postgres, Found>(statement)
        .bind(hashes)
        .fetch_all(conn)
        .await
}

/// What the other waiters of a failed batch get.
fn shared(unavailable: bool) -> StoreError {
    let e = sqlx::Error::Protocol("the session lookup failed".into());
    if unavailable {
        StoreError::Unavailable(e)
    } else {
        StoreError::Database(e)
    }
}

/// A browser cookie finds only browser sessions; a refresh token only CLI sessions.
fn kind_fits(lookup: Lookup, kind: SessionKind) -> bool {
    match lookup {
        Lookup::Browser => kind == SessionKind::Browser,
        Lookup::Refresh => kind == SessionKind::Cli,
        Lookup::Access => true,
    }
}
