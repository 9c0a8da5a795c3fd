//! Throttling of failed sign-ins, per email and per client address.

use chrono::{DateTime, Duration, Utc};

/// Failures are counted within a fixed window that starts at the first failure.
pub const WINDOW: Duration = Duration::minutes(15);
/// Failed attempts allowed per email address within the window.
pub const MAX_PER_EMAIL: i64 = 5;
/// Failed attempts allowed per client address within the window (shared offices get more).
pub const MAX_PER_IP: i64 = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    pub count: i64,
    pub window_started_at: DateTime<Utc>,
}

/// Seconds until another attempt is allowed, or `None` when one is allowed now.
pub fn retry_after(failures: Option<Failures>, max: i64, now: DateTime<Utc>) -> Option<u64> {
    let f = failures?;
    let window_ends = f.window_started_at + WINDOW;
    if f.count >= max && now < window_ends {
        Some(u64::try_from((window_ends - now).num_seconds().max(1)).unwrap_or(1))
    } else {
        None
    }
}

/// The store key for an email's failures.
pub fn email_key(email: &str) -> String {
    format!("email:{email}")
}

/// The store key for a client address's failures.
pub fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::t;

    #[test]
    fn allowed_until_the_limit() {
        assert_eq!(retry_after(None, 5, t(0)), None);
        let four = Failures {
            count: 4,
            window_started_at: t(0),
        };
        assert_eq!(retry_after(Some(four), 5, t(10)), None);
    }

    #[test]
    fn blocked_at_the_limit_until_the_window_ends() {
        let five = Failures {
            count: 5,
            window_started_at: t(0),
        };
        assert_eq!(retry_after(Some(five), 5, t(60)), Some(15 * 60 - 60));
        assert_eq!(retry_after(Some(five), 5, t(15 * 60 - 1)), Some(1));
        assert_eq!(retry_after(Some(five), 5, t(15 * 60)), None);
    }
}
