//! The HTTP server: the Leptos app, its server functions and the JSON API on one router.

pub mod admin;
pub mod config;
pub mod demo;

use app::ssr::AppState;
use app::{shell, App};
use axum::routing::get;
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::trace::TraceLayer;

/// Builds the whole application. Integration tests drive this same router.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let context_state = state.clone();
    let shell_options = state.leptos_options.clone();
    Router::new()
        .route("/healthz", get(health))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(context_state.clone()),
            move || shell(shell_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Liveness probe; also the unauthenticated floor the benchmark compares against.
async fn health() -> &'static str {
    "ok"
}
