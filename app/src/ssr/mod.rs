//! Server-only plumbing: the application state, the clock, credentials, the HTTP side
//! of the session check and what server functions share. The operations themselves
//! are in `crate::service`.

pub mod auth;
pub mod clock;
pub mod crypto;
pub mod guard;
pub mod server_fn;
pub mod state;
pub mod streams;

pub use clock::{Clock, ManualClock, SystemClock};
pub use state::{AppState, SecurityConfig};

/// Hashes a token as the store sees it (tests and tools look sessions up by it).
pub use crypto::hash_token as token_hash;
