//! Throttling of sign-in attempts. An attempt is counted *before* the password is
//! verified (the count and the check are one atomic step in the store), so a burst of
//! parallel attempts cannot all pass the check together; a successful attempt gives its
//! place back. Attempts are counted per client address and per email, or, for a browser
//! that has signed in as this person before, per that browser instead of per email: an
//! attacker elsewhere can lock out an email, but not its owner's own browser.

use chrono::{DateTime, Duration, Utc};

/// Attempts are counted within a fixed window that starts at the first one.
pub const WINDOW: Duration = Duration::minutes(15);
/// Attempts allowed per email address within the window, from unknown browsers.
pub const MAX_PER_EMAIL: i64 = 5;
/// Attempts allowed per trusted browser within the window.
pub const MAX_PER_DEVICE: i64 = 5;
/// Attempts allowed per client address within the window (shared offices get more).
pub const MAX_PER_IP: i64 = 20;

/// What an attempt is counted against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ThrottleKey {
    Email(String),
    /// A browser that signed in as this person before (the hash of its device token).
    Device(String),
    Ip(String),
}

impl ThrottleKey {
    /// The key the store counts under.
    pub fn key(&self) -> String {
        match self {
            ThrottleKey::Email(email) => format!("email:{email}"),
            ThrottleKey::Device(hash) => format!("device:{hash}"),
            ThrottleKey::Ip(ip) => format!("ip:{ip}"),
        }
    }

    pub fn max(&self) -> i64 {
        match self {
            ThrottleKey::Email(_) => MAX_PER_EMAIL,
            ThrottleKey::Device(_) => MAX_PER_DEVICE,
            ThrottleKey::Ip(_) => MAX_PER_IP,
        }
    }

    /// Whether a success clears the whole count (the person proved who they are) or
    /// only gives its own place back (an address is shared by many people).
    pub fn cleared_by_success(&self) -> bool {
        !matches!(self, ThrottleKey::Ip(_))
    }
}

/// Attempts counted under one key, this one included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempts {
    pub count: i64,
    pub window_started_at: DateTime<Utc>,
}

/// Seconds until another attempt is allowed, or `None` when this one is within the limit.
pub fn retry_after(attempts: Attempts, max: i64, now: DateTime<Utc>) -> Option<u64> {
    let window_ends = attempts.window_started_at + WINDOW;
    if attempts.count > max && now < window_ends {
        Some(u64::try_from((window_ends - now).num_seconds().max(1)).unwrap_or(1))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::t;

    fn attempts(count: i64) -> Attempts {
        Attempts {
            count,
            window_started_at: t(0),
        }
    }

    #[test]
    fn the_limit_itself_is_allowed() {
        assert_eq!(retry_after(attempts(1), 5, t(10)), None);
        assert_eq!(retry_after(attempts(5), 5, t(10)), None);
    }

    #[test]
    fn beyond_the_limit_waits_for_the_window_to_end() {
        assert_eq!(retry_after(attempts(6), 5, t(60)), Some(15 * 60 - 60));
        assert_eq!(retry_after(attempts(6), 5, t(15 * 60 - 1)), Some(1));
        assert_eq!(retry_after(attempts(6), 5, t(15 * 60)), None);
    }

    #[test]
    fn keys_are_distinct_and_only_addresses_are_shared() {
        let email = ThrottleKey::Email("a@x.test".into());
        let device = ThrottleKey::Device("ab12".into());
        let ip = ThrottleKey::Ip("192.0.2.1".into());
        assert_eq!((email.key(), email.max()), ("email:a@x.test".to_string(), 5));
        assert_eq!(device.key(), "device:ab12");
        assert_eq!((ip.key(), ip.max()), ("ip:192.0.2.1".to_string(), 20));
        assert!(email.cleared_by_success() && device.cleared_by_success());
        assert!(!ip.cleared_by_success());
    }
}
