//! Checks on what a person types to identify themselves.

use std::fmt;

/// A password in transit from a form to the verifier. Its `Debug` is redacted and its
/// serde impls are written by hand, so it never lands in a log by accident.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn new(s: impl Into<String>) -> Self {
        Password(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl serde::Serialize for Password {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Password {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Password)
    }
}

/// Lower-cases and trims an email address and checks its rough shape.
/// Identity is one email per person, compared case-insensitively.
pub fn normalize_email(raw: &str) -> Result<String, &'static str> {
    let email = raw.trim().to_lowercase();
    if email.is_empty() {
        return Err("Enter an email address");
    }
    if email.len() > 254 {
        return Err("An email address has at most 254 characters");
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err("Enter an email address like name@example.com");
    };
    let shape_ok = !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace);
    if !shape_ok {
        return Err("Enter an email address like name@example.com");
    }
    Ok(email)
}

pub fn validate_display_name(raw: &str) -> Result<String, &'static str> {
    let name = raw.trim();
    if name.is_empty() {
        return Err("Enter a name");
    }
    if name.chars().count() > 100 {
        return Err("A name has at most 100 characters");
    }
    Ok(name.to_string())
}

/// The longest password accepted anywhere, so no one can make the server hash megabytes.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Checks a password offered to sign in or to confirm an action: present, and not so
/// long that hashing it would be a burden. Whether it is right is the verifier's job.
pub fn check_offered_password(raw: &str) -> Result<(), &'static str> {
    if raw.is_empty() {
        return Err("Enter your password");
    }
    if raw.len() > MAX_PASSWORD_BYTES {
        return Err("A password has at most 1024 bytes");
    }
    Ok(())
}

/// A new password: minimum length only, as NIST SP 800-63B recommends; no composition
/// rules; at most `MAX_PASSWORD_BYTES`.
pub fn validate_password(raw: &str) -> Result<(), &'static str> {
    if raw.is_empty() {
        return Err("Enter a password");
    }
    if raw.chars().count() < 8 {
        return Err("A password has at least 8 characters");
    }
    check_offered_password(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_do_not_show_in_debug_output() {
        assert_eq!(format!("{:?}", Password::new("hunter2")), "Password(<redacted>)");
    }

    #[test]
    fn emails_are_normalized() {
        assert_eq!(
            normalize_email("  Ada@Example.COM "),
            Ok("ada@example.com".into())
        );
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "ada@@x.com",
            "a da@x.com",
            "ada@.com",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn names_and_passwords() {
        assert_eq!(
            validate_display_name("  Ada Lovelace "),
            Ok("Ada Lovelace".into())
        );
        assert!(validate_display_name("   ").is_err());
        assert!(validate_password("").is_err());
        assert!(validate_password("short").is_err());
        assert!(validate_password("long enough").is_ok());
        assert!(validate_password(&"x".repeat(1025)).is_err());
        assert!(check_offered_password(&"x".repeat(1024)).is_ok());
        assert_eq!(
            check_offered_password(&"x".repeat(1_000_000)),
            Err("A password has at most 1024 bytes")
        );
        assert!(check_offered_password("").is_err());
    }
}
