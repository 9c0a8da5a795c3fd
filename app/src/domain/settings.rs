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
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
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
    pub field: SettingField,
    pub message: String,
}

impl LoginSessionSettings {
    /// Limits in seconds (inactivity, maximum duration) and sessions; `None` is the default.
    pub const fn new(
        inactivity_secs: Option<i64>,
        max_duration_secs: Option<i64>,
        concurrent_limit: Option<i64>,
    ) -> Self {
        LoginSessionSettings {
            inactivity_secs,
            max_duration_secs,
            concurrent_limit,
        }
    }

    pub fn inactivity(&self) -> i64 {
        self.inactivity_secs.unwrap_or(INACTIVITY_DEFAULT)
    }

    pub fn max_duration(&self) -> i64 {
        self.max_duration_secs.unwrap_or(MAX_DURATION_DEFAULT)
    }

    /// Checks every range and the cross-field rule; returns all violations at once.
    pub fn validate(&self) -> Result<(), Vec<SettingsViolation>> {
        let ranges = [
            (
                SettingField::Inactivity,
                INACTIVITY_MIN..=INACTIVITY_MAX,
                "Sign out due to inactivity must be between 15 minutes and 24 hours",
            ),
            (
                SettingField::MaxDuration,
                MAX_DURATION_MIN..=MAX_DURATION_MAX,
                "Maximum session duration must be between 15 minutes and 30 days",
            ),
            (
                SettingField::ConcurrentLimit,
                CONCURRENT_MIN..=CONCURRENT_MAX,
                "Concurrent sessions must be Unlimited or between 1 and 100",
            ),
        ];
        let mut errors: Vec<SettingsViolation> = ranges
            .into_iter()
            .filter(|(field, range, _)| self.get(*field).is_some_and(|v| !range.contains(&v)))
            .map(|(field, _, message)| SettingsViolation {
                field,
                message: message.to_string(),
            })
            .collect();
        if errors.is_empty() && self.max_duration() < self.inactivity() {
            errors.push(SettingsViolation {
                field: SettingField::MaxDuration,
                message: "Maximum session duration may not be shorter than sign out due to inactivity"
                    .to_string(),
            });
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// One of the three settings, as forms and the API name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SettingField {
    Inactivity,
    MaxDuration,
    ConcurrentLimit,
}

impl SettingField {
    pub const ALL: [SettingField; 3] = [
        SettingField::Inactivity,
        SettingField::MaxDuration,
        SettingField::ConcurrentLimit,
    ];

    /// The key the JSON API reads and reports errors under.
    pub fn api_key(self) -> &'static str {
        match self {
            SettingField::Inactivity => "inactivity_secs",
            SettingField::MaxDuration => "max_duration_secs",
            SettingField::ConcurrentLimit => "concurrent_limit",
        }
    }

    pub fn from_api_key(key: &str) -> Option<Self> {
        SettingField::ALL.into_iter().find(|f| f.api_key() == key)
    }

    /// The form's name for the field (ids and error placement).
    pub fn key(self) -> &'static str {
        match self {
            SettingField::Inactivity => "inactivity",
            SettingField::MaxDuration => "max_duration",
            SettingField::ConcurrentLimit => "concurrent_limit",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SettingField::Inactivity => "Sign out due to inactivity",
            SettingField::MaxDuration => "Maximum session duration",
            SettingField::ConcurrentLimit => "Concurrent sessions per user",
        }
    }

    pub fn help(self) -> &'static str {
        match self {
            SettingField::Inactivity => "Between 15 minutes and 24 hours. Default: 2 hours.",
            SettingField::MaxDuration => {
                "Between 15 minutes and 30 days, and not shorter than the inactivity limit. Default: 24 hours."
            }
            SettingField::ConcurrentLimit => {
                "Unlimited, or between 1 and 100. Default: unlimited. A sign-in beyond the limit ends the least recently active session."
            }
        }
    }
}

/// Units a duration is typed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DurationUnit {
    Minutes,
    Hours,
    Days,
}

impl DurationUnit {
    pub const ALL: [DurationUnit; 3] = [DurationUnit::Minutes, DurationUnit::Hours, DurationUnit::Days];

    pub fn seconds(self) -> i64 {
        match self {
            DurationUnit::Minutes => MINUTE,
            DurationUnit::Hours => HOUR,
            DurationUnit::Days => DAY,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DurationUnit::Minutes => "minutes",
            DurationUnit::Hours => "hours",
            DurationUnit::Days => "days",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        DurationUnit::ALL.into_iter().find(|u| u.as_str() == s)
    }

    /// The largest unit a duration is a whole number of, for display and editing.
    pub fn best_for(secs: i64) -> Self {
        if secs % DAY == 0 {
            DurationUnit::Days
        } else if secs % HOUR == 0 {
            DurationUnit::Hours
        } else {
            DurationUnit::Minutes
        }
    }
}

/// "2 hours", "15 minutes", "30 days".
pub fn format_duration(secs: i64) -> String {
    let unit = DurationUnit::best_for(secs);
    let n = secs / unit.seconds();
    let name = unit.as_str();
    if n == 1 {
        format!("1 {}", name.trim_end_matches('s'))
    } else {
        format!("{n} {name}")
    }
}

pub fn format_concurrent(limit: Option<i64>) -> String {
    match limit {
        None => "Unlimited".to_string(),
        Some(1) => "1 session".to_string(),
        Some(n) => format!("{n} sessions"),
    }
}

fn whole_number(value: &str) -> Option<i64> {
    let v = value.trim();
    if v.is_empty() || v.len() > 9 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok()
}

/// Parses what a person typed for one setting: a whole number and a unit for the
/// durations, "unlimited" or a whole number for the concurrent limit. `None` resets the
/// setting to its default. The combined settings are then checked by `validate`.
pub fn parse_setting(
    field: SettingField,
    value: Option<&str>,
    unit: Option<&str>,
) -> Result<Option<i64>, SettingsViolation> {
    let refuse = |message: &str| SettingsViolation {
        field,
        message: message.to_string(),
    };
    let Some(value) = value else { return Ok(None) };
    match field {
        SettingField::ConcurrentLimit => {
            if value.trim().eq_ignore_ascii_case("unlimited") {
                return Ok(None);
            }
            whole_number(value)
                .map(Some)
                .ok_or_else(|| refuse("Enter Unlimited or a whole number of sessions from 1 to 100"))
        }
        SettingField::Inactivity | SettingField::MaxDuration => {
            let unit = unit
                .and_then(DurationUnit::parse)
                .ok_or_else(|| refuse("Choose minutes, hours or days"))?;
            let n = whole_number(value).ok_or_else(|| refuse("Enter a whole number"))?;
            Ok(Some(n * unit.seconds()))
        }
    }
}

impl LoginSessionSettings {
    /// These settings with one field replaced.
    pub fn with(mut self, field: SettingField, value: Option<i64>) -> Self {
        match field {
            SettingField::Inactivity => self.inactivity_secs = value,
            SettingField::MaxDuration => self.max_duration_secs = value,
            SettingField::ConcurrentLimit => self.concurrent_limit = value,
        }
        self
    }

    pub fn get(&self, field: SettingField) -> Option<i64> {
        match field {
            SettingField::Inactivity => self.inactivity_secs,
            SettingField::MaxDuration => self.max_duration_secs,
            SettingField::ConcurrentLimit => self.concurrent_limit,
        }
    }

    /// The value in force, for display.
    pub fn describe(&self, field: SettingField) -> String {
        match field {
            SettingField::Inactivity => format_duration(self.inactivity()),
            SettingField::MaxDuration => format_duration(self.max_duration()),
            SettingField::ConcurrentLimit => format_concurrent(self.concurrent_limit),
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
        let edges =
            LoginSessionSettings::new(Some(INACTIVITY_MIN), Some(MAX_DURATION_MAX), Some(CONCURRENT_MAX));
        assert!(edges.validate().is_ok());
    }

    #[test]
    fn typed_values_are_parsed_with_their_units() {
        use SettingField::*;
        assert_eq!(
            parse_setting(Inactivity, Some("30"), Some("minutes")),
            Ok(Some(30 * MINUTE))
        );
        assert_eq!(
            parse_setting(MaxDuration, Some(" 7 "), Some("days")),
            Ok(Some(7 * DAY))
        );
        assert_eq!(
            parse_setting(Inactivity, None, None),
            Ok(None),
            "reset to default"
        );
        assert_eq!(parse_setting(ConcurrentLimit, Some("Unlimited"), None), Ok(None));
        assert_eq!(parse_setting(ConcurrentLimit, Some("3"), None), Ok(Some(3)));
        for bad in ["", "abc", "1.5", "-2", "1e3", "9999999999"] {
            assert!(
                parse_setting(Inactivity, Some(bad), Some("hours")).is_err(),
                "{bad:?}"
            );
        }
        assert!(parse_setting(Inactivity, Some("2"), Some("weeks")).is_err());
        assert!(parse_setting(ConcurrentLimit, Some("many"), None).is_err());
    }

    #[test]
    fn durations_read_in_their_largest_whole_unit() {
        assert_eq!(format_duration(2 * HOUR), "2 hours");
        assert_eq!(format_duration(90 * MINUTE), "90 minutes");
        assert_eq!(format_duration(DAY), "1 day");
        assert_eq!(format_concurrent(None), "Unlimited");
        assert_eq!(
            LoginSessionSettings::default().describe(SettingField::MaxDuration),
            "1 day"
        );
    }

    #[test]
    fn maximum_may_not_be_shorter_than_inactivity() {
        let s = LoginSessionSettings::new(Some(3 * HOUR), Some(HOUR), None);
        let errors = s.validate().unwrap_err();
        assert_eq!(errors[0].field, SettingField::MaxDuration);
        // The default maximum (24 h) is checked too when only inactivity is set.
        let s = LoginSessionSettings {
            inactivity_secs: Some(DAY),
            ..Default::default()
        };
        assert!(s.validate().is_ok());
    }
}
