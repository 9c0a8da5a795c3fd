//! The order of a search's list and where its next page starts.

use super::{problem, FilterField, FilterProblem};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

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

#[cfg(test)]
mod tests {
    use super::*;

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
