//! Requests an attacker or a broken client sends: foreign origins that look almost
//! right, server-function calls in the wrong encoding or with malformed arguments, and
//! revocation of an access token.

use crate::support::{acme_app, body_json, PASSWORD};
use app::domain::LoginSessionSettings;
use axum::body::Body;
use http::Request;

#[tokio::test]
async fn server_functions_take_only_forms_and_refuse_malformed_arguments() {
    let (app, acme) = acme_app().await;
    let admin = app.sign_in("admin@acme.test").await;
    // A text/plain body (which a foreign page can send without a preflight): 415.
    let plain = Request::post("/api/iam_update_setting")
        .header("content-type", "text/plain")
        .header("cookie", &admin)
        .body(Body::from("field=inactivity&value=15&unit=minutes"))
        .unwrap();
    let response = app.send(plain).await;
    assert_eq!(response.status(), 415);
    // Arguments that do not decode: the client's error, not the server's.
    let (status, body) = app
        .call(&admin, "iam_update_setting", "field=sideways&value=1&unit=hours")
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = app.call(&admin, "me_sessions", "view=upside_down").await;
    assert_eq!(status, 400);
    assert_eq!(
        app.store.login_session_settings(acme.account_id).await.unwrap(),
        LoginSessionSettings::default(),
        "nothing changed"
    );
}

#[tokio::test]
async fn origins_must_match_scheme_host_and_port_and_either_signal_refuses() {
    let (app, _) = acme_app().await;
    let cookie = app.sign_in("member@acme.test").await;
    for (origin, fetch_site) in [
        ("https://console.example", None),
        ("http://console.example:8080", None),
        ("http://evil.example", Some("same-origin")),
    ] {
        let mut request = Request::post("/api/sign_out")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("host", "console.example")
            .header("origin", origin)
            .header("cookie", &cookie);
        if let Some(site) = fetch_site {
            request = request.header("sec-fetch-site", site);
        }
        let response = app.send(request.body(Body::empty()).unwrap()).await;
        assert_eq!(response.status(), 403, "{origin} {fetch_site:?}");
    }
    assert!(app.is_active(&cookie).await, "still signed in");
}

#[tokio::test]
async fn revoking_an_access_token_ends_its_session() {
    let (app, _) = acme_app().await;
    let grant = format!(
        "grant_type=password&username=member%40acme.test&password={}",
        PASSWORD.replace(' ', "+")
    );
    let tokens = body_json(app.token(&grant).await).await;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(app.me_bearer_status(access).await, 200);
    let revoked = app
        .post_form("/api/v1/auth/revoke", &format!("token={access}"), None)
        .await;
    assert_eq!(revoked.status(), 200);
    assert_eq!(app.me_bearer_status(access).await, 401);
    assert_eq!(
        app.refresh(refresh).await.status(),
        400,
        "the whole session ended"
    );
}
