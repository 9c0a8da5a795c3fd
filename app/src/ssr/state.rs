use super::clock::Clock;
use crate::store::DynStore;
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use std::sync::Arc;

/// How credentials travel and when they must be shown again; set from the server's
/// configuration.
#[derive(Debug, Clone)]
pub struct SecurityConfig {
    /// Cookies get `Secure` and the `__Host-` prefix (serve over HTTPS).
    pub secure_cookies: bool,
    /// A header (e.g. `x-forwarded-for`) set by a trusted reverse proxy; when unset,
    /// the socket address is the client address.
    pub trusted_proxy_header: Option<String>,
    /// A session signed in longer ago than this confirms the password before a
    /// sensitive action.
    pub reauthenticate_after: chrono::Duration,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        SecurityConfig {
            secure_cookies: false,
            trusted_proxy_header: None,
            reauthenticate_after: crate::domain::session::REAUTHENTICATE_AFTER,
        }
    }
}

/// Everything a request needs, shared by the router, the server functions and the API.
/// It holds no truth of its own: several processes may serve one database. Cloned for
/// every request by axum's `State`, so it is one `Arc` rather than a bundle of fields.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub store: DynStore,
    pub clock: Arc<dyn Clock>,
    pub security: SecurityConfig,
    pub leptos_options: LeptosOptions,
    /// The live console's open event streams on this process (a limit, not truth).
    pub streams: super::streams::OpenStreams,
    /// Session activity seen here and not written yet (see `service::activity`).
    pub activity: crate::service::activity::ActivityBuffer,
}

impl AppState {
    pub fn new(
        store: DynStore,
        clock: Arc<dyn Clock>,
        security: SecurityConfig,
        leptos_options: LeptosOptions,
    ) -> Self {
        AppState(Arc::new(Shared {
            store,
            clock,
            security,
            leptos_options,
            streams: Default::default(),
            activity: Default::default(),
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
