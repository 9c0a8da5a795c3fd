//! The SQLite backend: the default, a single file next to the server. One server process
//! owns the file, so its store may cache the session check's lookups (`cache.rs`).

use super::dialect::{self, Args, BoxFuture, Dialect, Record};
use super::sql_store::SqlStore;
use super::{sql, StoreError, StoreResult};
use sqlx::error::BoxDynError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::Executor;
use sqlx::{Database, Pool, Sqlite, SqliteConnection};
use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

pub type SqliteStore = SqlStore<Sqlite>;

impl SqlStore<Sqlite> {
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .pragma("analysis_limit", "1000")
            // Checkpoints run in `checkpoint_forever`, not in whichever commit crosses 1,000 pages.
            .pragma("wal_autocheckpoint", "0")
            .foreign_keys(true);
        if let Some(dir) = std::path::Path::new(options.get_filename()).parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
            }
        }
        // One writer at a time anyway; a few connections keep the page caches (2 MB each) small.
        // A local file cannot hang up: skip sqlx's ping on every acquire.
        // A write that failed for lack of space or an I/O error can leave its connection
        // holding the database's write lock; such connections are closed when released
        // rather than returned, so writes work again as soon as the disk does.
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(super::acquire_timeout())
            .test_before_acquire(false)
            .after_release(|_conn, _meta| Box::pin(async { Ok(!disk_failed_recently()) }))
            .connect_with(options)
            .await?;
        let checkpoints = tokio::spawn(checkpoint_forever(pool.clone()));
        Ok(SqlStore::new(pool, true).maintained_by(checkpoints))
    }
}

/// How often the write-ahead log is copied back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// Copies the write-ahead log into the database file every second, off the request path.
/// Left to SQLite, the commit that grows the log past 1,000 pages does it before it
/// returns: 0.65 s added to a bulk end of 10,000 sessions. A passive checkpoint waits for
/// no one; what a reader still needs stays in the log until the next one.
async fn checkpoint_forever(pool: Pool<Sqlite>) {
    let mut every = tokio::time::interval(CHECKPOINT_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
            tracing::warn!(error = %e, "SQLite checkpoint failed");
        }
    }
}

/// Until when connections released are closed rather than reused (milliseconds since the
/// Unix epoch), after a write failed for lack of space or an I/O error.
static DISCARD_UNTIL_MS: AtomicI64 = AtomicI64::new(0);

/// Notes that a SQLite write failed at the disk (SQLITE_FULL, SQLITE_IOERR): every
/// connection released in the next second is closed, the failed one among them.
pub(super) fn note_disk_failure(e: &sqlx::Error) {
    let disk = match e {
        sqlx::Error::Database(db) => db
            .code()
            .and_then(|code| code.parse::<i64>().ok())
            .is_some_and(|code| matches!(code & 0xff, 10 | 13)),
        _ => false,
    };
    if disk {
        DISCARD_UNTIL_MS.store(chrono::Utc::now().timestamp_millis() + 1000, Ordering::Relaxed);
    }
}

fn disk_failed_recently() -> bool {
    chrono::Utc::now().timestamp_millis() < DISCARD_UNTIL_MS.load(Ordering::Relaxed)
}

impl Dialect for Sqlite {
    const BACKEND: &'static str = "sqlite";
    const NAME_FOLDED: &'static str = "u.display_name";
    const NAME_ORDER: &'static str = "u.display_name COLLATE NOCASE";
    const PEOPLE_FIRST_IN_LARGE_ACCOUNTS: bool = true;
    const UPDATE_SETTINGS: &'static str = sql::UPDATE_SETTINGS_SQLITE;
    const CONTEXT_BY_TOKEN: &'static str = sql::CONTEXT_BY_TOKEN_SQLITE;
    // Only tables without statistics, or ten times larger or smaller than when last
    // analysed (`PRAGMA optimize`, every table looked at: 0x10000). A plain ANALYZE
    // counted every entry of every index before sampling (the bundled SQLite keeps
    // stat4 samples, and `analysis_limit` does not bound that count): 0.5-1 s at 1 M
    // sessions, 1-5 s under load, with the one writer held. A connection loads the
    // statistics when it opens and again only when told to (`ANALYZE sqlite_schema`).
    const REFRESH_STATISTICS: Option<(&'static str, &'static str)> =
        Some(("PRAGMA optimize=0x10002", "ANALYZE sqlite_schema"));
    const ANONYMOUS_VALUES: bool = true;
    const PACKED_LISTS: bool = true;
    const ONE_WRITER: bool = true;
    const UPDATE_MANY: &'static str = "UPDATE OR FAIL";
    const ROW_KEY: &'static str = "rowid";

    // Without it, a search by person walks the whole account newest first, looking for
    // a few people's sessions among a million.
    fn selective(condition: String) -> String {
        format!("likelihood({condition}, 0.001)")
    }

    fn unindexed(column: &str) -> String {
        format!("+{column}")
    }

    fn walk_index(index: &str) -> String {
        format!(" INDEXED BY {index}")
    }

    fn migrate(pool: &Pool<Self>) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(async move { Ok(MIGRATOR.run(pool).await?) })
    }

    #[cfg(feature = "testing")]
    fn migrate_from<'a>(pool: &'a Pool<Self>, dir: &'a std::path::Path) -> BoxFuture<'a, StoreResult<()>> {
        Box::pin(async move { Ok(sqlx::migrate::Migrator::new(dir).await?.run(pool).await?) })
    }

    fn arguments<'q>(values: Args) -> Result<<Self as Database>::Arguments<'q>, BoxDynError> {
        dialect::arguments::<Sqlite>(values)
    }

    fn fetch_all<'c, R: Record>(
        conn: &'c mut SqliteConnection,
        sql: &'c str,
        args: Args,
    ) -> BoxFuture<'c, Result<Vec<R>, sqlx::Error>> {
        Box::pin(dialect::fetch_all::<Sqlite, R>(conn, sql, args))
    }

    fn execute<'c>(
        conn: &'c mut SqliteConnection,
        sql: &'c str,
        args: Args,
    ) -> BoxFuture<'c, Result<u64, sqlx::Error>> {
        Box::pin(async move { Ok(dialect::execute::<Sqlite>(conn, sql, args).await?.rows_affected()) })
    }

    fn execute_raw<'c>(
        conn: &'c mut SqliteConnection,
        sql: &'c str,
    ) -> BoxFuture<'c, Result<u64, sqlx::Error>> {
        Box::pin(async move { Ok(conn.execute(sql).await?.rows_affected()) })
    }
}
