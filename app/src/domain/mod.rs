//! Pure rules of the product: roles, login-session policy and settings.
//! Nothing here touches a database, the network or the clock; callers pass `now`.

pub mod device;
pub mod identity;
pub mod notice;
pub mod role;
pub mod session;
pub mod settings;
pub mod throttle;

pub use identity::{normalize_email, validate_display_name, validate_password, Password};
pub use notice::SignInNotice;
pub use role::Role;
pub use session::{EndReason, SessionKind, SessionState, SessionView};
pub use settings::LoginSessionSettings;
