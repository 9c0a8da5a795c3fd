mod console;
mod iam;
mod not_found;
mod profile;
mod sign_in;

pub use console::{use_caller, ConsoleLayout, HomePage};
pub use iam::{AccountSessionsPage, AuditLogPage, SettingsPage, UserDetailsPage, UsersPage};
pub use not_found::NotFound;
pub use profile::ProfilePage;
pub use sign_in::SignInPage;
