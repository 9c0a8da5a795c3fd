//! What the sign-in page tells someone whose session stopped working, and how that
//! travels in the sign-in page's address.

use super::session::SessionState;
use super::settings::LoginSessionSettings;
use super::EndReason;
use serde::{Deserialize, Serialize};

/// What the sign-in page tells someone whose credential stopped working.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignInNotice {
    /// Ended, for a reason none of the others names.
    Ended,
    /// Ended by the account's owner or an administrator.
    EndedByAdministrator,
    /// Ended by its own person, from another of their sessions.
    EndedElsewhere,
    /// Ended because its person signed in on more devices than the account allows.
    ConcurrentLimit,
    /// Idle longer than the account allows.
    Idle { minutes: i64 },
    /// Older than the account's maximum duration.
    Expired,
    /// Signed out here, on purpose.
    SignedOut,
}

impl SignInNotice {
    /// The notice for a session the check found no longer valid.
    pub fn for_state(state: SessionState, settings: &LoginSessionSettings) -> Option<Self> {
        match state {
            SessionState::Active => None,
            SessionState::Idle => Some(SignInNotice::Idle {
                minutes: settings.inactivity() / 60,
            }),
            SessionState::PastMaximum => Some(SignInNotice::Expired),
            SessionState::Ended(Some(EndReason::Inactivity)) => Some(SignInNotice::Idle {
                minutes: settings.inactivity() / 60,
            }),
            SessionState::Ended(Some(EndReason::MaximumDuration)) => Some(SignInNotice::Expired),
            SessionState::Ended(Some(EndReason::SignedOut)) => Some(SignInNotice::SignedOut),
            SessionState::Ended(Some(EndReason::EndedByAdministrator)) => {
                Some(SignInNotice::EndedByAdministrator)
            }
            SessionState::Ended(Some(EndReason::EndedByUser)) => Some(SignInNotice::EndedElsewhere),
            SessionState::Ended(Some(EndReason::ConcurrentLimit)) => Some(SignInNotice::ConcurrentLimit),
            SessionState::Ended(_) => Some(SignInNotice::Ended),
        }
    }

    pub fn message(self) -> String {
        match self {
            SignInNotice::Ended => "Your session has ended. Sign in again.".to_string(),
            SignInNotice::EndedByAdministrator => {
                "Your session was ended by an administrator. Sign in again.".to_string()
            }
            SignInNotice::EndedElsewhere => {
                "Your session was ended from another of your sessions. Sign in again.".to_string()
            }
            SignInNotice::ConcurrentLimit => {
                "Your session was ended because you signed in on more devices than your account allows."
                    .to_string()
            }
            SignInNotice::Idle { minutes } => {
                format!(
                    "You were signed out after {} of inactivity.",
                    minutes_phrase(minutes)
                )
            }
            SignInNotice::Expired => {
                "Your session reached the account's maximum duration. Sign in again.".to_string()
            }
            SignInNotice::SignedOut => "You have signed out.".to_string(),
        }
    }

    /// The sign-in page's address carrying this notice (never a credential).
    pub fn sign_in_url(self) -> String {
        match self {
            SignInNotice::Ended => "/signin?notice=ended".to_string(),
            SignInNotice::EndedByAdministrator => "/signin?notice=ended_by_administrator".to_string(),
            SignInNotice::EndedElsewhere => "/signin?notice=ended_elsewhere".to_string(),
            SignInNotice::ConcurrentLimit => "/signin?notice=concurrent_limit".to_string(),
            SignInNotice::Idle { minutes } => format!("/signin?notice=idle&minutes={minutes}"),
            SignInNotice::Expired => "/signin?notice=expired".to_string(),
            SignInNotice::SignedOut => "/signin?notice=signed_out".to_string(),
        }
    }

    pub fn from_query(notice: &str, minutes: Option<&str>) -> Option<Self> {
        match notice {
            "ended" => Some(SignInNotice::Ended),
            "ended_by_administrator" => Some(SignInNotice::EndedByAdministrator),
            "ended_elsewhere" => Some(SignInNotice::EndedElsewhere),
            "concurrent_limit" => Some(SignInNotice::ConcurrentLimit),
            "expired" => Some(SignInNotice::Expired),
            "signed_out" => Some(SignInNotice::SignedOut),
            "idle" => {
                let minutes = minutes
                    .and_then(|m| m.parse().ok())
                    .filter(|m| (1..=24 * 60).contains(m))?;
                Some(SignInNotice::Idle { minutes })
            }
            _ => None,
        }
    }
}

fn minutes_phrase(minutes: i64) -> String {
    match minutes {
        1 => "1 minute".to_string(),
        m if m % 60 == 0 && m >= 60 => match m / 60 {
            1 => "1 hour".to_string(),
            h => format!("{h} hours"),
        },
        m => format!("{m} minutes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_say_why_and_survive_the_url() {
        let s = LoginSessionSettings {
            inactivity_secs: Some(30 * 60),
            ..Default::default()
        };
        let idle = SignInNotice::for_state(SessionState::Idle, &s).unwrap_or(SignInNotice::Ended);
        assert_eq!(
            idle.message(),
            "You were signed out after 30 minutes of inactivity."
        );
        assert_eq!(idle.sign_in_url(), "/signin?notice=idle&minutes=30");
        assert_eq!(SignInNotice::from_query("idle", Some("30")), Some(idle));
        let ended = SignInNotice::for_state(SessionState::Ended(Some(EndReason::EndedByAdministrator)), &s);
        assert_eq!(
            ended.map(SignInNotice::message).as_deref(),
            Some("Your session was ended by an administrator. Sign in again.")
        );
        for notice in [
            SignInNotice::Ended,
            SignInNotice::EndedByAdministrator,
            SignInNotice::EndedElsewhere,
            SignInNotice::ConcurrentLimit,
            SignInNotice::Expired,
            SignInNotice::SignedOut,
        ] {
            let url = notice.sign_in_url();
            let name = url.trim_start_matches("/signin?notice=");
            assert_eq!(SignInNotice::from_query(name, None), Some(notice), "{url}");
        }
        assert_eq!(
            SignInNotice::Idle { minutes: 120 }.message(),
            "You were signed out after 2 hours of inactivity."
        );
        assert_eq!(SignInNotice::from_query("idle", Some("-5")), None);
        assert_eq!(SignInNotice::from_query("bogus", None), None);
        assert_eq!(SignInNotice::for_state(SessionState::Active, &s), None);
    }
}
