//! Server-only parts of the application: state, clock, credentials.

pub mod clock;
pub mod crypto;
pub mod state;

pub use clock::{Clock, ManualClock, SystemClock};
pub use state::{AppState, SecurityConfig};
