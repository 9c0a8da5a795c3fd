//! Records shared by the server and the browser. Password hashes are not here:
//! they stay inside the store and the password module.

use crate::domain::{EndReason, Role, SessionKind};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

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
    #[cfg_attr(feature = "ssr", sqlx(try_from = "String"))]
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

/// One login session: a credential's life from sign-in to its end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct LoginSession {
    pub id: Uuid,
    pub account_id: Uuid,
    pub user_id: Uuid,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "String"))]
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
    pub end_reason: Option<String>,
}

impl LoginSession {
    pub fn end_reason(&self) -> Option<EndReason> {
        self.end_reason.as_deref().and_then(|r| r.parse().ok())
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
}

/// An account offered at sign-in to a person who belongs to several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountChoice {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
}
