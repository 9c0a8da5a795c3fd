use super::clock::Clock;
use crate::store::DynStore;
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use std::sync::Arc;

/// How credentials travel; set from the server's configuration.
#[derive(Debug, Clone, Default)]
pub struct SecurityConfig {
    /// Cookies get `Secure` and the `__Host-` prefix (serve over HTTPS).
    pub secure_cookies: bool,
    /// A header (e.g. `x-forwarded-for`) set by a trusted reverse proxy; when unset,
    /// the socket address is the client address.
    pub trusted_proxy_header: Option<String>,
}

/// Everything a request needs, shared by the router, the server functions and the API.
/// It holds no truth of its own: several processes may serve one database.
#[derive(Clone)]
pub struct AppState {
    pub store: DynStore,
    pub clock: Arc<dyn Clock>,
    pub security: Arc<SecurityConfig>,
    pub leptos_options: LeptosOptions,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
