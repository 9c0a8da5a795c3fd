mod console;
mod iam;
mod not_found;
mod sign_in;

pub use console::{use_caller, ConsoleLayout, HomePage};
pub use iam::{UserPage, UsersPage};
pub use not_found::NotFound;
pub use sign_in::SignInPage;
