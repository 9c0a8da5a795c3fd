//! Integration tests through the real router and the real binary, on SQLite, or on
//! Postgres when `TEST_POSTGRES_URL` is set. One test binary rather than one per file:
//! each links the whole server, and separate binaries cost a gigabyte of disk apiece.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test crate: its helpers, like its tests, fail loudly"
)]

mod support;

mod account_sessions;
mod activity;
mod admin;
mod assets;
mod audit;
mod cluster;
mod events;
mod faults;
mod hardening;
mod iam;
mod pages;
mod profile;
mod sessions;
mod settings;
mod throttle;
