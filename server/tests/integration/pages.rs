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
    // The page loads the sign-in page's own bundle and the console's stylesheet.
    assert!(html.contains("/pkg/session-console-sign-in.js"), "{html}");
    assert!(html.contains("/pkg/session-console-sign-in_bg.wasm"), "{html}");
    assert!(!html.contains("/pkg/session-console.js"), "{html}");
    assert!(html.contains("/pkg/session-console.css"), "{html}");
}

#[tokio::test]
async fn console_pages_load_the_console_bundle() {
    let app = test_app().await;
    crate::support::seed(&app, "Acme").await;
    let cookie = app.sign_in("member@acme.test").await;
    let request = http::Request::get("/profile")
        .header("accept", "text/html")
        .header("cookie", &cookie)
        .body(axum::body::Body::empty())
        .expect("request");
    let response = app.send(request).await;
    assert_eq!(response.status(), 200);
    let html = body_text(response).await;
    assert!(html.contains("/pkg/session-console.js"), "{html}");
    assert!(html.contains("/pkg/session-console_bg.wasm"), "{html}");
    assert!(!html.contains("sign-in."), "{html}");
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

#[tokio::test]
async fn pages_and_answers_carry_the_security_headers() {
    let (app, _) = crate::support::acme_app().await;
    let page = app.get("/signin").await;
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    for directive in [
        "default-src 'self'",
        "'wasm-unsafe-eval'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
    ] {
        assert_eq!(page.headers()[name], value);
    }
    assert!(
        !page.headers().contains_key("strict-transport-security"),
        "not over plain HTTP"
    );
    // The policy's nonce is the one on the page's scripts.
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce")
        .to_string();
    let html = body_text(page).await;
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "scripts carry the nonce"
    );

    // Signed-in pages and API answers are never cached.
    let cookie = app.sign_in("member@acme.test").await;
    assert_eq!(
        app.page("/", &cookie).await.headers()["cache-control"],
        "no-store"
    );
    let me = app.get_with("/api/v1/me", ("cookie", &cookie)).await;
    assert_eq!(me.headers()["cache-control"], "no-store");
    assert_eq!(
        me.headers()["content-security-policy"],
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    );
}

#[tokio::test]
async fn https_deployments_get_strict_transport_security() {
    let app = crate::support::test_app_with(app::ssr::SecurityConfig {
        secure_cookies: true,
        ..Default::default()
    })
    .await;
    let page = app.get("/signin").await;
    assert_eq!(
        page.headers()["strict-transport-security"],
        "max-age=63072000; includeSubDomains"
    );
}
