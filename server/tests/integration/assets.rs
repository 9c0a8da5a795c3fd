//! The built site on the wire: fingerprinted names in the page, precompressed copies
//! for browsers that accept them, a year of caching for fingerprinted files only, and
//! compressed pages and answers, except event streams and answers that carry a credential.

use crate::support::{body_json, fresh_site_app};
use axum::body::Body;
use axum::http::Request;

const NAME: &str = "session-console.0123456789abcdef";
const SIGN_IN: &str = "session-console-sign-in.0123456789abcdef";

#[tokio::test]
async fn fingerprinted_assets_are_precompressed_and_kept_a_year() {
    let (app, _site) = fresh_site_app(Some(NAME)).await;
    let page = app.get("/signin").await;
    let html = crate::support::body_text(page).await;
    assert!(html.contains(&format!("/pkg/{SIGN_IN}.js")), "{html}");
    assert!(html.contains(&format!("/pkg/{SIGN_IN}_bg.wasm")), "{html}");
    assert!(html.contains(&format!("/pkg/{NAME}.css")), "{html}");

    let get = |path: String, encoding: Option<&'static str>| {
        let mut request = Request::get(path);
        if let Some(e) = encoding {
            request = request.header("accept-encoding", e);
        }
        app.send(request.body(Body::empty()).unwrap())
    };
    let br = get(format!("/pkg/{NAME}_bg.wasm"), Some("gzip, deflate, br")).await;
    assert_eq!(br.status(), 200);
    assert_eq!(br.headers()["content-encoding"], "br");
    assert_eq!(br.headers()["content-type"], "application/wasm");
    assert_eq!(
        br.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(crate::support::body_bytes(br).await, b"wasm, brotli");
    let sign_in = get(format!("/pkg/{SIGN_IN}_bg.wasm"), Some("br")).await;
    assert_eq!(sign_in.headers()["content-encoding"], "br");
    assert_eq!(
        sign_in.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let gz = get(format!("/pkg/{NAME}.js"), Some("gzip")).await;
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let plain = get(format!("/pkg/{NAME}.css"), None).await;
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(crate::support::body_bytes(plain).await, b"body { color: black }");
    let missing = get("/pkg/session-console.ffffffffffffffff.js".into(), Some("br")).await;
    assert_eq!(missing.status(), 404);
    assert_ne!(
        missing.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
}

#[tokio::test]
async fn a_development_build_is_revalidated() {
    let (app, _site) = fresh_site_app(None).await;
    let response = app.get("/pkg/session-console.js").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-cache");
}

#[tokio::test]
async fn pages_and_answers_are_compressed_but_not_credentials_or_streams() {
    let (app, _site) = fresh_site_app(Some(NAME)).await;
    let page = app
        .send(
            Request::get("/signin")
                .header("accept-encoding", "br")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.headers()["content-encoding"], "br");
    assert_eq!(page.headers()["cache-control"], "no-store");

    // The token endpoint's answer carries tokens: never compressed.
    let form = format!(
        "grant_type=password&username=admin@acme.test&password={}",
        crate::support::PASSWORD.replace(' ', "+")
    );
    crate::support::seed(&app, "Acme").await;
    let tokens = app
        .send(
            Request::post("/api/v1/auth/token")
                .header("content-type", "application/x-www-form-urlencoded")
                .header("accept-encoding", "gzip, br")
                .body(Body::from(form))
                .unwrap(),
        )
        .await;
    assert_eq!(tokens.status(), 200);
    assert!(tokens.headers().get("content-encoding").is_none());
    let access = body_json(tokens).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();

    // A JSON answer without secrets is compressed; an event stream never is.
    let me = app
        .send(
            Request::get("/api/v1/account/audit-events?limit=200")
                .header("authorization", format!("Bearer {access}"))
                .header("accept-encoding", "gzip")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(me.status(), 200);
    assert_eq!(me.headers()["content-encoding"], "gzip");
    let events = app
        .send(
            Request::get("/api/v1/events")
                .header("authorization", format!("Bearer {access}"))
                .header("accept-encoding", "gzip, br")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(events.status(), 200);
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    assert!(events.headers().get("content-encoding").is_none());
}
