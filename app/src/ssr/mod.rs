//! Server-only parts of the application: state, clock, credentials.

pub mod auth;
pub mod clock;
pub mod crypto;
pub mod server_fn;
pub mod sessions;
pub mod settings;
pub mod state;
pub mod views;

pub use clock::{Clock, ManualClock, SystemClock};
pub use state::{AppState, SecurityConfig};
