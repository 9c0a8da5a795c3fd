mod audit;
mod sessions;
mod settings;
mod user;
mod users;

pub use audit::AuditLogPage;
pub use sessions::AccountSessionsPage;
pub use settings::SettingsPage;
pub use user::UserDetailsPage;
pub use users::UsersPage;

use crate::error::AppError;
use leptos::prelude::*;

/// What a console page shows when its data could not be loaded: the 403 page for
/// people without access, "not found" naming what was looked for, or the error.
#[component]
pub fn LoadError(
    error: AppError,
    /// What the page shows, for "… not found": "User", "Settings".
    subject: &'static str,
) -> impl IntoView {
    crate::components::reload_if_signed_out(&error);
    match error {
        AppError::Forbidden => view! {
            <h1>"You don't have access to this page"</h1>
            <p>
                "Only the account's owner and administrators can manage users and their sessions. You can review your own sessions on your profile."
            </p>
        }
        .into_any(),
        AppError::NotFound => view! {
            <h1>{format!("{subject} not found")}</h1>
            <p>{format!("There is no such {} in this account.", subject.to_lowercase())}</p>
            <p>
                <a href="/iam/users">"Back to users"</a>
            </p>
        }
        .into_any(),
        other => view! {
            <h1>"Something went wrong"</h1>
            <p role="alert" class="notice notice--error">
                {other.to_string()}
            </p>
        }
        .into_any(),
    }
}

/// The top of an Access (IAM) section: breadcrumb, heading and the section tabs.
#[component]
pub fn IamHeading(
    /// The section's name: "Users", "Sessions", "Audit log" or "Settings".
    title: &'static str,
) -> impl IntoView {
    view! {
        <nav class="breadcrumb" aria-label="Breadcrumb">
            <ol>
                <li>"Manage"</li>
                <li>"Access (IAM)"</li>
                <li aria-current="page">{title}</li>
            </ol>
        </nav>
        <h1>{title}</h1>
        <IamTabs current=title />
    }
}

/// The Access (IAM) sections: Users, Sessions, Audit log and Settings.
#[component]
fn IamTabs(current: &'static str) -> impl IntoView {
    let tab = move |href: &'static str, key: &'static str, label: &'static str| {
        view! {
            <a href=href class="tabs__tab" aria-current=(current == key).then_some("page")>
                {label}
            </a>
        }
    };
    view! {
        <nav class="tabs" aria-label="Access (IAM)">
            {tab("/iam/users", "Users", "Users")}
            {tab("/iam/sessions", "Sessions", "Sessions")}
            {tab("/iam/audit", "Audit log", "Audit log")}
            {tab("/iam/settings", "Settings", "Settings")}
        </nav>
    }
}

/// `path?key=value&…` with each value percent-encoded.
pub(crate) fn query_href(path: &str, pairs: &[(&str, &str)]) -> String {
    let encode = |value: &str| -> String {
        value
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    let query: Vec<String> = pairs
        .iter()
        .map(|(key, value)| format!("{key}={}", encode(value)))
        .collect();
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", query.join("&"))
    }
}
