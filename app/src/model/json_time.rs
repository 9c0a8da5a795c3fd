//! Times in JSON exactly as chrono writes them (RFC 3339 in UTC, `Z`, a fraction only
//! when there is one), formatted into one string first. chrono's own `Serialize` hands
//! serde_json its text a character at a time through the string escaper: a tenth of a
//! long session list's CPU. Reading is chrono's as before.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serializer;

pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&at.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};

    #[derive(serde::Serialize)]
    struct Fast(#[serde(serialize_with = "super::serialize")] DateTime<Utc>);

    #[test]
    fn writes_what_chrono_writes() {
        let second = Utc
            .with_ymd_and_hms(2026, 12, 1, 0, 35, 58)
            .single()
            .expect("valid instant");
        for nanos in [
            0,
            442_000_000,
            442_100_000,
            442_123_000,
            442_123_456,
            1,
            999_999_999,
        ] {
            let at = second + chrono::Duration::nanoseconds(nanos);
            let chrono = serde_json::to_string(&at).expect("serialises");
            let fast = serde_json::to_string(&Fast(at)).expect("serialises");
            assert_eq!(fast, chrono, "{nanos} ns");
            let back: DateTime<Utc> = serde_json::from_str(&fast).expect("reads back");
            assert_eq!(back, at);
        }
    }
}
