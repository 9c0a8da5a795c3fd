//! The server renders the console's pages through the real router.

use crate::support::{body_text, test_app};

#[tokio::test]
async fn sign_in_page_is_server_rendered() {
    let app = test_app().await;
    let response = app.get("/signin").await;
    assert_eq!(response.status(), 200);
    let html = body_text(response).await;
    assert!(html.contains("<h1 id=\"sign-in-title\">Sign in</h1>"), "{html}");
    assert!(html.contains("name=\"email\""));
    assert!(html.contains("type=\"password\""));
    // The hydration script names the bundle make builds.
    assert!(html.contains("/pkg/session-console.js"), "{html}");
}

#[tokio::test]
async fn root_sends_visitors_to_sign_in() {
    let app = test_app().await;
    let response = app.get("/").await;
    assert_eq!(response.status(), 302);
    assert_eq!(
        response.headers().get("location").and_then(|v| v.to_str().ok()),
        Some("/signin")
    );
}

#[tokio::test]
async fn unknown_pages_are_404_once_signed_in() {
    let app = test_app().await;
    // Without a session every page leads to sign-in, so nobody learns which exist.
    let response = app.get("/no/such/page").await;
    assert_eq!(response.status(), 302);
    crate::support::seed(&app, "Acme").await;
    let cookie = app.sign_in("member@acme.test").await;
    let request = http::Request::get("/no/such/page")
        .header("accept", "text/html")
        .header("cookie", &cookie)
        .body(axum::body::Body::empty())
        .expect("request");
    let response = app.send(request).await;
    assert_eq!(response.status(), 404);
    assert!(body_text(response).await.contains("Page not found"));
}

#[tokio::test]
async fn health_answers_without_a_session() {
    let app = test_app().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    assert_eq!(body_text(response).await, "ok");
}
