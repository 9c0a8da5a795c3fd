//! A readable device description from a session's user agent.

use serde::{Deserialize, Serialize};

/// What kind of device signed in, for the icon and the label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceKind {
    Desktop,
    Phone,
    Tablet,
    Cli,
    Other,
}

impl DeviceKind {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceKind::Desktop => "desktop",
            DeviceKind::Phone => "phone",
            DeviceKind::Tablet => "tablet",
            DeviceKind::Cli => "cli",
            DeviceKind::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DeviceKind::Desktop => "Desktop",
            DeviceKind::Phone => "Phone",
            DeviceKind::Tablet => "Tablet",
            DeviceKind::Cli => "Command line",
            DeviceKind::Other => "Other device",
        }
    }
}

impl std::str::FromStr for DeviceKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "desktop" => DeviceKind::Desktop,
            "phone" => DeviceKind::Phone,
            "tablet" => DeviceKind::Tablet,
            "cli" => DeviceKind::Cli,
            "other" => DeviceKind::Other,
            other => return Err(format!("unknown device kind {other:?}")),
        })
    }
}

/// A device as the lists show it, parsed once when its session starts and stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// "Chrome on Windows 10", "session-console-cli on Linux".
    pub name: String,
    pub kind: DeviceKind,
}

impl Device {
    pub fn summary(&self) -> &str {
        &self.name
    }

    /// What the device filter searches: "Chrome on Windows 10 Desktop".
    pub fn label(&self) -> String {
        format!("{} {}", self.name, self.kind.label())
    }
}

/// Parses a user agent with woothee's compiled-in rules. Command-line clients that
/// woothee does not know are named by the product token they send.
#[cfg(feature = "ssr")]
pub fn describe(user_agent: &str, is_cli: bool) -> Device {
    let parsed = woothee::parser::Parser::new().parse(user_agent);
    let known = |s: &str| !s.is_empty() && s != woothee::woothee::VALUE_UNKNOWN;
    let (mut browser, os, category) = match &parsed {
        Some(r) => (r.name.to_string(), r.os.to_string(), r.category.to_string()),
        None => (String::new(), String::new(), String::new()),
    };
    // Command-line clients are named by their own product token ("curl", not "HTTP Library").
    if is_cli || !known(&browser) {
        browser = user_agent
            .split(['/', ' '])
            .next()
            .filter(|s| !s.is_empty())
            .unwrap_or("Unknown client")
            .to_string();
    }
    let os = if known(&os) {
        os
    } else {
        guess_os(user_agent).to_string()
    };
    let kind = if is_cli {
        DeviceKind::Cli
    } else {
        match category.as_str() {
            "pc" => DeviceKind::Desktop,
            "smartphone" | "mobilephone" if user_agent.contains("iPad") || user_agent.contains("Tablet") => {
                DeviceKind::Tablet
            }
            "smartphone" | "mobilephone" => DeviceKind::Phone,
            _ => DeviceKind::Other,
        }
    };
    let name = if os.is_empty() {
        browser
    } else {
        format!("{browser} on {os}")
    };
    Device { name, kind }
}

#[cfg(feature = "ssr")]
fn guess_os(user_agent: &str) -> &'static str {
    let ua = user_agent.to_ascii_lowercase();
    if ua.contains("linux") {
        "Linux"
    } else if ua.contains("darwin") || ua.contains("mac") {
        "macOS"
    } else if ua.contains("windows") {
        "Windows"
    } else {
        ""
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn browsers_are_named_with_their_os_and_kind() {
        let chrome = describe(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            false,
        );
        assert!(chrome.name.starts_with("Chrome on Windows"), "{chrome:?}");
        assert_eq!(chrome.kind, DeviceKind::Desktop);
        let iphone = describe(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
            false,
        );
        assert_eq!(iphone.kind, DeviceKind::Phone);
        assert_eq!(iphone.name, "Safari on iPhone");
    }

    #[test]
    fn command_line_clients_are_named_by_their_product() {
        let cli = describe("session-console-cli/1.4.2 (linux; x86_64)", true);
        assert_eq!(cli.name, "session-console-cli on Linux");
        assert_eq!(cli.kind, DeviceKind::Cli);
        assert_eq!(describe("curl/8.5.0", true).summary(), "curl");
        assert_eq!(cli.label(), "session-console-cli on Linux Command line");
        for kind in [
            DeviceKind::Desktop,
            DeviceKind::Phone,
            DeviceKind::Tablet,
            DeviceKind::Cli,
            DeviceKind::Other,
        ] {
            assert_eq!(kind.as_str().parse::<DeviceKind>(), Ok(kind));
        }
    }
}
