//! The Postgres backend, for deployments where several server processes share one
//! database. Its store keeps no truth in memory: an end made by one process holds at
//! once in all of them. What a node remembers of the session check's answers it serves
//! only after the database confirmed, for each batch, that nothing changed since
//! (`coalesce.rs`).

use super::coalesce::{Coalescer, QUERIES_IN_FLIGHT};
use super::dialect::{self, Args, BoxFuture, Dialect, Record};
use super::events::{self, Bus, Feed};
use super::sql_store::SqlStore;
use super::{sql, StoreResult};
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgListener, PgPoolOptions};
use sqlx::Executor;
use sqlx::{Database, PgConnection, Pool, Postgres};
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// A pooled connection idle longer than this is pinged before use.
const IDLE_PING_AFTER: Duration = Duration::from_secs(30);

pub type PostgresStore = SqlStore<Postgres>;

impl SqlStore<Postgres> {
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let pool = pool_options(super::pool_size()).connect(url).await?;
        // The session check's coalesced lookups have connections of their own, one per
        // query in flight, with generic plans: Postgres would otherwise plan the batch
        // afresh for every array it is given (about 2 ms, more than the lookups).
        let lookups = pool_options(QUERIES_IN_FLIGHT as u32)
            .after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute("SET plan_cache_mode = force_generic_plan").await?;
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        let (coalescer, task) = Coalescer::start(lookups);
        let store = SqlStore::new(pool, false)
            .coalesced(coalescer)
            .maintained_by(task);
        let listener = tokio::spawn(listen_forever(url.to_string(), store.bus()));
        Ok(store.maintained_by(listener))
    }
}

/// Forwards every node's session events (`NOTIFY`, sent as each write commits) to this
/// node's subscribers, on a connection of its own. Whenever it (re)connects, events may
/// have been missed: subscribers are told to resynchronise.
async fn listen_forever(url: String, bus: Bus) {
    loop {
        match PgListener::connect(&url).await {
            Ok(mut listener) => match listener.listen(events::CHANNEL).await {
                Ok(()) => {
                    bus.send(Feed::Resync);
                    forward(&mut listener, &bus).await;
                }
                Err(e) => tracing::warn!(error = %e, "cannot listen for session events"),
            },
            Err(e) => tracing::warn!(error = %e, "cannot connect to listen for session events"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn forward(listener: &mut PgListener, bus: &Bus) {
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => {
                for event in events::parse(notification.payload()) {
                    bus.send(Feed::Event(event));
                }
            }
            // The connection dropped; the next call reconnects. What was sent meanwhile is lost.
            Ok(None) => {
                tracing::warn!("the session event listener lost its connection; reconnecting");
                bus.send(Feed::Resync);
            }
            Err(e) => {
                tracing::warn!(error = %e, "the session event listener failed");
                return;
            }
        }
    }
}

/// sqlx pings a pooled connection on every acquire by default: a second round trip for
/// each session check. Ping only one that sat idle long enough to have been dropped by
/// the server or a firewall; otherwise a dead connection fails its query once and is
/// discarded.
fn pool_options(connections: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(connections)
        .acquire_timeout(super::acquire_timeout())
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > IDLE_PING_AFTER {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
}

#[cfg(feature = "testing")]
impl SqlStore<Postgres> {
    /// A store whose connections are opened on first use, for tests of a database that
    /// does not answer.
    pub fn connect_lazy(url: &str, acquire_timeout: Duration) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .acquire_timeout(acquire_timeout)
            .connect_lazy(url)?;
        Ok(SqlStore::new(pool, false))
    }
}

impl Dialect for Postgres {
    const BACKEND: &'static str = "postgres";
    const UPDATE_SETTINGS: &'static str = sql::UPDATE_SETTINGS_POSTGRES;
    const CONTEXT_BY_TOKEN: &'static str = sql::CONTEXT_BY_TOKEN_POSTGRES;
    // Autovacuum keeps Postgres's statistics current.
    const REFRESH_STATISTICS: Option<(&'static str, &'static str)> = None;
    const NOTIFY: Option<&'static str> = Some("SELECT pg_notify($1, $2)");
    // Paced (a 2 ms pause per 1 000 units of work), so that the sweep's vacuum does not
    // take the database's CPU from the requests it serves meanwhile. After 10 000 ends at
    // a million sessions: unpaced, 1.5 s during which a count of 100 000 took twice as
    // long; at autovacuum's pace (200 units), 9 s; at this one, 2.5–2.8 s and about a
    // tenth longer. A node whose neighbour is already vacuuming moves on (`SKIP_LOCKED`).
    const TIDY_SESSIONS: &'static [&'static str] = &[
        "SET vacuum_cost_delay = '2ms'",
        "SET vacuum_cost_limit = 1000",
        "VACUUM (SKIP_LOCKED) login_sessions",
    ];

    fn migrate(pool: &Pool<Self>) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(async move { Ok(MIGRATOR.run(pool).await?) })
    }

    #[cfg(feature = "testing")]
    fn migrate_from<'a>(pool: &'a Pool<Self>, dir: &'a std::path::Path) -> BoxFuture<'a, StoreResult<()>> {
        Box::pin(async move { Ok(sqlx::migrate::Migrator::new(dir).await?.run(pool).await?) })
    }

    fn arguments<'q>(values: Args) -> Result<<Self as Database>::Arguments<'q>, BoxDynError> {
        dialect::arguments::<Postgres>(values)
    }

    fn fetch_all<'c, R: Record>(
        conn: &'c mut PgConnection,
        sql: &'c str,
        args: Args,
    ) -> BoxFuture<'c, Result<Vec<R>, sqlx::Error>> {
        Box::pin(dialect::fetch_all::<Postgres, R>(conn, sql, args))
    }

    fn execute<'c>(
        conn: &'c mut PgConnection,
        sql: &'c str,
        args: Args,
    ) -> BoxFuture<'c, Result<u64, sqlx::Error>> {
        Box::pin(async move {
            Ok(dialect::execute::<Postgres>(conn, sql, args)
                .await?
                .rows_affected())
        })
    }

    fn execute_raw<'c>(conn: &'c mut PgConnection, sql: &'c str) -> BoxFuture<'c, Result<u64, sqlx::Error>> {
        Box::pin(async move { Ok(conn.execute(sql).await?.rows_affected()) })
    }
}
