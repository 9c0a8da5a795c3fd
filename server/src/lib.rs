//! The HTTP server: the Leptos app, its server functions and the JSON API on one router.

pub mod admin;
pub mod api;
pub mod config;
pub mod demo;

use app::ssr::auth::session_layer;
use app::ssr::{AppState, Clock, SecurityConfig};
use app::store::DynStore;
use app::{shell, App};
use axum::middleware;
use axum::routing::get;
use axum::Router;
use leptos::prelude::{provide_context, LeptosOptions};
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::net::SocketAddr;
use std::sync::Arc;
use tower_http::trace::TraceLayer;

/// The state every request sees; built once at start-up (and by tests).
pub fn app_state(
    store: DynStore,
    clock: Arc<dyn Clock>,
    security: SecurityConfig,
    site_root: &str,
    listen: SocketAddr,
) -> AppState {
    let leptos_options = LeptosOptions::builder()
        .output_name(app::OUTPUT_NAME)
        .site_root(site_root)
        .site_pkg_dir("pkg")
        .site_addr(listen)
        .build();
    AppState::new(store, clock, security, leptos_options)
}

/// Builds the whole application. Integration tests drive this same router.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let context_state = state.clone();
    let shell_options = state.leptos_options.clone();
    Router::new()
        .route("/healthz", get(health))
        .merge(api::router())
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(context_state.clone()),
            move || shell(shell_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        // The session check runs in front of every route.
        .layer(middleware::from_fn_with_state(state.clone(), session_layer))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Liveness probe; also the unauthenticated floor the benchmark compares against.
async fn health() -> &'static str {
    "ok"
}
