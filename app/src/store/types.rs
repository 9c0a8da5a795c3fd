//! The records the store takes and returns, besides the shared models in `crate::model`.

use crate::domain::search::{Cursor, SessionFilter, SessionSort};
use crate::domain::session::SessionTimes;
use crate::domain::{EndReason, LoginSessionSettings, Role, SessionKind};
use crate::model::{LoginSession, Origin, SessionListing, UserListing};
use chrono::{DateTime, Utc};
use std::fmt;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule refused the write; the message is safe to show.
    #[error("{0}")]
    Conflict(String),
    #[error("not found")]
    NotFound,
    /// The database does not answer (down, unreachable, or every connection busy past
    /// the acquire timeout): worth retrying later.
    #[error("database unreachable: {0}")]
    Unavailable(sqlx::Error),
    #[error("database error: {0}")]
    Database(sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        super::sqlite::note_disk_failure(&e);
        let unreachable = matches!(
            e,
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Tls(_)
        ) || super::sql_store::is_broken_connection(&e);
        if unreachable {
            StoreError::Unavailable(e)
        } else {
            StoreError::Database(e)
        }
    }
}

/// An Argon2 PHC string. Deliberately neither `Serialize` nor a revealing `Debug`.
#[derive(Clone)]
pub struct PasswordHash(pub String);

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

/// SHA-256 of a credential: the only form in which tokens reach the database.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TokenHash(pub [u8; 32]);

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHash(<redacted>)")
    }
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub password_hash: PasswordHash,
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub id: Uuid,
    pub token_hash: TokenHash,
    pub account_id: Uuid,
    pub user_id: Uuid,
    pub kind: SessionKind,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ip: String,
    pub user_agent: String,
}

/// A session's use, seen by the session check: written in batches (see
/// `service::activity`), the later time winning when nodes disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub session_id: Uuid,
    pub at: DateTime<Utc>,
    pub ip: String,
}

/// How, when and by whom sessions end.
#[derive(Debug, Clone)]
pub struct SessionEnd {
    pub at: DateTime<Utc>,
    /// The person who ended them; `None` for the system (a limit, expiry, reuse detection).
    pub by: Option<Uuid>,
    pub reason: EndReason,
    /// What the person wrote about why (a bulk end asks), kept with the audit events.
    pub note: Option<String>,
    /// The request that ended them, for the audit log.
    pub origin: Option<Origin>,
}

impl SessionEnd {
    /// Ended by a person: the user, an administrator, a sign-out.
    pub fn by(user_id: Uuid, reason: EndReason, at: DateTime<Utc>) -> Self {
        SessionEnd {
            at,
            by: Some(user_id),
            reason,
            note: None,
            origin: None,
        }
    }

    /// Ended by the caller of a request: recorded with where it came from.
    pub fn by_caller(caller: &crate::model::Caller, reason: EndReason, at: DateTime<Utc>) -> Self {
        SessionEnd {
            origin: Some(caller.origin.clone()),
            ..SessionEnd::by(caller.user_id, reason, at)
        }
    }

    /// Recorded as coming from `origin` (a request that named the session, like a revoke).
    pub fn from(self, origin: Origin) -> Self {
        SessionEnd {
            origin: Some(origin),
            ..self
        }
    }

    pub fn with_note(self, note: String) -> Self {
        SessionEnd {
            note: Some(note),
            ..self
        }
    }

    /// Ended by the system: a limit, an expiry, reuse detection.
    pub fn system(reason: EndReason, at: DateTime<Utc>) -> Self {
        SessionEnd {
            at,
            by: None,
            reason,
            note: None,
            origin: None,
        }
    }
}

/// The instants before which a session counts as expired even though no request has
/// recorded its end yet (computed from the account settings by the domain).
#[derive(Debug, Clone, Copy)]
pub struct Liveness {
    pub idle_before: DateTime<Utc>,
    pub created_before: DateTime<Utc>,
}

/// A session an end ended, as its callers need it (a bulk end returns thousands: the
/// whole rows stay in the store, which writes their audit events).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndedSession {
    pub id: Uuid,
    pub user_id: Uuid,
}

impl From<&LoginSession> for EndedSession {
    fn from(session: &LoginSession) -> Self {
        EndedSession {
            id: session.id,
            user_id: session.user_id,
        }
    }
}

/// Which of an account's sessions an end applies to. Only sessions not yet ended are
/// ever ended, so ending twice changes nothing.
#[derive(Debug, Clone)]
pub enum SessionSelection {
    /// These sessions; with `user_id`, only those that belong to that user.
    Ids { ids: Vec<Uuid>, user_id: Option<Uuid> },
    /// Every live session of a user, but `except`.
    LiveOfUser {
        user_id: Uuid,
        except: Option<Uuid>,
        live: Liveness,
    },
    /// Every live session a search matches, with what the bulk end's own audit event
    /// records about it (the filter used and why).
    Matching {
        matching: Box<SessionMatch>,
        summary: serde_json::Value,
    },
    /// Every session live under the `old` cut-offs that the `new` ones expire for
    /// `reason` (maximum duration or inactivity): the sessions a settings change ends.
    ExpiredByChange {
        old: Liveness,
        new: Liveness,
        reason: EndReason,
    },
}

/// The sessions of an account a search (or a bulk end) is about.
#[derive(Debug, Clone)]
pub struct SessionMatch {
    pub filter: SessionFilter,
    /// The cut-offs that tell active sessions from expired ones now.
    pub live: Liveness,
    /// Only these sessions (picked by hand), when set.
    pub ids: Option<Vec<Uuid>>,
    /// Only sessions signed in at or before this instant: a bulk end includes no session
    /// that started after the person saw what it would end.
    pub signed_in_by: Option<DateTime<Utc>>,
    /// Only this person's sessions, when set.
    pub only_user: Option<Uuid>,
    /// Leaves this person's sessions out (the owner's, for an administrator).
    pub except_user: Option<Uuid>,
    /// Leaves this session out (the caller's own).
    pub except_session: Option<Uuid>,
    /// The members the filter's person text matches, looked up once for all the
    /// statements of one search; when `None`, each statement matches the text itself.
    pub people: Option<Vec<Uuid>>,
}

impl SessionMatch {
    pub fn new(filter: SessionFilter, live: Liveness) -> Self {
        SessionMatch {
            filter,
            live,
            ids: None,
            signed_in_by: None,
            only_user: None,
            except_user: None,
            except_session: None,
            people: None,
        }
    }
}

/// One keyset page of a search.
#[derive(Debug, Clone)]
pub struct SessionQuery {
    pub matching: SessionMatch,
    pub sort: SessionSort,
    /// The last row of the previous page.
    pub after: Option<Cursor>,
    pub limit: i64,
    /// Whether the search matches so many sessions that walking them in the sort's
    /// order finds a page sooner than collecting every match through the filters'
    /// indexes (the caller knows the count).
    pub many_matches: bool,
}

/// How many sessions a search matches, and of how many people.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionCount {
    pub sessions: i64,
    pub users: i64,
}

/// A session as the account-wide list shows it: with its holder.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AccountSessionListing {
    #[sqlx(flatten)]
    pub listing: SessionListing,
    pub user_name: String,
    pub user_email: String,
    pub user_role: Role,
}

/// What the search keys of a session row are made from.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(super) struct UnkeyedSession {
    pub id: Uuid,
    pub ip: String,
    pub last_ip: String,
    pub user_agent: String,
    pub kind: SessionKind,
}

#[derive(Debug, Clone)]
pub struct UserQuery {
    /// Matched case-insensitively against names and emails; empty matches everyone.
    pub search: String,
    pub sort: crate::model::UserSort,
    pub offset: i64,
    pub limit: i64,
}

/// The members a [`UserQuery`] found: one page of them and how many match in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserMatches {
    pub users: Vec<UserListing>,
    pub total: i64,
}

/// An account a person belongs to, with their role there.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AccountRole {
    pub account_id: Uuid,
    pub account_name: String,
    pub role: Role,
}

/// What the session check needs, read in one query: the session, the holder's role
/// and names, and the account's current limits. Ended sessions are returned too, so
/// the check can say why a credential stopped working.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionContext {
    pub session_id: Uuid,
    pub account_id: Uuid,
    pub user_id: Uuid,
    pub kind: SessionKind,
    pub created_at: DateTime<Utc>,
    pub last_active_at: DateTime<Utc>,
    pub last_ip: String,
    pub ended_at: Option<DateTime<Utc>>,
    pub end_reason: Option<EndReason>,
    pub role: Role,
    pub display_name: String,
    pub email: String,
    pub account_name: String,
    #[sqlx(flatten)]
    pub settings: LoginSessionSettings,
    /// For access tokens: when the token itself expires.
    pub token_expires_at: Option<DateTime<Utc>>,
    /// Answered from a Postgres node's memory (`coalesce.rs`): exact but for the last
    /// activity, which another node may have moved on since.
    #[sqlx(skip)]
    pub remembered: bool,
}

impl SessionContext {
    pub fn times(&self) -> SessionTimes {
        SessionTimes {
            created_at: self.created_at,
            last_active_at: self.last_active_at,
            ended_at: self.ended_at,
            end_reason: self.end_reason,
        }
    }
}

/// `%term%` for LIKE, with LIKE's own wildcards in the term escaped.
pub(super) fn like_pattern(search: &str) -> String {
    let mut pattern = String::from("%");
    for c in search.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The row of `list_users`: a listing and the count of all matches.
#[derive(sqlx::FromRow)]
pub(super) struct UserRow {
    #[sqlx(flatten)]
    listing: UserListing,
    total: i64,
}

pub(super) fn user_matches(rows: Vec<UserRow>) -> UserMatches {
    let total = rows.first().map_or(0, |r| r.total);
    UserMatches {
        users: rows.into_iter().map(|r| r.listing).collect(),
        total,
    }
}

/// Maps a uniqueness violation to a message a person can act on; other errors pass through.
pub(super) fn conflict(e: sqlx::Error) -> StoreError {
    let sqlx::Error::Database(db) = &e else {
        return StoreError::from(e);
    };
    if !db.is_unique_violation() {
        return StoreError::from(e);
    }
    // Postgres names the constraint; SQLite names the table and columns in its message.
    let what = format!("{} {}", db.constraint().unwrap_or_default(), db.message());
    // SQLite reports the one-owner partial index by its single column.
    let message = if what.contains("one_owner") || what.trim_end().ends_with("memberships.account_id") {
        "The account already has an owner"
    } else if what.contains("accounts") {
        "An account with this name already exists"
    } else if what.contains("email") {
        "A user with this email already exists"
    } else if what.contains("memberships") {
        "This user is already a member of the account"
    } else {
        "This already exists"
    };
    StoreError::Conflict(message.to_string())
}

/// A membership insert that names an account that does not exist is "not found".
pub(super) fn membership_error(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound,
        _ => conflict(e),
    }
}

/// A row of `accounts_settings`.
#[derive(sqlx::FromRow)]
pub(super) struct AccountSettingsRow {
    account_id: Uuid,
    #[sqlx(flatten)]
    settings: LoginSessionSettings,
}

impl From<AccountSettingsRow> for (Uuid, LoginSessionSettings) {
    fn from(row: AccountSettingsRow) -> Self {
        (row.account_id, row.settings)
    }
}
