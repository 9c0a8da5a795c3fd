//! Relative times ("5 minutes ago") with the absolute time on hover and focus. The
//! reference instant comes from the server's response, so the server and the browser
//! render the same text.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

fn plural(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

pub fn relative(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - at).num_seconds();
    let span = secs.abs();
    if span < 45 {
        return "just now".to_string();
    }
    let amount = if span < 45 * 60 {
        plural(((span + 30) / 60).max(1), "minute")
    } else if span < 22 * 3600 {
        plural(((span + 1800) / 3600).max(1), "hour")
    } else if span < 45 * 86400 {
        plural(((span + 43200) / 86400).max(1), "day")
    } else {
        return absolute(at);
    };
    if secs >= 0 {
        format!("{amount} ago")
    } else {
        format!("in {amount}")
    }
}

pub fn absolute(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

#[component]
pub fn RelativeTime(at: DateTime<Utc>, now: DateTime<Utc>) -> impl IntoView {
    let full = absolute(at);
    view! {
        <time class="reltime" datetime=at.to_rfc3339() title=full.clone() data-absolute=full tabindex="0">
            {relative(at, now)}
        </time>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    #[test]
    fn past_and_future_read_naturally() {
        let now = Utc
            .with_ymd_and_hms(2026, 11, 28, 12, 0, 0)
            .single()
            .unwrap_or_default();
        assert_eq!(relative(now - Duration::seconds(10), now), "just now");
        assert_eq!(relative(now - Duration::minutes(1), now), "1 minute ago");
        assert_eq!(relative(now - Duration::minutes(5), now), "5 minutes ago");
        assert_eq!(relative(now - Duration::hours(3), now), "3 hours ago");
        assert_eq!(relative(now + Duration::hours(2), now), "in 2 hours");
        assert_eq!(relative(now - Duration::days(2), now), "2 days ago");
        assert_eq!(relative(now - Duration::days(90), now), "2026-08-30 12:00 UTC");
        assert_eq!(absolute(now), "2026-11-28 12:00 UTC");
    }
}
