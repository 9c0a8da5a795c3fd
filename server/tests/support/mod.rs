//! Shared by the integration tests: the real router on a fresh store (SQLite, or
//! Postgres when `TEST_POSTGRES_URL` is set) with a manual clock.

#![allow(dead_code)]

use app::ssr::{ManualClock, SecurityConfig};
use app::store::testing::fresh_store;
use app::store::DynStore;
use axum::body::Body;
use axum::Router;
use chrono::{TimeZone, Utc};
use http::{Request, Response};
use std::sync::Arc;
use tower::ServiceExt;

pub struct TestApp {
    pub router: Router,
    pub store: DynStore,
    pub clock: Arc<ManualClock>,
}

pub async fn test_app() -> TestApp {
    let store = fresh_store().await;
    let start = Utc
        .with_ymd_and_hms(2026, 11, 2, 9, 0, 0)
        .single()
        .expect("valid instant");
    let clock = Arc::new(ManualClock::new(start));
    let state = server::app_state(
        store.clone(),
        clock.clone(),
        SecurityConfig::default(),
        "target/site",
        "127.0.0.1:3000".parse().expect("address"),
    );
    TestApp {
        router: server::router(state),
        store,
        clock,
    }
}

impl TestApp {
    pub async fn send(&self, request: Request<Body>) -> Response<Body> {
        self.router
            .clone()
            .oneshot(request)
            .await
            .expect("the router answers")
    }

    /// A page load as a browser makes it.
    pub async fn get(&self, uri: &str) -> Response<Body> {
        let request = Request::get(uri)
            .header("accept", "text/html,*/*")
            .body(Body::empty())
            .expect("request");
        self.send(request).await
    }
}

pub async fn body_text(response: Response<Body>) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), 4 * 1024 * 1024)
        .await
        .expect("body");
    String::from_utf8_lossy(&bytes).into_owned()
}
