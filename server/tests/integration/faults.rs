//! Faults an operator meets: the database going away, clients sending too much or
//! nonsense, and a start-up before the database is up.

use crate::support::{acme_app, body_json, body_text, unreachable_app};
use axum::body::Body;
use http::Request;
use tower::ServiceExt;

async fn send(router: &axum::Router, request: Request<Body>) -> http::Response<Body> {
    router.clone().oneshot(request).await.expect("the router answers")
}

/// A GET with one header.
fn get(uri: &str, header: (&str, &str)) -> Request<Body> {
    Request::get(uri)
        .header(header.0, header.1)
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn an_unreachable_database_answers_503_and_says_so() {
    let router = unreachable_app();
    let started = std::time::Instant::now();
    // The API and server functions: 503 with Retry-After and a clear message.
    let api = get("/api/v1/me", ("authorization", "Bearer some-token"));
    let response = send(&router, api).await;
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "5");
    let body = body_json(response).await;
    assert_eq!(
        body["error"],
        "Session Console can't reach its database. Try again in a moment."
    );
    // A page load: a page that says what is wrong.
    let mut page = get("/profile", ("accept", "text/html"));
    page.headers_mut()
        .insert("cookie", http::HeaderValue::from_static("sc_session=some-token"));
    let response = send(&router, page).await;
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "5");
    let html = body_text(response).await;
    assert!(
        html.contains("<h1>Session Console can't reach its database</h1>"),
        "{html}"
    );
    // Not ready, though alive.
    let ready = send(&router, Request::get("/readyz").body(Body::empty()).unwrap()).await;
    assert_eq!(ready.status(), 503);
    let alive = send(&router, Request::get("/healthz").body(Body::empty()).unwrap()).await;
    assert_eq!(alive.status(), 200);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "within the acquire timeout"
    );
}

#[tokio::test]
async fn oversized_and_malformed_input_is_the_clients_error() {
    let (app, _) = acme_app().await;
    let admin = app.sign_in("admin@acme.test").await;
    // 20 MB to a server function and to the JSON API: 413, read no further.
    let big = "x".repeat(20 * 1024 * 1024);
    let response = app.post_form("/api/iam_update_setting", &big, Some(&admin)).await;
    assert_eq!(response.status(), 413);
    let json = format!("{{\"inactivity_secs\": \"{big}\"}}");
    let patch = Request::patch("/api/v1/account/settings/login-session")
        .header("content-type", "application/json")
        .header("content-length", json.len())
        .header("cookie", &admin)
        .body(Body::from(json))
        .unwrap();
    assert_eq!(app.send(patch).await.status(), 413);
    // Arguments of the wrong type or out of their domain: 400.
    let (status, _) = app
        .call(&admin, "iam_list_users", "search=&sort=name&page=-1")
        .await;
    assert_eq!(status, 400);
    let (status, _) = app
        .call(&admin, "iam_list_users", "search=&sort=sideways&page=1")
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn passwords_are_capped_at_every_entry_point() {
    let (app, _) = acme_app().await;
    let long = "x".repeat(1025);
    let browser = app
        .post_form(
            "/api/sign_in",
            &format!("email=member%40acme.test&password={long}"),
            None,
        )
        .await;
    assert_eq!(browser.status(), 422);
    let error: app::AppError = serde_json::from_value(body_json(browser).await).unwrap();
    assert_eq!(
        error.field("password").as_deref(),
        Some("A password has at most 1024 bytes")
    );
    let cli = app
        .token(&format!(
            "grant_type=password&username=member%40acme.test&password={long}"
        ))
        .await;
    assert_eq!(cli.status(), 400);
    // Re-authentication too.
    let cookie = app.sign_in("member@acme.test").await;
    app.clock.advance(chrono::Duration::minutes(16));
    let form = format!("keep_current=true&password={long}");
    let (status, body) = app.call(&cookie, "me_end_sessions", &form).await;
    let error: app::AppError = serde_json::from_value(body).unwrap();
    assert_eq!(status, 422);
    assert_eq!(
        error.field("password").as_deref(),
        Some("A password has at most 1024 bytes")
    );
    // Refused before any hashing or counting, so the right password still works.
    app.sign_in("member@acme.test").await;
}

#[test]
fn start_up_waits_for_the_database_then_fails_in_one_line_without_the_password() {
    let started = std::time::Instant::now();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_session-console"))
        .args(["--db-connect-timeout-secs", "1", "migrate"])
        .env("DATABASE_URL", "postgres://console:secret@127.0.0.1:9/console")
        .env("LOG_LEVEL", "error")
        .output()
        .expect("run the binary");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("127.0.0.1:9"), "names where it tried: {stderr}");
    assert!(!stderr.contains("secret"), "never the password: {stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
}

/// Serves the test app on a loopback port with `limits`; returns the address, the
/// shutdown trigger and the serving task.
async fn serve_on_loopback(
    limits: server::serve::Limits,
) -> (
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
    crate::support::TestApp,
) {
    let (app, _) = acme_app().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let router = app.router.clone();
    let serving = tokio::spawn(server::serve::serve(listener, router, limits, async {
        let _ = stopped.await;
    }));
    (address, stop, serving, app)
}

/// Reads until the server closes the connection; what it sent.
async fn read_to_close(socket: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut answer = Vec::new();
    let _ = socket.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

/// A connection that has sent `bytes`.
async fn connect_and_send(address: std::net::SocketAddr, bytes: &[u8]) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
    socket.write_all(bytes).await.unwrap();
    socket
}

#[tokio::test]
async fn slow_and_idle_clients_are_dropped_while_others_are_served() {
    use tokio::io::AsyncReadExt;
    let limits = server::serve::Limits {
        header_read_timeout: std::time::Duration::from_secs(1),
        ..Default::default()
    };
    let (address, stop, serving, _app) = serve_on_loopback(limits).await;
    let started = std::time::Instant::now();
    // One never finishes its headers; one is kept alive after a request, then silent.
    let mut slow = connect_and_send(address, b"GET /healthz HTTP/1.1\r\nHost: console\r\nX-Slow: ").await;
    let mut idle = connect_and_send(address, b"GET /healthz HTTP/1.1\r\nHost: console\r\n\r\n").await;
    let mut answer = [0u8; 512];
    let n = idle.read(&mut answer).await.unwrap();
    assert!(String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 200"));
    // Meanwhile others are served.
    let close = b"GET /healthz HTTP/1.1\r\nHost: console\r\nConnection: close\r\n\r\n";
    let mut quick = connect_and_send(address, close).await;
    assert!(read_to_close(&mut quick).await.starts_with("HTTP/1.1 200"));
    let five = std::time::Duration::from_secs(5);
    assert!(
        tokio::time::timeout(five, read_to_close(&mut slow)).await.is_ok(),
        "the half-sent request was dropped"
    );
    assert!(
        tokio::time::timeout(five, read_to_close(&mut idle)).await.is_ok(),
        "the idle connection was closed"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
    let _ = stop.send(());
    serving.await.unwrap().unwrap();
}

#[tokio::test]
async fn shutdown_finishes_within_the_grace_period_with_a_half_sent_request_open() {
    let limits = server::serve::Limits {
        header_read_timeout: std::time::Duration::from_secs(60),
        shutdown_grace: std::time::Duration::from_secs(1),
        ..Default::default()
    };
    let (address, stop, serving, _app) = serve_on_loopback(limits).await;
    let _slow = connect_and_send(address, b"GET /healthz HTTP/1.1\r\nHost: console\r\n").await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let started = std::time::Instant::now();
    let _ = stop.send(());
    let finished = tokio::time::timeout(std::time::Duration::from_secs(5), serving).await;
    assert!(finished.is_ok(), "the server stopped");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}
