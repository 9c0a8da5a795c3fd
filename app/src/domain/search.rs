//! The account-wide session search: the filter as typed (in a URL, a form or an API
//! query) and as checked, the sort, the keyset cursor, and how addresses compare.
//! Parsed the same way in the browser (so a bad filter never reaches the server) and on
//! the server (which trusts nothing the browser checked).

use super::{SessionKind, SessionView};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::str::FromStr;
use uuid::Uuid;

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

fn problem(field: FilterField, message: impl Into<String>) -> FilterProblem {
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
        let text = |field: FilterField, problems: &mut Vec<FilterProblem>| {
            let value = self.get(field).trim();
            if value.chars().count() > MAX_SEARCH_CHARS {
                problems.push(problem(
                    field,
                    format!("Use at most {MAX_SEARCH_CHARS} characters"),
                ));
                None
            } else {
                (!value.is_empty()).then(|| value.to_string())
            }
        };
        let user = text(FilterField::User, &mut problems);
        let device = text(FilterField::Device, &mut problems);
        let ip = match self.ip.trim() {
            "" => None,
            value => match parse_network(value) {
                Some(net) => Some(net),
                None => {
                    problems.push(problem(
                        FilterField::Ip,
                        "Enter an IP address or a CIDR range, like 203.0.113.7, 203.0.113.0/24 or 2001:db8::/32",
                    ));
                    None
                }
            },
        };
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
            let mut instant = |field: FilterField, end_of_day: bool| match self.get(field).trim() {
                "" => None,
                value => {
                    let parsed = parse_instant(value, end_of_day);
                    if parsed.is_none() {
                        problems.push(problem(field, "Enter a date (2026-11-29) or a time in RFC 3339"));
                    }
                    parsed
                }
            };
            let range = TimeRange {
                after: instant(after, false),
                before: instant(before, true),
            };
            if let (Some(a), Some(b)) = (range.after, range.before) {
                if b <= a {
                    problems.push(problem(before, "Must be later than the start"));
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

/// An address alone is the network of just that address (/32 or /128).
fn parse_network(value: &str) -> Option<IpNet> {
    if value.contains('/') {
        IpNet::from_str(value).ok().map(|net| net.trunc())
    } else {
        IpAddr::from_str(value).ok().map(IpNet::from)
    }
}

/// A date is a whole UTC day: its start for `after`, the next day's start for `before`
/// (so the day named is included). A date and time without an offset is UTC.
fn parse_instant(value: &str, end_of_day: bool) -> Option<DateTime<Utc>> {
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

/// The order of the list, newest first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionSort {
    #[default]
    SignedIn,
    LastActive,
}

impl SessionSort {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionSort::SignedIn => "signed_in",
            SessionSort::LastActive => "last_active",
        }
    }

    pub fn parse(value: &str) -> Result<Self, FilterProblem> {
        match value.trim() {
            "" | "signed_in" => Ok(SessionSort::SignedIn),
            "last_active" => Ok(SessionSort::LastActive),
            _ => Err(problem(FilterField::Sort, "Sort by signed_in or last_active")),
        }
    }
}

/// Where the next page starts: the sort key and id of the last row shown. Opaque to
/// clients; plain text so it can travel in a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub at: DateTime<Utc>,
    pub id: Uuid,
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Nanoseconds: the instant exactly as stored, so the next page starts right after it.
        write!(
            f,
            "{}_{}",
            self.at.timestamp_nanos_opt().unwrap_or_default(),
            self.id.simple()
        )
    }
}

impl Cursor {
    pub fn parse(value: &str) -> Result<Option<Self>, FilterProblem> {
        let value = value.trim();
        if value.is_empty() {
            return Ok(None);
        }
        let bad = || {
            problem(
                FilterField::Cursor,
                "This page link is not valid; start from the first page",
            )
        };
        let (nanos, id) = value.split_once('_').ok_or_else(bad)?;
        let at = DateTime::from_timestamp_nanos(nanos.parse::<i64>().map_err(|_| bad())?);
        let id = Uuid::try_parse(id).map_err(|_| bad())?;
        Ok(Some(Cursor { at, id }))
    }
}

/// How addresses are stored for range search: a family byte (4 or 6) and the address's
/// bytes, so that byte order is address order and the families never mix. An address
/// that does not parse gets a key no range contains.
pub fn ip_key(ip: &str) -> Vec<u8> {
    match IpAddr::from_str(ip) {
        Ok(addr) => key_of(addr),
        Err(_) => vec![0],
    }
}

fn key_of(addr: IpAddr) -> Vec<u8> {
    match addr {
        IpAddr::V4(v4) => [&[4u8][..], &v4.octets()].concat(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            // ::ffff:a.b.c.d is how a dual-stack socket reports an IPv4 client.
            Some(v4) => key_of(IpAddr::V4(v4)),
            None => [&[6u8][..], &v6.octets()].concat(),
        },
    }
}

/// The first and last key of a network, both included.
pub fn key_range(net: &IpNet) -> (Vec<u8>, Vec<u8>) {
    (key_of(net.network()), key_of(net.broadcast()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(pairs: &[(&str, &str)]) -> Result<SessionFilter, Vec<FilterProblem>> {
        let mut input = FilterInput::default();
        for (k, v) in pairs {
            assert!(input.set(k, v.to_string()), "{k}");
        }
        input.parse()
    }

    fn inside(net: &str, ip: &str) -> bool {
        let net = filter(&[("ip", net)]).unwrap().ip.unwrap();
        let (lo, hi) = key_range(&net);
        let key = ip_key(ip);
        lo <= key && key <= hi
    }

    #[test]
    fn an_empty_filter_lists_active_sessions() {
        let f = filter(&[]).unwrap();
        assert_eq!(f, SessionFilter::default());
        assert_eq!(f.state, SessionView::Active);
    }

    #[test]
    fn addresses_and_ranges_match_by_key_order() {
        assert!(inside("203.0.113.0/24", "203.0.113.0"));
        assert!(inside("203.0.113.0/24", "203.0.113.255"));
        assert!(!inside("203.0.113.0/24", "203.0.114.0"));
        assert!(!inside("203.0.113.0/24", "203.0.112.255"));
        // /32 and a bare address are the same: that address only.
        assert!(inside("203.0.113.7/32", "203.0.113.7"));
        assert!(inside("203.0.113.7", "203.0.113.7"));
        assert!(!inside("203.0.113.7", "203.0.113.8"));
        // Host bits in a range are dropped: 203.0.113.7/24 means 203.0.113.0/24.
        assert!(inside("203.0.113.7/24", "203.0.113.200"));
        // /0 is every address of its family, and only of it.
        assert!(inside("0.0.0.0/0", "255.255.255.255"));
        assert!(!inside("0.0.0.0/0", "2001:db8::1"));
        assert!(inside("::/0", "2001:db8::1"));
        assert!(!inside("::/0", "10.0.0.1"));
        // IPv6, and IPv4 reported through a dual-stack socket.
        assert!(inside("2001:db8::/32", "2001:db8:ffff::1"));
        assert!(!inside("2001:db8::/32", "2001:db9::1"));
        assert!(inside("2001:db8::1/128", "2001:db8::1"));
        assert!(inside("10.0.0.0/8", "::ffff:10.1.2.3"));
        // An address that never parsed is in no range.
        assert!(!inside("0.0.0.0/0", "unknown"));
        assert!(!inside("::/0", "unknown"));
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

    #[test]
    fn cursors_round_trip_and_bad_ones_are_refused() {
        let cursor = Cursor {
            at: DateTime::from_timestamp_nanos(1_800_000_000_123_456_789),
            id: Uuid::from_u128(42),
        };
        assert_eq!(Cursor::parse(&cursor.to_string()).unwrap(), Some(cursor));
        assert_eq!(Cursor::parse("").unwrap(), None);
        for bad in ["abc", "12_notauuid", "x_00000000000000000000000000000042"] {
            assert_eq!(Cursor::parse(bad).unwrap_err().field, FilterField::Cursor);
        }
        assert_eq!(
            SessionSort::parse("last_active").unwrap(),
            SessionSort::LastActive
        );
        assert!(SessionSort::parse("name").is_err());
    }
}
