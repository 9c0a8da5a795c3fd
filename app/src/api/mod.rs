//! Server functions: each authenticates, authorises and makes one call into the
//! engine or store. Their `ssr`-only helpers live in `crate::ssr`.

pub mod audit;
pub mod auth;
pub mod iam;
pub mod profile;
pub mod sessions;
pub mod settings;
