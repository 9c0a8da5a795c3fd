//! Pure rules of the product: roles, login-session policy and settings.
//! Nothing here touches a database, the network or the clock; callers pass `now`.

pub mod audit;
pub mod device;
pub mod identity;
pub mod notice;
pub mod role;
pub mod search;
pub mod session;
pub mod settings;
pub mod throttle;

pub use identity::{normalize_email, validate_display_name, validate_password, Password};
pub use notice::SignInNotice;
pub use role::Role;
pub use session::{EndReason, SessionKind, SessionState, SessionView};
pub use settings::LoginSessionSettings;

/// A name one of the domain's enums does not know (a role, a session kind, an end
/// reason), e.g. read from a newer version's row or typed on a command line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {name:?}")]
pub struct UnknownName {
    pub what: &'static str,
    pub name: String,
}

/// The one of `all` whose `name` is `s`.
fn parse_name<T: Copy>(
    s: &str,
    all: &[T],
    name: fn(T) -> &'static str,
    what: &'static str,
) -> Result<T, UnknownName> {
    all.iter()
        .copied()
        .find(|v| name(*v) == s)
        .ok_or_else(|| UnknownName {
            what,
            name: s.to_string(),
        })
}

/// An instant `secs` after a fixed start, for the rules' unit tests.
#[cfg(test)]
pub(crate) fn t(secs: i64) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono::Utc
        .timestamp_opt(1_800_000_000 + secs, 0)
        .single()
        .unwrap_or_default()
}
