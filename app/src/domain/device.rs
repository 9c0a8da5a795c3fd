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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    pub browser: String,
    pub os: String,
    pub kind: DeviceKind,
}

impl Device {
    /// "Chrome on Windows 10", "session-console-cli on Linux".
    pub fn summary(&self) -> String {
        if self.os.is_empty() {
            self.browser.clone()
        } else {
            format!("{} on {}", self.browser, self.os)
        }
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
    Device { browser, os, kind }
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
        assert_eq!(chrome.browser, "Chrome");
        assert!(chrome.os.starts_with("Windows"), "{chrome:?}");
        assert_eq!(chrome.kind, DeviceKind::Desktop);
        let iphone = describe(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
            false,
        );
        assert_eq!(iphone.kind, DeviceKind::Phone);
        assert_eq!(iphone.browser, "Safari");
    }

    #[test]
    fn command_line_clients_are_named_by_their_product() {
        let cli = describe("session-console-cli/1.4.2 (linux; x86_64)", true);
        assert_eq!(cli.browser, "session-console-cli");
        assert_eq!(cli.os, "Linux");
        assert_eq!(cli.kind, DeviceKind::Cli);
        assert_eq!(describe("curl/8.5.0", true).summary(), "curl");
    }
}
