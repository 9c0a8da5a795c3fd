//! The HTTP server: the Leptos app, its server functions and the JSON API on one router.

pub mod admin;
pub mod api;
pub mod assets;
pub mod config;
pub mod demo;
pub mod serve;

use app::ssr::auth::session_layer;
use app::ssr::{AppState, Clock, SecurityConfig};
use app::store::DynStore;
use app::{shell, App};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::HeaderValue;
use axum::middleware;
use axum::routing::get;
use axum::Router;
use leptos::prelude::{provide_context, LeptosOptions};
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::net::SocketAddr;
use std::sync::Arc;
use tower::util::option_layer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnFailure, TraceLayer};

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The state every request sees; built once at start-up (and by tests).
pub fn app_state(
    store: DynStore,
    clock: Arc<dyn Clock>,
    security: SecurityConfig,
    site_root: &str,
    listen: SocketAddr,
) -> AppState {
    let leptos_options = LeptosOptions::builder()
        .output_name(assets::output_name(site_root))
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
    // Over HTTPS only: browsers remember to use it for two years.
    let hsts = state.security.secure_cookies.then(|| {
        SetResponseHeaderLayer::overriding(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        )
    });
    Router::new()
        .route("/healthz", get(health))
        .route("/readyz", get(ready))
        .merge(api::router())
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(context_state.clone()),
            move || shell(shell_options.clone()),
        )
        // Pages, server functions and the API answer for one person: never cached.
        .route_layer(SetResponseHeaderLayer::if_not_present(
            CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        // The wasm, JavaScript and CSS: fingerprinted, precompressed, kept a year.
        .nest_service("/pkg", assets::pkg(&state.leptos_options))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        // The session check runs in front of every route.
        .layer(middleware::from_fn_with_state(state.clone(), session_layer))
        // Headers every response carries. Pages set their own Content-Security-Policy
        // with the nonce of their scripts (`app::shell`); everything else gets one that
        // allows nothing.
        .layer(SetResponseHeaderLayer::if_not_present(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
            ),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(option_layer(hsts))
        // Pages and API answers compressed for browsers that accept it (see assets.rs
        // for what never is); static files come precompressed.
        .layer(assets::compression())
        // No form or JSON this console takes comes near 64 KiB; bigger bodies get 413
        // before anything reads them.
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        // Failed requests are logged where they fail, with their cause (ERROR for our
        // faults, WARN for an unreachable database); the trace layer adds nothing louder.
        .layer(TraceLayer::new_for_http().on_failure(DefaultOnFailure::new().level(tracing::Level::DEBUG)))
        .with_state(state)
}

/// Liveness probe; also the unauthenticated floor the benchmark compares against.
async fn health() -> &'static str {
    "ok"
}

/// Readiness probe: 503 while the database does not answer, so a load balancer sends
/// requests to other processes meanwhile.
async fn ready(axum::extract::State(state): axum::extract::State<AppState>) -> axum::response::Response {
    use axum::response::IntoResponse;
    match state.store.ping().await {
        Ok(()) => "ready".into_response(),
        Err(_) => {
            let retry = app::error::UNAVAILABLE_RETRY_AFTER_SECS.to_string();
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                [(axum::http::header::RETRY_AFTER, retry)],
                "database unreachable",
            )
                .into_response()
        }
    }
}
