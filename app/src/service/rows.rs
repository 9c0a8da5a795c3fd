//! Turns store records into the rows session lists show, applying the domain's rules.

use crate::domain::device::{describe, Device};
use crate::domain::session::{self, expires_at};
use crate::domain::{LoginSessionSettings, SessionKind, SessionState};
use crate::model::{EndedInfo, SessionListing, SessionRow};
use chrono::{DateTime, Utc};
use uuid::Uuid;

pub fn session_row(
    listing: SessionListing,
    settings: &LoginSessionSettings,
    now: DateTime<Utc>,
    viewer_session: Uuid,
) -> SessionRow {
    let s = listing.session;
    let deadline = expires_at(s.created_at, s.last_active_at, settings);
    let ended = match session::evaluate(s.times(), settings, now) {
        SessionState::Active => None,
        SessionState::Ended(reason) => Some(EndedInfo {
            at: s.ended_at.unwrap_or(now),
            description: match reason {
                Some(reason) => reason.describe(listing.ended_by_name.as_deref()),
                None => "Ended".to_string(),
            },
        }),
        // Expired, but no request or sweep has recorded it yet.
        state => Some(EndedInfo {
            at: deadline,
            description: state
                .end_reason()
                .map(|r| r.label())
                .unwrap_or("Expired")
                .to_string(),
        }),
    };
    SessionRow {
        id: s.id,
        device: match (s.device_name, s.device_kind) {
            (Some(name), Some(kind)) => Device { name, kind },
            // A row the start-up backfill has not reached yet.
            _ => describe(&s.user_agent, s.kind == SessionKind::Cli),
        },
        ip: s.last_ip,
        first_ip: s.ip,
        kind: s.kind,
        signed_in_at: s.created_at,
        last_active_at: s.last_active_at,
        expires_at: deadline,
        ended,
        current: s.id == viewer_session,
    }
}
