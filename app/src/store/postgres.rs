//! The Postgres implementation, for deployments where several server processes share one database.

use super::cache::Lookup;
use super::shared::{shared_store, CONTEXT_JOINS, CONTEXT_SELECT, LISTING_COLUMNS, SESSION_COLUMNS};
use super::*;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use sqlx::QueryBuilder;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

const BACKEND: &str = "postgres";
/// Settings are read and then updated in one transaction: lock the row in between.
const LOCK_ROW: &str = " FOR UPDATE";
const NULL_INSTANT: &str = "NULL::timestamptz";
/// A pooled connection idle longer than this is pinged before use.
const IDLE_PING_AFTER: Duration = Duration::from_secs(30);

pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    pub async fn connect(url: &str) -> StoreResult<Self> {
        // sqlx pings a pooled connection on every acquire by default: a second round trip
        // for each session check. Ping only one that sat idle long enough to have been
        // dropped by the server or a firewall; otherwise a dead connection fails its
        // query once and is discarded.
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(5))
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for > IDLE_PING_AFTER {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .connect(url)
            .await?;
        Ok(Self { pool })
    }
}

/// The session-cache hooks the shared SQL calls: none here. Several server processes
/// share one Postgres, and a revocation made by one must hold at once in all of them.
impl PostgresStore {
    fn cached(&self, _hash: &TokenHash, _lookup: Lookup) -> Option<SessionContext> {
        None
    }

    fn generation(&self) -> u64 {
        0
    }

    fn remember(&self, _hash: &TokenHash, _lookup: Lookup, _generation: u64, _context: &SessionContext) {}

    fn invalidate(&self) {}

    fn touched(&self, _id: Uuid, _at: DateTime<Utc>, _ip: &str) {}
}

shared_store!(PostgresStore, sqlx::Postgres);
