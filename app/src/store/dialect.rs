//! What differs between the backends, behind one small trait: the statements whose text
//! differs, migrations, and four primitives that bind arguments and run a statement on
//! a connection. The store itself (`sql_store/`) is written once, generic over
//! [`Dialect`]; each backend implements the trait by forwarding to the generic helpers
//! at the bottom of this file, where the sqlx bounds are stated once.

use super::{StoreResult, TokenHash};
use crate::domain::{EndReason, Role, SessionKind};
use chrono::{DateTime, Utc};
use sqlx::error::BoxDynError;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Arguments, Database, Encode, Executor, FromRow, IntoArguments, Pool, Type};
use std::future::Future;
use std::pin::Pin;
use uuid::Uuid;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One bound argument. Every statement's arguments are a list of these, so the store's
/// code needs no per-type bounds: each backend binds them itself.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Uuid(Option<Uuid>),
    Text(Option<String>),
    Int(Option<i64>),
    Time(Option<DateTime<Utc>>),
    Bytes(Vec<u8>),
}

pub type Args = Vec<Value>;

/// `args![a, b, c]`: the arguments of a statement, in placeholder order.
macro_rules! args {
    ($($value:expr),* $(,)?) => {
        vec![$($crate::store::dialect::Value::from($value)),*]
    };
}
pub(super) use args;

/// A type that is bound as one kind of [`Value`]; `None` binds a NULL of that kind.
pub trait Scalar: Sized {
    fn value(v: Option<Self>) -> Value;
}

impl Scalar for Uuid {
    fn value(v: Option<Self>) -> Value {
        Value::Uuid(v)
    }
}

impl Scalar for String {
    fn value(v: Option<Self>) -> Value {
        Value::Text(v)
    }
}

impl Scalar for i64 {
    fn value(v: Option<Self>) -> Value {
        Value::Int(v)
    }
}

impl Scalar for DateTime<Utc> {
    fn value(v: Option<Self>) -> Value {
        Value::Time(v)
    }
}

/// The domain's names are bound as text.
impl Scalar for crate::domain::audit::AuditAction {
    fn value(v: Option<Self>) -> Value {
        Value::Text(v.map(|a| a.as_str().to_string()))
    }
}

impl Scalar for EndReason {
    fn value(v: Option<Self>) -> Value {
        Value::Text(v.map(|r| r.as_str().to_string()))
    }
}

impl<T: Scalar> From<T> for Value {
    fn from(v: T) -> Self {
        T::value(Some(v))
    }
}

impl<T: Scalar> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        T::value(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(Some(v.to_string()))
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(Some(v.clone()))
    }
}

impl From<&TokenHash> for Value {
    fn from(v: &TokenHash) -> Self {
        Value::Bytes(v.0.to_vec())
    }
}

impl From<Role> for Value {
    fn from(v: Role) -> Self {
        v.as_str().into()
    }
}

impl From<SessionKind> for Value {
    fn from(v: SessionKind) -> Self {
        v.as_str().into()
    }
}

/// A row type both backends can read.
pub trait Record:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static
{
}

impl<T> Record for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static
{
}

pub trait Dialect: Database {
    /// "sqlite" or "postgres".
    const BACKEND: &'static str;
    /// The settings' compare-and-set: NULL-safe equality is spelled differently.
    const UPDATE_SETTINGS: &'static str;
    /// The session check by cookie or refresh token: a NULL timestamp is typed differently.
    const CONTEXT_BY_TOKEN: &'static str;
    /// Refreshes the query planner's statistics, which the search's plans depend on, and
    /// makes a connection read them again (each keeps its own copy); run at start-up and
    /// by the sweep. `None` where the database keeps them itself.
    const REFRESH_STATISTICS: Option<(&'static str, &'static str)>;
    /// Whether a statement made only of multi-row `VALUES` is written with `?` instead of
    /// `$1, $2, …`. SQLite finds a numbered parameter's name by walking a list, so binding
    /// n of them costs n²: 65 ms for the 8,000 arguments of a 1,000-row audit insert,
    /// 2.5 ms with `?` (which binds in order).
    const ANONYMOUS_VALUES: bool = false;
    /// How a statement that ends many sessions at once begins. SQLite keeps a statement
    /// journal (a copy, in a temporary file, of every page the statement touches) for
    /// any statement that may abort halfway; `OR FAIL` stops at a failed CHECK without
    /// undoing the rows before it, which the enclosing transaction's rollback does
    /// anyway. With the deferred `ended_by` key it saves a bulk end a third of its writes.
    const UPDATE_MANY: &'static str = "UPDATE";
    /// The column a bulk end picks its sessions' rows by. SQLite visits the rows of an
    /// `IN` list in the key's order: by the random session id, each row and each of its
    /// index entries is a page away from the last; by `rowid`, the table's own order,
    /// neighbouring rows share their pages.
    const ROW_KEY: &'static str = "id";
    /// Whether lists of many rows come back as one JSON array in one row. sqlx hands a
    /// SQLite row from its database thread to the async side one at a time, each with
    /// a thread wake-up: most of what a 100-session list cost (2.3 ms of CPU against
    /// 0.5 ms in SQLite itself). Postgres's rows arrive together over the socket.
    const PACKED_LISTS: bool = false;
    /// Whether one writer at a time is all the database allows (SQLite). A writer that
    /// finds it taken sleeps and retries (`busy_timeout`), so another that writes batch
    /// after batch without pausing (the sweep) could keep it waiting for seconds. Writers
    /// in this process take turns instead, first come first served (`SqlStore::write_turn`).
    const ONE_WRITER: bool = false;
    /// Run by the sweep once it has ended and purged: on Postgres a vacuum of the sessions,
    /// which marks the pages that ends and activity rewrote as visible to all again, so
    /// the account-wide search keeps counting from its indexes alone (SQLite's indexes
    /// carry no such mark). Run in order on a connection of their own.
    const TIDY_SESSIONS: &'static [&'static str] = &[];
    /// Sends a notification with the writing transaction (`$1` channel, `$2` payload);
    /// `None` where one process owns the database and publishes in memory.
    const NOTIFY: Option<&'static str> = None;
    /// A person's name as a lower-case pattern matches it. Postgres folds it with
    /// `LOWER`; SQLite's `LIKE` already ignores ASCII case, as far as its `LOWER` goes,
    /// and calling `LOWER` on every member costs a search most of its time.
    const NAME_FOLDED: &'static str = "LOWER(u.display_name)";
    /// The order of people by name, ignoring case: `LOWER` on Postgres; on SQLite the
    /// built-in NOCASE collation, the same ASCII folding without a call per row.
    const NAME_ORDER: &'static str = "LOWER(u.display_name)";
    /// Whether the store itself picks the order of a person search in an account that
    /// holds a quarter or more of everyone: the people first (their covering index, each
    /// match's membership probed), not the members. SQLite walks the members and descends
    /// into the people index for each: 7–12 ms for 10 000 members, against 1–4 ms the
    /// other way round. Postgres plans the join from its statistics itself.
    const PEOPLE_FIRST_IN_LARGE_ACCOUNTS: bool = false;

    /// Tells the planner a condition holds for few rows (a search for a person's
    /// sessions), where its own estimate would scan instead; as written by default.
    fn selective(condition: String) -> String {
        condition
    }

    /// A column compared without its indexes. SQLite plans a statement before it sees
    /// the bound values: given a few hundred listed ids and an account, it walks every
    /// active session of the account (0.7 s at a million sessions) instead of looking
    /// the ids up. As written by default.
    fn unindexed(column: &str) -> String {
        column.to_owned()
    }

    /// Makes a query walk `index` (the sort order's) instead of the one its planner
    /// would pick: for a search that matches so many rows that reading them in order
    /// finds a page sooner than collecting and sorting them all. Nothing by default.
    fn walk_index(_index: &str) -> String {
        String::new()
    }

    fn migrate(pool: &Pool<Self>) -> BoxFuture<'_, StoreResult<()>>;

    /// Applies the migrations found in `dir` (tests of upgrades).
    #[cfg(feature = "testing")]
    fn migrate_from<'a>(pool: &'a Pool<Self>, dir: &'a std::path::Path) -> BoxFuture<'a, StoreResult<()>>;

    /// Binds a statement's arguments.
    fn arguments<'q>(values: Args) -> Result<Self::Arguments<'q>, BoxDynError>;

    fn fetch_all<'c, R: Record>(
        conn: &'c mut Self::Connection,
        sql: &'c str,
        args: Args,
    ) -> BoxFuture<'c, Result<Vec<R>, sqlx::Error>>;

    /// The first row, if any: for statements that find at most one.
    fn fetch_optional<'c, R: Record>(
        conn: &'c mut Self::Connection,
        sql: &'c str,
        args: Args,
    ) -> BoxFuture<'c, Result<Option<R>, sqlx::Error>> {
        Box::pin(async move { Ok(Self::fetch_all(conn, sql, args).await?.into_iter().next()) })
    }

    /// Runs a statement; returns the rows it affected.
    fn execute<'c>(
        conn: &'c mut Self::Connection,
        sql: &'c str,
        args: Args,
    ) -> BoxFuture<'c, Result<u64, sqlx::Error>>;

    /// Runs statements as written, without arguments (tests and tools only).
    fn execute_raw<'c>(
        conn: &'c mut Self::Connection,
        sql: &'c str,
    ) -> BoxFuture<'c, Result<u64, sqlx::Error>>;
}

// The generic helpers each backend's `Dialect` forwards to.

pub(super) fn arguments<'q, DB: Database>(values: Args) -> Result<DB::Arguments<'q>, BoxDynError>
where
    Option<Uuid>: Encode<'q, DB> + Type<DB>,
    Option<String>: Encode<'q, DB> + Type<DB>,
    Option<i64>: Encode<'q, DB> + Type<DB>,
    Option<DateTime<Utc>>: Encode<'q, DB> + Type<DB>,
    Vec<u8>: Encode<'q, DB> + Type<DB>,
{
    let mut arguments = DB::Arguments::default();
    for value in values {
        match value {
            Value::Uuid(v) => arguments.add(v)?,
            Value::Text(v) => arguments.add(v)?,
            Value::Int(v) => arguments.add(v)?,
            Value::Time(v) => arguments.add(v)?,
            Value::Bytes(v) => arguments.add(v)?,
        }
    }
    Ok(arguments)
}

pub(super) async fn fetch_all<'c, DB: Dialect, R>(
    conn: &'c mut DB::Connection,
    sql: &'c str,
    args: Args,
) -> Result<Vec<R>, sqlx::Error>
where
    for<'e> &'e mut DB::Connection: Executor<'e, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    R: for<'r> FromRow<'r, DB::Row> + Send + Unpin,
{
    let arguments = DB::arguments(args).map_err(sqlx::Error::Encode)?;
    sqlx::query_as_with::<DB, R, _>(sql, arguments)
        .fetch_all(conn)
        .await
}

pub(super) async fn execute<'c, DB: Dialect>(
    conn: &'c mut DB::Connection,
    sql: &'c str,
    args: Args,
) -> Result<DB::QueryResult, sqlx::Error>
where
    for<'e> &'e mut DB::Connection: Executor<'e, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
{
    let arguments = DB::arguments(args).map_err(sqlx::Error::Encode)?;
    sqlx::query_with::<DB, _>(sql, arguments).execute(conn).await
}
