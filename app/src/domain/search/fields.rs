//! Checks shared by every filter a person types (the session search, the audit log):
//! each takes the field's text and gives its value, nothing when empty, or the message
//! shown at the field.

use super::address::parse_network;
use super::{parse_instant, MAX_SEARCH_CHARS};
use chrono::{DateTime, Utc};
use ipnet::IpNet;

/// Free text to search for: trimmed, at most `MAX_SEARCH_CHARS` characters.
pub(crate) fn text(value: &str) -> Result<Option<String>, String> {
    let value = value.trim();
    if value.chars().count() > MAX_SEARCH_CHARS {
        Err(format!("Use at most {MAX_SEARCH_CHARS} characters"))
    } else {
        Ok((!value.is_empty()).then(|| value.to_string()))
    }
}

/// An IP address (the network of just it) or a CIDR range, IPv4 or IPv6.
pub(crate) fn network(value: &str) -> Result<Option<IpNet>, String> {
    match value.trim() {
        "" => Ok(None),
        value => parse_network(value).map(Some).ok_or_else(|| {
            "Enter an IP address or a CIDR range, like 203.0.113.7, 203.0.113.0/24 or 2001:db8::/32"
                .to_string()
        }),
    }
}

/// One end of a time range: a date (the whole UTC day counts) or an RFC 3339 time.
pub(crate) fn instant(value: &str, end_of_day: bool) -> Result<Option<DateTime<Utc>>, String> {
    match value.trim() {
        "" => Ok(None),
        value => parse_instant(value, end_of_day)
            .map(Some)
            .ok_or_else(|| "Enter a date (2026-11-29) or a time in RFC 3339".to_string()),
    }
}

/// The message for a range that ends before it starts.
pub(crate) const END_BEFORE_START: &str = "Must be later than the start";
