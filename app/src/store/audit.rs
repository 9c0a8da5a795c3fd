//! The audit events the store appends, and the query of the log a person reads.

use super::{EndedSession, SessionEnd};
use crate::domain::audit::{AuditAction, AuditFilter, SignInFailure};
use crate::domain::search::Cursor;
use crate::domain::{LoginSessionSettings, Role, SessionKind};
use crate::model::{LoginSession, Origin};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// One keyset page of an account's audit log, newest first.
#[derive(Debug, Clone)]
pub struct AuditQuery {
    pub filter: AuditFilter,
    /// Events strictly older than this (time, then id), for the next page.
    pub after: Option<Cursor>,
    pub limit: i64,
}

#[derive(Debug, Clone)]
pub struct NewAuditEvent {
    pub account_id: Uuid,
    pub actor_user_id: Option<Uuid>,
    pub action: AuditAction,
    pub target_user_id: Option<Uuid>,
    pub session_id: Option<Uuid>,
    pub details: serde_json::Value,
    pub occurred_at: DateTime<Utc>,
    /// The actor's request; `None` for the system and the command line.
    pub origin: Option<Origin>,
}

impl NewAuditEvent {
    /// The event written with each ended session: a sign-out, or any other end.
    pub fn session_ended(
        account_id: Uuid,
        session: &EndedSession,
        kind: SessionKind,
        last_ip: &str,
        end: &SessionEnd,
    ) -> Self {
        let mut details = serde_json::json!({
            "reason": end.reason.as_str(),
            "kind": kind.as_str(),
            "ip": last_ip,
        });
        if let (Some(note), Some(details)) = (&end.note, details.as_object_mut()) {
            details.insert("note".into(), note.clone().into());
        }
        NewAuditEvent {
            account_id,
            actor_user_id: end.by,
            action: AuditAction::of_end(end.reason),
            target_user_id: Some(session.user_id),
            session_id: Some(session.id),
            details,
            occurred_at: end.at,
            origin: end.origin.clone(),
        }
    }

    /// The one event of a bulk end, beside each session's: what it matched and ended.
    pub fn bulk_end(account_id: Uuid, end: &SessionEnd, summary: &serde_json::Value, ended: usize) -> Self {
        let mut details = serde_json::json!({
            "reason": end.reason.as_str(),
            "note": end.note,
            "ended": ended,
        });
        if let (Some(details), Some(summary)) = (details.as_object_mut(), summary.as_object()) {
            details.extend(summary.clone());
        }
        NewAuditEvent {
            account_id,
            actor_user_id: end.by,
            action: AuditAction::SessionsBulkEnded,
            target_user_id: None,
            session_id: None,
            details,
            occurred_at: end.at,
            origin: end.origin.clone(),
        }
    }

    /// The event for a settings change: old and new values side by side.
    pub fn settings_changed(
        account_id: Uuid,
        old: &LoginSessionSettings,
        new: &LoginSessionSettings,
        by: Uuid,
        now: DateTime<Utc>,
        origin: Option<Origin>,
    ) -> Self {
        NewAuditEvent {
            account_id,
            actor_user_id: Some(by),
            action: AuditAction::SettingsChanged,
            target_user_id: None,
            session_id: None,
            details: serde_json::json!({ "old": old, "new": new }),
            occurred_at: now,
            origin,
        }
    }

    /// A new session: who signed in, with which credential, from where.
    pub fn signed_in(session: &LoginSession) -> Self {
        NewAuditEvent {
            account_id: session.account_id,
            actor_user_id: Some(session.user_id),
            action: AuditAction::SignInSucceeded,
            target_user_id: Some(session.user_id),
            session_id: Some(session.id),
            details: serde_json::json!({ "kind": session.kind.as_str() }),
            occurred_at: session.created_at,
            origin: Some(Origin {
                ip: session.ip.clone(),
                user_agent: session.user_agent.clone(),
            }),
        }
    }

    /// A refused sign-in as one account of the person sees it: the email as typed
    /// (normalized) and why, in words that do not tell a wrong password from an unknown email.
    pub fn sign_in_failed(
        account_id: Uuid,
        user_id: Uuid,
        email: &str,
        failure: SignInFailure,
        origin: Origin,
        now: DateTime<Utc>,
    ) -> Self {
        NewAuditEvent {
            account_id,
            actor_user_id: None,
            action: AuditAction::SignInFailed,
            target_user_id: Some(user_id),
            session_id: None,
            details: serde_json::json!({ "email": email, "reason": failure.as_str() }),
            occurred_at: now,
            origin: Some(origin),
        }
    }

    /// A retired refresh token was presented again: its session ends (recorded apart).
    pub fn reuse_detected(
        account_id: Uuid,
        user_id: Uuid,
        session_id: Uuid,
        origin: Origin,
        now: DateTime<Utc>,
    ) -> Self {
        NewAuditEvent {
            account_id,
            actor_user_id: None,
            action: AuditAction::RefreshTokenReuse,
            target_user_id: Some(user_id),
            session_id: Some(session_id),
            details: serde_json::json!({}),
            occurred_at: now,
            origin: Some(origin),
        }
    }

    /// A person joined an account (the command line, or the account's creation).
    pub fn membership_added(account_id: Uuid, user_id: Uuid, role: Role, now: DateTime<Utc>) -> Self {
        NewAuditEvent {
            account_id,
            actor_user_id: None,
            action: AuditAction::MembershipAdded,
            target_user_id: Some(user_id),
            session_id: None,
            details: serde_json::json!({ "role": role.as_str() }),
            occurred_at: now,
            origin: None,
        }
    }

    /// A member's role changed (the command line).
    pub fn role_changed(account_id: Uuid, user_id: Uuid, old: Role, new: Role, now: DateTime<Utc>) -> Self {
        NewAuditEvent {
            account_id,
            actor_user_id: None,
            action: AuditAction::RoleChanged,
            target_user_id: Some(user_id),
            session_id: None,
            details: serde_json::json!({ "old": old.as_str(), "new": new.as_str() }),
            occurred_at: now,
            origin: None,
        }
    }
}
