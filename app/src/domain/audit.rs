//! The audit log's rules: which events there are, the filter as typed (in a URL or an
//! API query) and as checked, and the export formats. Parsed the same way in the
//! browser (a bad filter is never sent) and on the server (which trusts nothing).

use super::search::{fields, TimeRange};
use super::{parse_name, EndReason, UnknownName};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// What happened. Stored by name; the names are the API's and the export's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum AuditAction {
    SignInSucceeded,
    /// A wrong password and an unknown email are one event: the log is no oracle.
    SignInFailed,
    SignedOut,
    /// Ended by anyone or anything but its own sign-out: the reason says why.
    SessionEnded,
    /// One administrator's bulk end, beside one `SessionEnded` per session.
    SessionsBulkEnded,
    RefreshTokenReuse,
    SettingsChanged,
    MembershipAdded,
    RoleChanged,
}

impl AuditAction {
    pub const ALL: [AuditAction; 9] = [
        AuditAction::SignInSucceeded,
        AuditAction::SignInFailed,
        AuditAction::SignedOut,
        AuditAction::SessionEnded,
        AuditAction::SessionsBulkEnded,
        AuditAction::RefreshTokenReuse,
        AuditAction::SettingsChanged,
        AuditAction::MembershipAdded,
        AuditAction::RoleChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::SignInSucceeded => "sign_in.succeeded",
            AuditAction::SignInFailed => "sign_in.failed",
            AuditAction::SignedOut => "session.signed_out",
            AuditAction::SessionEnded => "session.ended",
            AuditAction::SessionsBulkEnded => "sessions.bulk_ended",
            AuditAction::RefreshTokenReuse => "refresh_token.reuse_detected",
            AuditAction::SettingsChanged => "settings.login_session.updated",
            AuditAction::MembershipAdded => "membership.added",
            AuditAction::RoleChanged => "membership.role_changed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AuditAction::SignInSucceeded => "Signed in",
            AuditAction::SignInFailed => "Sign-in failed",
            AuditAction::SignedOut => "Signed out",
            AuditAction::SessionEnded => "Session ended",
            AuditAction::SessionsBulkEnded => "Sessions ended in bulk",
            AuditAction::RefreshTokenReuse => "Refresh token reuse detected",
            AuditAction::SettingsChanged => "Session settings changed",
            AuditAction::MembershipAdded => "Member added",
            AuditAction::RoleChanged => "Role changed",
        }
    }

    /// The event that records a session's end: its own sign-out, or any other end.
    pub fn of_end(reason: EndReason) -> Self {
        if reason == EndReason::SignedOut {
            AuditAction::SignedOut
        } else {
            AuditAction::SessionEnded
        }
    }
}

impl FromStr for AuditAction {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_name(s, &AuditAction::ALL, Self::as_str, "audit event")
    }
}

impl From<AuditAction> for String {
    fn from(a: AuditAction) -> String {
        a.as_str().to_string()
    }
}

impl TryFrom<String> for AuditAction {
    type Error = UnknownName;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// Why a sign-in failed, as the log tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInFailure {
    /// The email is unknown or the password is wrong: deliberately not told apart.
    IncorrectCredentials,
    /// Refused before the password was checked: too many recent failures.
    Throttled,
}

impl SignInFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            SignInFailure::IncorrectCredentials => "incorrect_email_or_password",
            SignInFailure::Throttled => "throttled",
        }
    }
}

/// The filter exactly as typed: every field text, empty when unused. Field names are
/// the URL's and the API's query parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditFilterInput {
    pub event: String,
    pub actor: String,
    pub target: String,
    pub ip: String,
    pub after: String,
    pub before: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditField {
    Event,
    Actor,
    Target,
    Ip,
    After,
    Before,
    Cursor,
    Limit,
    Format,
}

impl AuditField {
    pub const FILTERS: [AuditField; 6] = [
        AuditField::Event,
        AuditField::Actor,
        AuditField::Target,
        AuditField::Ip,
        AuditField::After,
        AuditField::Before,
    ];

    pub fn key(self) -> &'static str {
        match self {
            AuditField::Event => "event",
            AuditField::Actor => "actor",
            AuditField::Target => "target",
            AuditField::Ip => "ip",
            AuditField::After => "after",
            AuditField::Before => "before",
            AuditField::Cursor => "cursor",
            AuditField::Limit => "limit",
            AuditField::Format => "format",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditProblem {
    pub field: AuditField,
    pub message: String,
}

/// A checked field's value; a refusal is noted at its field.
fn checked<T>(
    problems: &mut Vec<AuditProblem>,
    field: AuditField,
    result: Result<Option<T>, String>,
) -> Option<T> {
    result
        .map_err(|m| problems.push(problem(field, m)))
        .ok()
        .flatten()
}

fn problem(field: AuditField, message: impl Into<String>) -> AuditProblem {
    AuditProblem {
        field,
        message: message.into(),
    }
}

/// Who acted: the system (limits, expiry, reuse detection, the command line), or a
/// person found by part of their name or email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActorFilter {
    System,
    Person(String),
}

/// A checked filter: every part that is set must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    pub action: Option<AuditAction>,
    pub actor: Option<ActorFilter>,
    /// Part of the target user's name or email, any case.
    pub target: Option<String>,
    /// The actor's request came from this network.
    pub ip: Option<IpNet>,
    pub occurred: TimeRange,
}

impl AuditFilterInput {
    pub fn get(&self, field: AuditField) -> &str {
        match field {
            AuditField::Event => &self.event,
            AuditField::Actor => &self.actor,
            AuditField::Target => &self.target,
            AuditField::Ip => &self.ip,
            AuditField::After => &self.after,
            AuditField::Before => &self.before,
            AuditField::Cursor | AuditField::Limit | AuditField::Format => "",
        }
    }

    /// Sets a field from a query parameter; false for a key that is not a filter.
    pub fn set(&mut self, key: &str, value: String) -> bool {
        let slot = match AuditField::FILTERS.into_iter().find(|f| f.key() == key) {
            Some(AuditField::Event) => &mut self.event,
            Some(AuditField::Actor) => &mut self.actor,
            Some(AuditField::Target) => &mut self.target,
            Some(AuditField::Ip) => &mut self.ip,
            Some(AuditField::After) => &mut self.after,
            Some(AuditField::Before) => &mut self.before,
            _ => return false,
        };
        *slot = value;
        true
    }

    /// The set fields as `key=value` pairs, in a fixed order: for URLs.
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        AuditField::FILTERS
            .into_iter()
            .map(|f| (f.key(), self.get(f).trim()))
            .filter(|(_, v)| !v.is_empty())
            .collect()
    }

    /// Checks every field, reporting each one refused.
    pub fn parse(&self) -> Result<AuditFilter, Vec<AuditProblem>> {
        let mut problems = Vec::new();
        let actor = checked(&mut problems, AuditField::Actor, fields::text(&self.actor)).map(|a| {
            if a.eq_ignore_ascii_case("system") {
                ActorFilter::System
            } else {
                ActorFilter::Person(a)
            }
        });
        let target = checked(&mut problems, AuditField::Target, fields::text(&self.target));
        let action = match self.event.trim() {
            "" | "any" => None,
            value => match AuditAction::from_str(value) {
                Ok(action) => Some(action),
                Err(_) => {
                    problems.push(problem(AuditField::Event, "Choose one of the listed event types"));
                    None
                }
            },
        };
        let ip = checked(&mut problems, AuditField::Ip, fields::network(&self.ip));
        let occurred = TimeRange {
            after: checked(
                &mut problems,
                AuditField::After,
                fields::instant(&self.after, false),
            ),
            before: checked(
                &mut problems,
                AuditField::Before,
                fields::instant(&self.before, true),
            ),
        };
        if let (Some(a), Some(b)) = (occurred.after, occurred.before) {
            if b <= a {
                problems.push(problem(AuditField::Before, fields::END_BEFORE_START));
            }
        }
        if problems.is_empty() {
            Ok(AuditFilter {
                action,
                actor,
                target,
                ip,
                occurred,
            })
        } else {
            Err(problems)
        }
    }
}

/// How an export is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    JsonLines,
}

impl ExportFormat {
    pub fn parse(value: &str) -> Result<Self, AuditProblem> {
        match value.trim() {
            "" | "csv" => Ok(ExportFormat::Csv),
            "jsonl" => Ok(ExportFormat::JsonLines),
            _ => Err(problem(AuditField::Format, "Choose csv or jsonl")),
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::JsonLines => "application/x-ndjson",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::JsonLines => "jsonl",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(pairs: &[(&str, &str)]) -> Result<AuditFilter, Vec<AuditProblem>> {
        let mut input = AuditFilterInput::default();
        for (k, v) in pairs {
            assert!(input.set(k, v.to_string()), "{k}");
        }
        input.parse()
    }

    #[test]
    fn event_names_round_trip_and_sign_out_is_its_own_event() {
        for a in AuditAction::ALL {
            assert_eq!(a.as_str().parse::<AuditAction>(), Ok(a));
        }
        assert_eq!(AuditAction::of_end(EndReason::SignedOut), AuditAction::SignedOut);
        assert_eq!(
            AuditAction::of_end(EndReason::EndedByAdministrator),
            AuditAction::SessionEnded
        );
        assert_eq!(
            serde_json::to_string(&AuditAction::SignInFailed).unwrap(),
            "\"sign_in.failed\""
        );
    }

    #[test]
    fn filters_are_checked_field_by_field() {
        let f = filter(&[
            ("event", "session.ended"),
            ("actor", "System"),
            ("target", " olivia "),
            ("ip", "203.0.113.9/24"),
            ("after", "2026-11-01"),
            ("before", "2026-11-02"),
        ])
        .unwrap();
        assert_eq!(f.action, Some(AuditAction::SessionEnded));
        assert_eq!(f.actor, Some(ActorFilter::System));
        assert_eq!(f.target.as_deref(), Some("olivia"));
        assert_eq!(f.ip.unwrap().to_string(), "203.0.113.0/24");
        assert!(f.occurred.before.unwrap() > f.occurred.after.unwrap());
        assert_eq!(
            filter(&[("actor", "adam")]).unwrap().actor,
            Some(ActorFilter::Person("adam".into()))
        );

        let problems = filter(&[
            ("event", "nope"),
            ("ip", "203.0.113.0/33"),
            ("after", "2026-11-02"),
            ("before", "2026-11-01"),
        ])
        .unwrap_err();
        let fields: Vec<_> = problems.iter().map(|p| p.field).collect();
        assert_eq!(fields, [AuditField::Event, AuditField::Ip, AuditField::Before]);
        assert_eq!(
            filter(&[("after", "yesterday")]).unwrap_err()[0].field,
            AuditField::After
        );
        assert!(filter(&[("actor", &"x".repeat(201))]).is_err());
    }

    #[test]
    fn export_formats() {
        assert_eq!(ExportFormat::parse(""), Ok(ExportFormat::Csv));
        assert_eq!(ExportFormat::parse("jsonl"), Ok(ExportFormat::JsonLines));
        assert_eq!(ExportFormat::parse("xml").unwrap_err().field, AuditField::Format);
    }
}
