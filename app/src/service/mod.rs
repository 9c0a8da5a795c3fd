//! Services: one function per operation (sign in, check a session, end sessions, change
//! settings...). Server functions and JSON handlers authenticate and authorise the
//! caller, then make one call here; a service applies the domain's rules and calls the
//! store. Every path that ends a session goes through [`end::end_sessions`].

pub mod account_sessions;
pub mod activity;
pub mod audit;
pub mod check;
pub mod end;
pub mod iam;
pub mod profile;
pub mod rows;
pub mod settings;
pub mod sign_in;
pub mod sweep;
pub mod throttle;
pub mod tokens;

use crate::domain::session::cutoffs;
use crate::domain::LoginSessionSettings;
use crate::store::Liveness;
use chrono::{DateTime, Utc};

/// The cut-offs before which sessions count as expired under `settings` at `now`.
pub fn liveness(settings: &LoginSessionSettings, now: DateTime<Utc>) -> Liveness {
    let (idle_before, created_before) = cutoffs(settings, now);
    Liveness {
        idle_before,
        created_before,
    }
}
