//! When a login session stops being valid, and which sessions a limit ends.

use super::settings::LoginSessionSettings;
use super::{parse_name, UnknownName};
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
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        parse_name(
            s,
            &[SessionKind::Browser, SessionKind::Cli],
            Self::as_str,
            "session kind",
        )
    }
}

/// Which sessions a list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionView {
    #[default]
    Active,
    Ended,
    All,
}

impl SessionView {
    pub const ALL: [SessionView; 3] = [SessionView::Active, SessionView::Ended, SessionView::All];

    pub fn label(self) -> &'static str {
        match self {
            SessionView::Active => "Active",
            SessionView::Ended => "Ended",
            SessionView::All => "All",
        }
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
    /// Rows ended before reasons were constrained, with a reason this version does not know.
    Unrecorded,
}

impl EndReason {
    pub const ALL: [EndReason; 8] = [
        EndReason::SignedOut,
        EndReason::EndedByUser,
        EndReason::EndedByAdministrator,
        EndReason::MaximumDuration,
        EndReason::Inactivity,
        EndReason::ConcurrentLimit,
        EndReason::RefreshTokenReuse,
        EndReason::Unrecorded,
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
            EndReason::Unrecorded => "unrecorded",
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
            EndReason::Unrecorded => "Ended (reason not recorded)",
        }
    }

    /// The reason with whoever ended the session, as a list shows it:
    /// "Ended by administrator Adam", never "Ended by an administrator by Adam".
    pub fn describe(self, by: Option<&str>) -> String {
        match (self, by) {
            (EndReason::EndedByAdministrator, Some(name)) => format!("Ended by administrator {name}"),
            (EndReason::EndedByUser, Some(name)) => format!("Ended by {name}"),
            (EndReason::SignedOut, Some(name)) => format!("{name} signed out"),
            (reason, _) => reason.label().to_string(),
        }
    }
}

impl FromStr for EndReason {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        parse_name(s, &EndReason::ALL, Self::as_str, "end reason")
    }
}

/// The instants that decide whether a session is still valid. A session has ended
/// when `ended_at` is set, whatever its reason says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimes {
    pub created_at: DateTime<Utc>,
    pub last_active_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub end_reason: Option<EndReason>,
}

/// What the session check concludes about a session at a given instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    Active,
    /// Ended explicitly (sign-out, an administrator, a limit), with the stored reason.
    Ended(Option<EndReason>),
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
            SessionState::Ended(r) => r,
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

/// Judges a session at `now` under the account's current settings. Whether it ended
/// comes from `ended_at` alone: a reason can never make an ended session active.
pub fn evaluate(times: SessionTimes, settings: &LoginSessionSettings, now: DateTime<Utc>) -> SessionState {
    if times.ended_at.is_some() {
        return SessionState::Ended(times.end_reason);
    }
    if now >= times.created_at + Duration::seconds(settings.max_duration()) {
        return SessionState::PastMaximum;
    }
    if now >= times.last_active_at + Duration::seconds(settings.inactivity()) {
        return SessionState::Idle;
    }
    SessionState::Active
}

/// The limit a settings change makes a live session exceed at `now`, if any: such a
/// session ends because of the change.
pub fn ended_by_change(
    times: SessionTimes,
    old: &LoginSessionSettings,
    new: &LoginSessionSettings,
    now: DateTime<Utc>,
) -> Option<EndReason> {
    if evaluate(times, old, now) != SessionState::Active {
        return None;
    }
    evaluate(times, new, now).end_reason()
}

/// A new client address is recorded sooner than the minute, but at most this often: a
/// client alternating between two addresses must not make every check a write.
pub const ADDRESS_TOUCH_INTERVAL: Duration = Duration::seconds(10);

/// Whether a request at `now` from `ip` should record activity: once a minute, or
/// sooner (but not more than once per `ADDRESS_TOUCH_INTERVAL`) from a new address.
pub fn needs_touch(last_active_at: DateTime<Utc>, last_ip: &str, now: DateTime<Utc>, ip: &str) -> bool {
    let since = now - last_active_at;
    since >= TOUCH_INTERVAL || (last_ip != ip && since >= ADDRESS_TOUCH_INTERVAL)
}

/// Whether activity seen at `now` may wait in memory for the next batched write, given
/// the last-active time the database holds. Another node judges idleness from that
/// stored time alone, so activity is deferred only while the stored time keeps the
/// session alive for at least `DEFER_MARGIN` flush intervals more; closer to the limit
/// it is written at once, and no node can end a session whose activity waits elsewhere.
pub fn may_defer_activity(
    stored_last_active: DateTime<Utc>,
    settings: &LoginSessionSettings,
    now: DateTime<Utc>,
    flush_interval: Duration,
) -> bool {
    let idle_at = stored_last_active + Duration::seconds(settings.inactivity());
    idle_at - now >= flush_interval * DEFER_MARGIN
}

/// Flush intervals of headroom a deferred activity keeps (one to wait for the flush,
/// more for a slow one).
pub const DEFER_MARGIN: i32 = 3;

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

/// Sensitive actions (ending many sessions, changing the account's limits; ASVS 3.3.4,
/// 2.2.x) from a session signed in longer ago than this confirm the password first, by
/// default. Operators may shorten it (`--reauthenticate-after-secs`).
pub const REAUTHENTICATE_AFTER: Duration = Duration::minutes(15);

pub fn needs_reauthentication(signed_in_at: DateTime<Utc>, now: DateTime<Utc>, window: Duration) -> bool {
    now - signed_in_at > window
}

/// The instants before which a session counts as expired under `settings`:
/// (last active before, signed in before).
pub fn cutoffs(settings: &LoginSessionSettings, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    (
        now - Duration::seconds(settings.inactivity()),
        now - Duration::seconds(settings.max_duration()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::settings::{DAY, HOUR, MINUTE};
    use crate::domain::t;

    fn live(created: i64, last_active: i64) -> SessionTimes {
        SessionTimes {
            created_at: t(created),
            last_active_at: t(last_active),
            ended_at: None,
            end_reason: None,
        }
    }

    #[test]
    fn fresh_session_is_active() {
        let s = LoginSessionSettings::default();
        assert_eq!(evaluate(live(0, 0), &s, t(60)), SessionState::Active);
    }

    #[test]
    fn ended_session_stays_ended_whatever_the_time() {
        let s = LoginSessionSettings::default();
        let ended = SessionTimes {
            ended_at: Some(t(1)),
            end_reason: Some(EndReason::EndedByAdministrator),
            ..live(0, 0)
        };
        let state = evaluate(ended, &s, t(1));
        assert_eq!(state, SessionState::Ended(Some(EndReason::EndedByAdministrator)));
    }

    #[test]
    fn an_end_time_alone_ends_a_session() {
        let s = LoginSessionSettings::default();
        let no_reason = SessionTimes {
            ended_at: Some(t(1)),
            ..live(0, 0)
        };
        assert_eq!(evaluate(no_reason, &s, t(2)), SessionState::Ended(None));
        assert_eq!(
            crate::domain::SignInNotice::for_state(SessionState::Ended(None), &s),
            Some(crate::domain::SignInNotice::Ended)
        );
    }

    #[test]
    fn reasons_are_described_with_who_ended_them() {
        assert_eq!(
            EndReason::EndedByAdministrator.describe(Some("Adam")),
            "Ended by administrator Adam"
        );
        assert_eq!(
            EndReason::EndedByAdministrator.describe(None),
            "Ended by an administrator"
        );
        assert_eq!(EndReason::EndedByUser.describe(Some("Mia")), "Ended by Mia");
        assert_eq!(
            EndReason::Inactivity.describe(None),
            "Signed out due to inactivity"
        );
        assert!("from_the_future".parse::<EndReason>().is_err());
        assert!("root".parse::<SessionKind>().is_err());
    }

    #[test]
    fn activity_is_deferred_only_far_from_the_inactivity_limit() {
        let settings = LoginSessionSettings {
            inactivity_secs: Some(15 * MINUTE),
            ..Default::default()
        };
        let interval = Duration::seconds(5);
        let stored = t(0);
        // 15 s (three intervals) left on the stored time: may wait for the batch.
        assert!(may_defer_activity(
            stored,
            &settings,
            t(15 * MINUTE - 15),
            interval
        ));
        // Less than three intervals left: written at once.
        assert!(!may_defer_activity(
            stored,
            &settings,
            t(15 * MINUTE - 14),
            interval
        ));
        assert!(!may_defer_activity(
            stored,
            &settings,
            t(15 * MINUTE + 60),
            interval
        ));
    }

    #[test]
    fn idle_after_the_inactivity_limit_exactly() {
        let s = LoginSessionSettings::default();
        assert_eq!(evaluate(live(0, 0), &s, t(2 * HOUR - 1)), SessionState::Active);
        assert_eq!(evaluate(live(0, 0), &s, t(2 * HOUR)), SessionState::Idle);
        // Activity pushes the idle deadline.
        assert_eq!(evaluate(live(0, HOUR), &s, t(2 * HOUR + 1)), SessionState::Active);
    }

    #[test]
    fn past_maximum_even_when_active() {
        let s = LoginSessionSettings::default();
        assert_eq!(evaluate(live(0, DAY - 1), &s, t(DAY)), SessionState::PastMaximum);
    }

    #[test]
    fn shortened_settings_apply_to_existing_sessions() {
        let shorter = LoginSessionSettings::new(Some(15 * MINUTE), Some(HOUR), None);
        assert_eq!(evaluate(live(0, 0), &shorter, t(20 * MINUTE)), SessionState::Idle);
        assert_eq!(
            evaluate(live(0, HOUR - 60), &shorter, t(HOUR)),
            SessionState::PastMaximum
        );
        assert_eq!(SessionState::Idle.end_reason(), Some(EndReason::Inactivity));
        assert_eq!(
            SessionState::PastMaximum.end_reason(),
            Some(EndReason::MaximumDuration)
        );
    }

    #[test]
    fn a_change_ends_only_the_sessions_it_makes_too_old() {
        let old = LoginSessionSettings::default();
        let shorter = LoginSessionSettings::new(Some(30 * MINUTE), Some(HOUR), None);
        assert_eq!(
            ended_by_change(live(0, 2 * HOUR - 1), &old, &shorter, t(2 * HOUR)),
            Some(EndReason::MaximumDuration)
        );
        assert_eq!(
            ended_by_change(live(HOUR + 1, HOUR + 1), &old, &shorter, t(2 * HOUR)),
            Some(EndReason::Inactivity)
        );
        assert_eq!(
            ended_by_change(live(HOUR + 1, 2 * HOUR), &old, &shorter, t(2 * HOUR)),
            None
        );
        // Already over under the old limits: not this change's doing.
        assert_eq!(ended_by_change(live(0, 0), &old, &shorter, t(3 * HOUR)), None);
    }

    #[test]
    fn expiry_is_the_earlier_deadline() {
        let s = LoginSessionSettings::default();
        assert_eq!(expires_at(t(0), t(0), &s), t(2 * HOUR));
        assert_eq!(expires_at(t(0), t(DAY - HOUR), &s), t(DAY));
    }

    #[test]
    fn reauthentication_after_fifteen_minutes() {
        assert!(!needs_reauthentication(
            t(0),
            t(15 * MINUTE),
            REAUTHENTICATE_AFTER
        ));
        assert!(needs_reauthentication(
            t(0),
            t(15 * MINUTE + 1),
            REAUTHENTICATE_AFTER
        ));
        assert!(needs_reauthentication(t(0), t(1), Duration::zero()));
    }

    #[test]
    fn touch_at_most_once_a_minute() {
        assert!(!needs_touch(t(0), "192.0.2.1", t(59), "192.0.2.1"));
        assert!(needs_touch(t(0), "192.0.2.1", t(60), "192.0.2.1"));
    }

    #[test]
    fn a_new_address_is_recorded_sooner_but_not_per_request() {
        assert!(!needs_touch(t(0), "192.0.2.1", t(9), "192.0.2.2"));
        assert!(needs_touch(t(0), "192.0.2.1", t(10), "192.0.2.2"));
        // Alternating addresses: still at most one write per ten seconds.
        assert!(!needs_touch(t(10), "192.0.2.2", t(11), "192.0.2.1"));
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
