#![recursion_limit = "512"]
//! Session Console: the Leptos application shared by the server (feature `ssr`)
//! and the browser (feature `hydrate`).

pub mod api;
pub mod components;
pub mod domain;
pub mod error;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod ssr;
#[cfg(feature = "ssr")]
pub mod store;

mod shell;

pub use error::AppError;
pub use shell::{shell, App, SignInApp};

/// The name cargo-leptos and `make` give the wasm bundle and stylesheet under `/pkg`.
pub const OUTPUT_NAME: &str = "session-console";
/// The sign-in page's own, smaller bundle (`frontend` built with its `sign-in` feature).
pub const SIGN_IN_OUTPUT_NAME: &str = "session-console-sign-in";
