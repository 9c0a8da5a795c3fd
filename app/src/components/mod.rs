//! Small reusable console components.

pub mod confirm;
pub mod details;
pub mod drawer;
mod filter_field;
pub mod header;
pub mod live;
pub mod loading;
pub mod menu;
pub mod modal;
pub mod password_field;
pub mod sessions;
pub mod status;
pub mod table;
pub mod time;

pub use confirm::ConfirmDialog;
pub use details::Details;
pub use drawer::Drawer;
pub use filter_field::FilterTextField;
pub use header::ConsoleHeader;
pub use loading::Loading;
pub use menu::{MenuAction, MenuButton, MenuItem};
pub use password_field::PasswordField;
pub use sessions::{SessionScope, SessionsPanel};
pub use status::StatusMessage;
pub use table::{DataTable, KeysetPages};
pub use time::RelativeTime;

/// Reloads the page after the server answered 401: the page load then goes through the
/// session check, which sends the browser to the sign-in page saying why.
pub fn reload_if_signed_out(error: &crate::AppError) {
    if matches!(error, crate::AppError::Unauthorized { .. }) {
        #[cfg(feature = "hydrate")]
        if let Ok(location) = leptos::prelude::window().location().pathname() {
            let _ = leptos::prelude::window().location().assign(&location);
        }
    }
}
