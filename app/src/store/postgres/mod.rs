//! The Postgres store, for deployments where several server processes share one
//! database. It keeps nothing in memory: an end made by one process must hold at once
//! in all of them.

mod accounts;
mod sessions;

use super::types::{conflict, like_pattern, membership_error, user_matches, AccountSettingsRow, UserRow};
use super::{sql, AccountStore, SessionStore, Store, BULK_ROWS};
use super::{
    AccountRole, Liveness, NewAuditEvent, NewSession, NewUser, PasswordHash, SessionContext, SessionEnd,
    SessionSelection, StoreError, StoreResult, TokenHash, UserMatches, UserQuery,
};
use crate::domain::throttle::Failures;
use crate::domain::{LoginSessionSettings, Role, SessionKind, SessionView};
use crate::model::{Account, LoginSession, Membership, SessionListing, User, UserListing, UserSort};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Postgres};
use std::time::Duration;
use uuid::Uuid;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

type Tx<'a> = sqlx::Transaction<'a, Postgres>;

/// A pooled connection idle longer than this is pinged before use.
const IDLE_PING_AFTER: Duration = Duration::from_secs(30);

pub struct PostgresStore {
    pub(super) pool: PgPool,
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

#[async_trait]
impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }
    async fn migrate(&self) -> StoreResult<()> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }
}

fn failures((key, count, window_started_at): (String, i64, DateTime<Utc>)) -> (String, Failures) {
    (
        key,
        Failures {
            count,
            window_started_at,
        },
    )
}

async fn insert_user(tx: &mut Tx<'_>, user: &NewUser, now: DateTime<Utc>) -> StoreResult<User> {
    sqlx::query_as(sql::INSERT_USER)
        .bind(Uuid::new_v4())
        .bind(&user.email)
        .bind(&user.display_name)
        .bind(&user.password_hash.0)
        .bind(now)
        .fetch_one(&mut **tx)
        .await
        .map_err(conflict)
}

async fn insert_membership(
    tx: &mut Tx<'_>,
    account_id: Uuid,
    user_id: Uuid,
    role: Role,
    now: DateTime<Utc>,
) -> StoreResult<Membership> {
    sqlx::query_as(sql::INSERT_MEMBERSHIP)
        .bind(account_id)
        .bind(user_id)
        .bind(role)
        .bind(now)
        .fetch_one(&mut **tx)
        .await
        .map_err(membership_error)
}

pub(super) async fn insert_audits(tx: &mut Tx<'_>, events: &[NewAuditEvent]) -> StoreResult<()> {
    for chunk in events.chunks(BULK_ROWS) {
        sql::insert_audits::<Postgres>(chunk)
            .build()
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
