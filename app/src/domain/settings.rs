//! An account's login-session limits: their defaults, ranges and validation.

use serde::{Deserialize, Serialize};

pub const MINUTE: i64 = 60;
pub const HOUR: i64 = 60 * MINUTE;
pub const DAY: i64 = 24 * HOUR;

pub const INACTIVITY_DEFAULT: i64 = 2 * HOUR;
pub const INACTIVITY_MIN: i64 = 15 * MINUTE;
pub const INACTIVITY_MAX: i64 = DAY;

pub const MAX_DURATION_DEFAULT: i64 = DAY;
pub const MAX_DURATION_MIN: i64 = 15 * MINUTE;
pub const MAX_DURATION_MAX: i64 = 30 * DAY;

pub const CONCURRENT_MIN: i64 = 1;
pub const CONCURRENT_MAX: i64 = 100;

/// The stored settings. `None` means "the default", so the console can say which
/// values were chosen and which were inherited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginSessionSettings {
    /// Sign out after this many seconds without a request.
    pub inactivity_secs: Option<i64>,
    /// End a session this many seconds after sign-in, whatever its activity.
    pub max_duration_secs: Option<i64>,
    /// At most this many active sessions per user; `None` is unlimited.
    pub concurrent_limit: Option<i64>,
}

/// One refused field, named as the settings form and the API name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsViolation {
    pub field: &'static str,
    pub message: String,
}

impl LoginSessionSettings {
    pub fn inactivity(&self) -> i64 {
        self.inactivity_secs.unwrap_or(INACTIVITY_DEFAULT)
    }

    pub fn max_duration(&self) -> i64 {
        self.max_duration_secs.unwrap_or(MAX_DURATION_DEFAULT)
    }

    /// Checks every range and the cross-field rule; returns all violations at once.
    pub fn validate(&self) -> Result<(), Vec<SettingsViolation>> {
        let mut errors = Vec::new();
        let refuse = |errors: &mut Vec<SettingsViolation>, field, message: &str| {
            errors.push(SettingsViolation {
                field,
                message: message.to_string(),
            })
        };
        if let Some(v) = self.inactivity_secs {
            if !(INACTIVITY_MIN..=INACTIVITY_MAX).contains(&v) {
                refuse(
                    &mut errors,
                    "inactivity",
                    "Sign out due to inactivity must be between 15 minutes and 24 hours",
                );
            }
        }
        if let Some(v) = self.max_duration_secs {
            if !(MAX_DURATION_MIN..=MAX_DURATION_MAX).contains(&v) {
                refuse(
                    &mut errors,
                    "max_duration",
                    "Maximum session duration must be between 15 minutes and 30 days",
                );
            }
        }
        if let Some(v) = self.concurrent_limit {
            if !(CONCURRENT_MIN..=CONCURRENT_MAX).contains(&v) {
                refuse(
                    &mut errors,
                    "concurrent_limit",
                    "Concurrent sessions must be Unlimited or between 1 and 100",
                );
            }
        }
        if errors.is_empty() && self.max_duration() < self.inactivity() {
            refuse(
                &mut errors,
                "max_duration",
                "Maximum session duration may not be shorter than sign out due to inactivity",
            );
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_two_hours_and_one_day() {
        let s = LoginSessionSettings::default();
        assert_eq!(s.inactivity(), 2 * HOUR);
        assert_eq!(s.max_duration(), DAY);
        assert_eq!(s.concurrent_limit, None);
        assert!(s.validate().is_ok());
    }

    #[test]
    fn ranges_are_enforced_at_both_ends() {
        let bad = [
            LoginSessionSettings {
                inactivity_secs: Some(INACTIVITY_MIN - 1),
                ..Default::default()
            },
            LoginSessionSettings {
                inactivity_secs: Some(INACTIVITY_MAX + 1),
                max_duration_secs: Some(2 * DAY),
                ..Default::default()
            },
            LoginSessionSettings {
                max_duration_secs: Some(MAX_DURATION_MIN - 1),
                inactivity_secs: Some(INACTIVITY_MIN),
                ..Default::default()
            },
            LoginSessionSettings {
                max_duration_secs: Some(MAX_DURATION_MAX + 1),
                ..Default::default()
            },
            LoginSessionSettings {
                concurrent_limit: Some(0),
                ..Default::default()
            },
            LoginSessionSettings {
                concurrent_limit: Some(101),
                ..Default::default()
            },
        ];
        for s in bad {
            assert!(s.validate().is_err(), "{s:?} accepted");
        }
        let edges = LoginSessionSettings {
            inactivity_secs: Some(INACTIVITY_MIN),
            max_duration_secs: Some(MAX_DURATION_MAX),
            concurrent_limit: Some(CONCURRENT_MAX),
        };
        assert!(edges.validate().is_ok());
    }

    #[test]
    fn maximum_may_not_be_shorter_than_inactivity() {
        let s = LoginSessionSettings {
            inactivity_secs: Some(3 * HOUR),
            max_duration_secs: Some(HOUR),
            concurrent_limit: None,
        };
        let errors = s.validate().unwrap_err();
        assert_eq!(errors[0].field, "max_duration");
        // The default maximum (24 h) is checked too when only inactivity is set.
        let s = LoginSessionSettings {
            inactivity_secs: Some(DAY),
            ..Default::default()
        };
        assert!(s.validate().is_ok());
    }
}
