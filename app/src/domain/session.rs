//! When a login session stops being valid, and which sessions a limit ends.

use super::settings::LoginSessionSettings;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Which credential a session was opened with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionKind {
    /// A browser holding the session cookie.
    Browser,
    /// A command-line or API client holding a refresh token.
    Cli,
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Browser => "browser",
            SessionKind::Cli => "cli",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SessionKind::Browser => "Browser",
            SessionKind::Cli => "CLI",
        }
    }
}

impl FromStr for SessionKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "browser" => Ok(SessionKind::Browser),
            "cli" => Ok(SessionKind::Cli),
            other => Err(format!("unknown session kind {other:?}")),
        }
    }
}

impl TryFrom<String> for SessionKind {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// Why a session ended. Every end records one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    SignedOut,
    EndedByUser,
    EndedByAdministrator,
    MaximumDuration,
    Inactivity,
    ConcurrentLimit,
    RefreshTokenReuse,
}

impl EndReason {
    pub const ALL: [EndReason; 7] = [
        EndReason::SignedOut,
        EndReason::EndedByUser,
        EndReason::EndedByAdministrator,
        EndReason::MaximumDuration,
        EndReason::Inactivity,
        EndReason::ConcurrentLimit,
        EndReason::RefreshTokenReuse,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::SignedOut => "signed_out",
            EndReason::EndedByUser => "ended_by_user",
            EndReason::EndedByAdministrator => "ended_by_administrator",
            EndReason::MaximumDuration => "maximum_duration",
            EndReason::Inactivity => "inactivity",
            EndReason::ConcurrentLimit => "concurrent_limit",
            EndReason::RefreshTokenReuse => "refresh_token_reuse",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EndReason::SignedOut => "Signed out",
            EndReason::EndedByUser => "Ended by the user",
            EndReason::EndedByAdministrator => "Ended by an administrator",
            EndReason::MaximumDuration => "Maximum duration reached",
            EndReason::Inactivity => "Signed out due to inactivity",
            EndReason::ConcurrentLimit => "Concurrent session limit",
            EndReason::RefreshTokenReuse => "Refresh token reused",
        }
    }
}

impl FromStr for EndReason {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EndReason::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown end reason {s:?}"))
    }
}

impl TryFrom<String> for EndReason {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// What the session check concludes about a session at a given instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    Active,
    /// Ended explicitly (sign-out, an administrator, a limit); the reason was stored.
    Ended(EndReason),
    /// Older than the account's maximum duration.
    PastMaximum,
    /// Unused for longer than the account's inactivity limit.
    Idle,
}

impl SessionState {
    /// The reason to record when the check finds a session no longer valid.
    pub fn end_reason(self) -> Option<EndReason> {
        match self {
            SessionState::Active => None,
            SessionState::Ended(r) => Some(r),
            SessionState::PastMaximum => Some(EndReason::MaximumDuration),
            SessionState::Idle => Some(EndReason::Inactivity),
        }
    }
}

/// How often a used session's last-active time is written. The session check
/// itself never writes, so idle expiry is precise to this interval.
pub const TOUCH_INTERVAL: Duration = Duration::seconds(60);

/// The instant a session stops being valid under the account's current settings:
/// the earlier of its maximum duration and its inactivity limit. Settings changes
/// therefore apply to existing sessions at their next request.
pub fn expires_at(
    created_at: DateTime<Utc>,
    last_active_at: DateTime<Utc>,
    settings: &LoginSessionSettings,
) -> DateTime<Utc> {
    let by_max = created_at + Duration::seconds(settings.max_duration());
    let by_idle = last_active_at + Duration::seconds(settings.inactivity());
    by_max.min(by_idle)
}

/// Judges a session at `now` under the account's current settings.
pub fn evaluate(
    created_at: DateTime<Utc>,
    last_active_at: DateTime<Utc>,
    ended: Option<EndReason>,
    settings: &LoginSessionSettings,
    now: DateTime<Utc>,
) -> SessionState {
    if let Some(reason) = ended {
        return SessionState::Ended(reason);
    }
    if now >= created_at + Duration::seconds(settings.max_duration()) {
        return SessionState::PastMaximum;
    }
    if now >= last_active_at + Duration::seconds(settings.inactivity()) {
        return SessionState::Idle;
    }
    SessionState::Active
}

/// Whether a request at `now` should record activity (at most once per interval).
pub fn needs_touch(last_active_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - last_active_at >= TOUCH_INTERVAL
}

/// Sessions to end so that a new sign-in keeps the user within `limit` active sessions:
/// the least recently active go first. `active` holds (id, last active) pairs.
pub fn over_concurrent_limit<Id: Copy>(active: &[(Id, DateTime<Utc>)], limit: Option<i64>) -> Vec<Id> {
    let Some(limit) = limit else {
        return Vec::new();
    };
    // The new session takes one place.
    let keep = usize::try_from(limit.max(1) - 1).unwrap_or(0);
    if active.len() <= keep {
        return Vec::new();
    }
    let mut by_age: Vec<_> = active.to_vec();
    by_age.sort_by_key(|&(_, last)| last);
    by_age.truncate(active.len() - keep);
    by_age.into_iter().map(|(id, _)| id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::settings::{DAY, HOUR, MINUTE};
    use chrono::TimeZone;

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + secs, 0)
            .single()
            .unwrap_or_default()
    }

    #[test]
    fn fresh_session_is_active() {
        let s = LoginSessionSettings::default();
        assert_eq!(evaluate(t(0), t(0), None, &s, t(60)), SessionState::Active);
    }

    #[test]
    fn ended_session_stays_ended_whatever_the_time() {
        let s = LoginSessionSettings::default();
        let state = evaluate(t(0), t(0), Some(EndReason::EndedByAdministrator), &s, t(1));
        assert_eq!(state, SessionState::Ended(EndReason::EndedByAdministrator));
    }

    #[test]
    fn idle_after_the_inactivity_limit_exactly() {
        let s = LoginSessionSettings::default();
        assert_eq!(
            evaluate(t(0), t(0), None, &s, t(2 * HOUR - 1)),
            SessionState::Active
        );
        assert_eq!(evaluate(t(0), t(0), None, &s, t(2 * HOUR)), SessionState::Idle);
        // Activity pushes the idle deadline.
        assert_eq!(
            evaluate(t(0), t(HOUR), None, &s, t(2 * HOUR + 1)),
            SessionState::Active
        );
    }

    #[test]
    fn past_maximum_even_when_active() {
        let s = LoginSessionSettings::default();
        assert_eq!(
            evaluate(t(0), t(DAY - 1), None, &s, t(DAY)),
            SessionState::PastMaximum
        );
    }

    #[test]
    fn shortened_settings_apply_to_existing_sessions() {
        let shorter = LoginSessionSettings {
            inactivity_secs: Some(15 * MINUTE),
            max_duration_secs: Some(HOUR),
            concurrent_limit: None,
        };
        assert_eq!(
            evaluate(t(0), t(0), None, &shorter, t(20 * MINUTE)),
            SessionState::Idle
        );
        assert_eq!(
            evaluate(t(0), t(HOUR - 60), None, &shorter, t(HOUR)),
            SessionState::PastMaximum
        );
        assert_eq!(SessionState::Idle.end_reason(), Some(EndReason::Inactivity));
        assert_eq!(
            SessionState::PastMaximum.end_reason(),
            Some(EndReason::MaximumDuration)
        );
    }

    #[test]
    fn expiry_is_the_earlier_deadline() {
        let s = LoginSessionSettings::default();
        assert_eq!(expires_at(t(0), t(0), &s), t(2 * HOUR));
        assert_eq!(expires_at(t(0), t(DAY - HOUR), &s), t(DAY));
    }

    #[test]
    fn touch_at_most_once_a_minute() {
        assert!(!needs_touch(t(0), t(59)));
        assert!(needs_touch(t(0), t(60)));
    }

    #[test]
    fn concurrent_limit_ends_least_recently_active() {
        let active = [(1, t(30)), (2, t(10)), (3, t(20))];
        assert_eq!(over_concurrent_limit(&active, None), Vec::<i32>::new());
        assert_eq!(over_concurrent_limit(&active, Some(4)), Vec::<i32>::new());
        assert_eq!(over_concurrent_limit(&active, Some(3)), vec![2]);
        assert_eq!(over_concurrent_limit(&active, Some(2)), vec![2, 3]);
        assert_eq!(over_concurrent_limit(&active, Some(1)), vec![2, 3, 1]);
    }

    #[test]
    fn reasons_round_trip() {
        for r in EndReason::ALL {
            assert_eq!(r.as_str().parse::<EndReason>(), Ok(r));
        }
    }
}
