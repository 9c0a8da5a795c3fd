//! Records shared by the server and the browser. Password hashes are not here:
//! they stay inside the store and the password module.

use crate::domain::{EndReason, Role, SessionKind};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub mod json_time;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Account {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// A person's identity: one email and password, whatever accounts they belong to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Membership {
    pub account_id: Uuid,
    pub user_id: Uuid,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

/// One login session: a credential's life from sign-in to its end. The field order is
/// read by SQLite's packed session list (`sql::packed_sessions_of_user`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct LoginSession {
    pub id: Uuid,
    pub account_id: Uuid,
    pub user_id: Uuid,
    pub kind: SessionKind,
    pub created_at: DateTime<Utc>,
    pub last_active_at: DateTime<Utc>,
    /// Absolute expiry under the settings in force at sign-in.
    pub expires_at: DateTime<Utc>,
    pub ip: String,
    pub last_ip: String,
    pub user_agent: String,
    pub ended_at: Option<DateTime<Utc>>,
    pub ended_by: Option<Uuid>,
    pub end_reason: Option<EndReason>,
    /// The device parsed from `user_agent` when the session started (`None` only until
    /// the start-up backfill reaches a row older than migration 0006).
    pub device_name: Option<String>,
    pub device_kind: Option<crate::domain::device::DeviceKind>,
}

impl LoginSession {
    pub fn times(&self) -> crate::domain::session::SessionTimes {
        crate::domain::session::SessionTimes {
            created_at: self.created_at,
            last_active_at: self.last_active_at,
            ended_at: self.ended_at,
            end_reason: self.end_reason,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AuditEvent {
    pub id: Uuid,
    pub account_id: Uuid,
    pub actor_user_id: Option<Uuid>,
    pub action: String,
    pub target_user_id: Option<Uuid>,
    pub session_id: Option<Uuid>,
    /// JSON with the event's particulars (old and new values, a reason).
    pub details: String,
    pub occurred_at: DateTime<Utc>,
}

/// Who is calling: the result of a successful session check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    pub session_id: Uuid,
    pub user_id: Uuid,
    pub account_id: Uuid,
    pub role: Role,
    pub display_name: String,
    pub email: String,
    pub account_name: String,
    pub kind: SessionKind,
    pub signed_in_at: DateTime<Utc>,
    /// The account's limits as the session check read them for this request, so an
    /// operation never reads them a second time.
    pub settings: crate::domain::LoginSessionSettings,
    /// Where this request came from, for the audit log; never sent to the browser.
    #[serde(skip)]
    pub origin: Origin,
}

/// The address and `User-Agent` of the request that did something, as recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    pub ip: String,
    pub user_agent: String,
}

/// An account offered at sign-in to a person who belongs to several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountChoice {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
}

/// How the users page is sorted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserSort {
    #[default]
    Name,
    LastActive,
}

impl UserSort {
    pub fn as_str(self) -> &'static str {
        match self {
            UserSort::Name => "name",
            UserSort::LastActive => "last_active",
        }
    }

    pub fn parse(s: &str) -> Self {
        if s == "last_active" {
            UserSort::LastActive
        } else {
            UserSort::Name
        }
    }
}

/// A member of an account as the users page and the user page show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct UserListing {
    pub user_id: Uuid,
    pub display_name: String,
    pub email: String,
    pub role: Role,
    pub member_since: DateTime<Utc>,
    pub last_active_at: Option<DateTime<Utc>>,
    pub active_sessions: i64,
}

/// A session with the name of whoever ended it, for session lists (field order: see
/// `LoginSession`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct SessionListing {
    #[cfg_attr(feature = "ssr", sqlx(flatten))]
    pub session: LoginSession,
    pub ended_by_name: Option<String>,
}

/// How and when a listed session ended, for the Ended view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndedInfo {
    #[serde(serialize_with = "json_time::serialize")]
    pub at: DateTime<Utc>,
    /// Why and by whom, e.g. "Ended by administrator Adam".
    pub description: String,
}

/// One row of a session list, as the admin drawer and the profile show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRow {
    pub id: Uuid,
    pub device: crate::domain::device::Device,
    /// The address of the latest activity.
    pub ip: String,
    /// The address it signed in from.
    pub first_ip: String,
    pub kind: SessionKind,
    #[serde(serialize_with = "json_time::serialize")]
    pub signed_in_at: DateTime<Utc>,
    #[serde(serialize_with = "json_time::serialize")]
    pub last_active_at: DateTime<Utc>,
    /// When it will expire if nothing ends it first (under the current settings).
    #[serde(serialize_with = "json_time::serialize")]
    pub expires_at: DateTime<Utc>,
    pub ended: Option<EndedInfo>,
    /// The session of the person looking at the list.
    pub current: bool,
}

impl SessionRow {
    /// "Chrome on Windows 10 from 203.0.113.24": names the row for screen readers.
    pub fn short_description(&self) -> String {
        format!("{} from {}", self.device.summary(), self.ip)
    }
}

/// A session list and the server's clock, so relative times render the same on the
/// server and in the browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionList {
    pub user_name: String,
    pub sessions: Vec<SessionRow>,
    /// Whether the viewer may end these sessions.
    pub can_end: bool,
    /// Whether ending several of them asks for the password first.
    pub reauthenticate: bool,
    pub now: DateTime<Utc>,
}

/// One page of the users table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsersPage {
    pub users: Vec<UserListing>,
    pub total: i64,
    pub page: u32,
    pub page_size: u32,
    pub now: DateTime<Utc>,
}

/// The user page: the member and what the viewer may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDetails {
    pub user: UserListing,
    pub can_end_sessions: bool,
    pub now: DateTime<Utc>,
}

/// What ending one's own sessions did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndOutcome {
    pub ended: u64,
    /// The caller's own current session was among them: this browser is signed out.
    pub signed_out: bool,
}

/// A session in the account-wide list, with its holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSessionRow {
    pub row: SessionRow,
    pub user_id: Uuid,
    pub user_name: String,
    pub user_email: String,
    /// Whether the viewer may end it (an administrator may not end the owner's).
    pub can_end: bool,
}

/// One keyset page of the account's sessions a search matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSessionsPage {
    pub sessions: Vec<AccountSessionRow>,
    /// How many sessions match in all.
    pub total: i64,
    /// Where the next page starts; `None` on the last page.
    pub next_cursor: Option<String>,
    pub now: DateTime<Utc>,
}

/// What a bulk end would end: every session a filter matches, or sessions picked by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkTarget {
    pub filter: crate::domain::search::FilterInput,
    /// When set, only these sessions (still within the account and the rules).
    pub session_ids: Option<Vec<Uuid>>,
}

/// What a bulk end would do, counted on the server when the confirmation opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkPreview {
    /// Active sessions that would end (the caller's own current session aside).
    pub sessions: i64,
    /// How many people hold them.
    pub users: i64,
    /// The owner's sessions that match but that an administrator may not end.
    pub owner_sessions_skipped: i64,
    /// Whether the caller's current session matches too (it ends only if asked).
    pub includes_current: bool,
    /// When this was counted: the end includes no session that signed in later.
    pub as_of: DateTime<Utc>,
    /// Whether the end asks for the caller's password (they signed in long ago).
    pub password_required: bool,
}

/// What a bulk end did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkOutcome {
    pub ended: u64,
    pub users: u64,
    pub owner_sessions_skipped: i64,
    /// Matching sessions that signed in after the preview, left alone.
    pub newer_sessions_left: i64,
    /// Whether the caller's own session ended: this browser is signed out.
    pub signed_out: bool,
}

/// A person named in an audit event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPerson {
    pub id: Uuid,
    pub name: String,
    pub email: String,
}

/// One audit event as the log shows and exports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub event: crate::domain::audit::AuditAction,
    /// `None`: the system (a limit, expiry, reuse detection, the command line).
    pub actor: Option<AuditPerson>,
    pub target_user: Option<AuditPerson>,
    pub session_id: Option<Uuid>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The event's particulars (a reason, old and new values), as recorded.
    pub details: serde_json::Value,
}

/// One keyset page of the audit log, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub events: Vec<AuditRow>,
    /// Where the next page starts; `None` on the last page.
    pub next_cursor: Option<String>,
    pub now: DateTime<Utc>,
}
