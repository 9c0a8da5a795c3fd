//! The account-wide session search: the filter as typed (in a URL, a form or an API
//! query) and as checked, the sort, the keyset cursor, and how addresses compare.
//! Parsed the same way in the browser (so a bad filter never reaches the server) and on
//! the server (which trusts nothing the browser checked).

mod address;
pub(crate) mod fields;
mod page;

pub use address::{ip_key, key_range};
pub use page::{Cursor, SessionSort};

use super::{SessionKind, SessionView};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Longest text a person may search for by user or device.
pub const MAX_SEARCH_CHARS: usize = 200;

/// The filter exactly as typed: every field text, empty when unused. Field names are
/// the URL's and the API's query parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct FilterInput {
    pub user: String,
    pub ip: String,
    pub device: String,
    pub credential: String,
    pub state: String,
    pub signed_in_after: String,
    pub signed_in_before: String,
    pub active_after: String,
    pub active_before: String,
}

/// The fields of a filter, named as the query parameters name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FilterField {
    User,
    Ip,
    Device,
    Credential,
    State,
    SignedInAfter,
    SignedInBefore,
    ActiveAfter,
    ActiveBefore,
    Sort,
    Cursor,
    Limit,
}

impl FilterField {
    pub const FILTERS: [FilterField; 9] = [
        FilterField::User,
        FilterField::Ip,
        FilterField::Device,
        FilterField::Credential,
        FilterField::State,
        FilterField::SignedInAfter,
        FilterField::SignedInBefore,
        FilterField::ActiveAfter,
        FilterField::ActiveBefore,
    ];

    pub fn key(self) -> &'static str {
        match self {
            FilterField::User => "user",
            FilterField::Ip => "ip",
            FilterField::Device => "device",
            FilterField::Credential => "credential",
            FilterField::State => "state",
            FilterField::SignedInAfter => "signed_in_after",
            FilterField::SignedInBefore => "signed_in_before",
            FilterField::ActiveAfter => "active_after",
            FilterField::ActiveBefore => "active_before",
            FilterField::Sort => "sort",
            FilterField::Cursor => "cursor",
            FilterField::Limit => "limit",
        }
    }
}

/// Why one field of a filter was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterProblem {
    pub field: FilterField,
    pub message: String,
}

pub(super) fn problem(field: FilterField, message: impl Into<String>) -> FilterProblem {
    FilterProblem {
        field,
        message: message.into(),
    }
}

/// An instant range, `after` included and `before` excluded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRange {
    pub after: Option<DateTime<Utc>>,
    pub before: Option<DateTime<Utc>>,
}

impl TimeRange {
    /// The same range, starting no earlier than `floor`: one lower bound where a search
    /// has two (its own and the liveness cut of active sessions). Given two, SQLite walks
    /// its index from one and filters by the other, and may pick the looser: a day of
    /// sign-ins instead of the hour asked for.
    pub fn not_before(self, floor: DateTime<Utc>) -> TimeRange {
        TimeRange {
            after: Some(self.after.map_or(floor, |after| after.max(floor))),
            ..self
        }
    }
}

/// A checked filter. Every part that is set must hold for a session to match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionFilter {
    /// Part of the holder's name or email, any case.
    pub user: Option<String>,
    /// The address it signed in from or was last seen at lies in this network.
    pub ip: Option<IpNet>,
    /// Part of its device, browser or operating system, any case.
    pub device: Option<String>,
    pub credential: Option<SessionKind>,
    pub state: SessionView,
    pub signed_in: TimeRange,
    pub active: TimeRange,
}

impl SessionFilter {
    /// Every session, active or ended.
    pub fn any() -> Self {
        SessionFilter {
            state: SessionView::All,
            ..SessionFilter::default()
        }
    }
}

impl FilterInput {
    /// The field's text.
    pub fn get(&self, field: FilterField) -> &str {
        match field {
            FilterField::User => &self.user,
            FilterField::Ip => &self.ip,
            FilterField::Device => &self.device,
            FilterField::Credential => &self.credential,
            FilterField::State => &self.state,
            FilterField::SignedInAfter => &self.signed_in_after,
            FilterField::SignedInBefore => &self.signed_in_before,
            FilterField::ActiveAfter => &self.active_after,
            FilterField::ActiveBefore => &self.active_before,
            FilterField::Sort | FilterField::Cursor | FilterField::Limit => "",
        }
    }

    /// Sets a field from a query parameter; false for a key that is not a filter.
    pub fn set(&mut self, key: &str, value: String) -> bool {
        let slot = match FilterField::FILTERS.into_iter().find(|f| f.key() == key) {
            Some(FilterField::User) => &mut self.user,
            Some(FilterField::Ip) => &mut self.ip,
            Some(FilterField::Device) => &mut self.device,
            Some(FilterField::Credential) => &mut self.credential,
            Some(FilterField::State) => &mut self.state,
            Some(FilterField::SignedInAfter) => &mut self.signed_in_after,
            Some(FilterField::SignedInBefore) => &mut self.signed_in_before,
            Some(FilterField::ActiveAfter) => &mut self.active_after,
            Some(FilterField::ActiveBefore) => &mut self.active_before,
            _ => return false,
        };
        *slot = value;
        true
    }

    /// The set fields as `key=value` pairs, in a fixed order: for URLs.
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        FilterField::FILTERS
            .into_iter()
            .map(|f| (f.key(), self.get(f).trim()))
            .filter(|(_, v)| !v.is_empty())
            .collect()
    }

    /// Checks every field, reporting each one refused.
    pub fn parse(&self) -> Result<SessionFilter, Vec<FilterProblem>> {
        let mut problems = Vec::new();
        let user = checked(&mut problems, FilterField::User, fields::text(&self.user));
        let device = checked(&mut problems, FilterField::Device, fields::text(&self.device));
        let ip = checked(&mut problems, FilterField::Ip, fields::network(&self.ip));
        let credential = match self.credential.trim() {
            "" | "any" => None,
            value => match SessionKind::from_str(value) {
                Ok(kind) => Some(kind),
                Err(_) => {
                    problems.push(problem(FilterField::Credential, "Choose browser or cli"));
                    None
                }
            },
        };
        let state = match self.state.trim() {
            "" | "active" => SessionView::Active,
            "ended" => SessionView::Ended,
            "all" => SessionView::All,
            _ => {
                problems.push(problem(FilterField::State, "Choose active, ended or all"));
                SessionView::Active
            }
        };
        let range = |after: FilterField, before: FilterField, problems: &mut Vec<FilterProblem>| {
            let mut instant = |field: FilterField, end_of_day: bool| {
                checked(problems, field, fields::instant(self.get(field), end_of_day))
            };
            let range = TimeRange {
                after: instant(after, false),
                before: instant(before, true),
            };
            if let (Some(a), Some(b)) = (range.after, range.before) {
                if b <= a {
                    problems.push(problem(before, fields::END_BEFORE_START));
                }
            }
            range
        };
        let signed_in = range(
            FilterField::SignedInAfter,
            FilterField::SignedInBefore,
            &mut problems,
        );
        let active = range(FilterField::ActiveAfter, FilterField::ActiveBefore, &mut problems);
        if problems.is_empty() {
            Ok(SessionFilter {
                user,
                ip,
                device,
                credential,
                state,
                signed_in,
                active,
            })
        } else {
            Err(problems)
        }
    }
}

/// A checked field's value; a refusal is noted at its field.
fn checked<T>(
    problems: &mut Vec<FilterProblem>,
    field: FilterField,
    result: Result<Option<T>, String>,
) -> Option<T> {
    result
        .map_err(|m| problems.push(problem(field, m)))
        .ok()
        .flatten()
}

/// A date is a whole UTC day: its start for `after`, the next day's start for `before`
/// (so the day named is included). A date and time without an offset is UTC.
pub(crate) fn parse_instant(value: &str, end_of_day: bool) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        return Some(at.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(at) = NaiveDateTime::parse_from_str(value, format) {
            return Some(at.and_utc());
        }
    }
    let day = NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()?;
    let start = day.and_hms_opt(0, 0, 0)?.and_utc();
    Some(if end_of_day {
        start + Duration::days(1)
    } else {
        start
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn filter(pairs: &[(&str, &str)]) -> Result<SessionFilter, Vec<FilterProblem>> {
        let mut input = FilterInput::default();
        for (k, v) in pairs {
            assert!(input.set(k, v.to_string()), "{k}");
        }
        input.parse()
    }

    #[test]
    fn an_empty_filter_lists_active_sessions() {
        let f = filter(&[]).unwrap();
        assert_eq!(f, SessionFilter::default());
        assert_eq!(f.state, SessionView::Active);
    }

    #[test]
    fn a_range_narrowed_to_a_floor_keeps_the_later_start() {
        let at = |h: u32| Utc.with_ymd_and_hms(2026, 11, 30, h, 0, 0).unwrap();
        let range = TimeRange {
            after: Some(at(5)),
            before: Some(at(6)),
        };
        assert_eq!(range.not_before(at(1)), range);
        assert_eq!(range.not_before(at(7)).after, Some(at(7)));
        assert_eq!(range.not_before(at(7)).before, Some(at(6)));
        let open = TimeRange::default().not_before(at(3));
        assert_eq!((open.after, open.before), (Some(at(3)), None));
    }

    #[test]
    fn malformed_ranges_are_refused_at_their_field() {
        for bad in [
            "203.0.113.0/33",
            "2001:db8::/129",
            "203.0.113",
            "not an address",
            "10.0.0.0/",
        ] {
            let problems = filter(&[("ip", bad)]).unwrap_err();
            assert_eq!(problems.len(), 1, "{bad}");
            assert_eq!(problems[0].field, FilterField::Ip, "{bad}");
        }
    }

    #[test]
    fn dates_are_whole_utc_days_and_ranges_must_be_ordered() {
        let f = filter(&[
            ("signed_in_after", "2026-11-01"),
            ("signed_in_before", "2026-11-01"),
        ])
        .unwrap();
        assert_eq!(
            f.signed_in.after.unwrap().to_rfc3339(),
            "2026-11-01T00:00:00+00:00"
        );
        assert_eq!(
            f.signed_in.before.unwrap().to_rfc3339(),
            "2026-11-02T00:00:00+00:00"
        );
        let f = filter(&[("active_after", "2026-11-01T10:00:00+01:00")]).unwrap();
        assert_eq!(f.active.after.unwrap().to_rfc3339(), "2026-11-01T09:00:00+00:00");
        let f = filter(&[("active_before", "2026-11-01T10:30")]).unwrap();
        assert_eq!(f.active.before.unwrap().to_rfc3339(), "2026-11-01T10:30:00+00:00");

        let problems =
            filter(&[("active_after", "2026-11-05"), ("active_before", "2026-11-01")]).unwrap_err();
        assert_eq!(problems[0].field, FilterField::ActiveBefore);
        let problems = filter(&[("signed_in_after", "yesterday")]).unwrap_err();
        assert_eq!(problems[0].field, FilterField::SignedInAfter);
    }

    #[test]
    fn every_refused_field_is_reported_at_once() {
        let long = "x".repeat(MAX_SEARCH_CHARS + 1);
        let problems = filter(&[
            ("user", &long),
            ("credential", "robot"),
            ("state", "sleeping"),
            ("ip", "1.2.3.4/99"),
        ])
        .unwrap_err();
        let fields: Vec<_> = problems.iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            [
                FilterField::User,
                FilterField::Ip,
                FilterField::Credential,
                FilterField::State
            ]
        );
    }

    #[test]
    fn text_kind_and_state_are_read() {
        let f = filter(&[
            ("user", "  Ada "),
            ("device", "Firefox"),
            ("credential", "cli"),
            ("state", "all"),
        ])
        .unwrap();
        assert_eq!(f.user.as_deref(), Some("Ada"));
        assert_eq!(f.device.as_deref(), Some("Firefox"));
        assert_eq!(f.credential, Some(SessionKind::Cli));
        assert_eq!(f.state, SessionView::All);
        assert!(!FilterInput::default().set("colour", "red".into()));
    }
}
