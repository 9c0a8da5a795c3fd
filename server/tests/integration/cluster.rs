//! Two server processes, each with its own pool, on one Postgres database: what one
//! node does, the other obeys at its next request. Runs when `TEST_POSTGRES_URL` is set
//! (the Postgres pass of `make test`); on SQLite there is one process by design.

use crate::support::PASSWORD;
use app::domain::Role;
use app::store::{AccountStore, NewUser, PostgresStore};
use sqlx::{Connection, PgConnection};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A running `session-console serve`, killed when dropped.
struct Node {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("a JSON body: {}", self.body))
    }

    fn cookie(&self) -> String {
        self.headers
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, value)| value)
            .find(|v| v.starts_with("sc_session=") && !v.contains("Max-Age=0"))
            .and_then(|v| v.split(';').next())
            .map(str::to_string)
            .expect("a session cookie")
    }
}

/// A fresh, empty database on the test server; `None` without one.
async fn empty_database() -> Option<String> {
    let admin_url = std::env::var("TEST_POSTGRES_URL").ok()?;
    let name = format!("sc_cluster_{}", uuid::Uuid::new_v4().simple());
    let mut admin = PgConnection::connect(&admin_url).await.expect("the test server");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("a database");
    let base = admin_url.rsplit_once('/').expect("a database URL").0;
    Some(format!("{base}/{name}"))
}

fn free_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address")
}

/// Starts a node on `database_url`; it migrates the database itself.
fn spawn_node(database_url: &str) -> Node {
    let addr = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_session-console"))
        .args(["serve", "--listen", &addr.to_string()])
        .env("DATABASE_URL", database_url)
        .env("LOG_LEVEL", "error")
        .stdout(Stdio::null())
        .spawn()
        .expect("the server binary starts");
    Node { child, addr }
}

/// Two nodes started at once on an empty database, both answering.
async fn two_nodes() -> Option<(Node, Node, String)> {
    let url = empty_database().await?;
    let (a, b) = (spawn_node(&url), spawn_node(&url));
    for node in [&a, &b] {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(answer) = send(node, "GET", "/readyz", &[], "").await {
                if answer.status == 200 {
                    break;
                }
            }
            assert!(
                Instant::now() < deadline,
                "node {} did not become ready",
                node.addr
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    Some((a, b, url))
}

/// The Acme account: owner, administrator and member, all with `PASSWORD`.
async fn seed(url: &str) -> (uuid::Uuid, uuid::Uuid) {
    let store = PostgresStore::connect(url).await.expect("a store");
    let hash = app::ssr::crypto::hash_password(PASSWORD.to_string())
        .await
        .expect("hash");
    let user = |who: &str| NewUser {
        email: format!("{who}@acme.test"),
        display_name: format!("{who} of Acme"),
        password_hash: hash.clone(),
    };
    let now = chrono::Utc::now();
    let (account, _) = store
        .create_account_with_owner("Acme", &user("owner"), now)
        .await
        .expect("account");
    store
        .create_member(account.id, &user("admin"), Role::Administrator, now)
        .await
        .expect("admin");
    let member = store
        .create_member(account.id, &user("member"), Role::Member, now)
        .await
        .expect("member");
    (account.id, member.id)
}

/// One HTTP/1.0 exchange (the answer is delimited by the closed connection).
async fn send(
    node: &Node,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<Answer> {
    let mut stream = TcpStream::connect(node.addr).await?;
    let mut request = format!("{method} {path} HTTP/1.0\r\nhost: {}\r\n", node.addr);
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || method != "GET" {
        request.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Ok(Answer {
        status,
        headers,
        body: body.to_string(),
    })
}

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

async fn post(node: &Node, path: &str, form: &str, cookie: Option<&str>) -> Answer {
    let mut headers = vec![FORM];
    if let Some(cookie) = cookie {
        headers.push(("cookie", cookie));
    }
    send(node, "POST", path, &headers, form).await.expect("an answer")
}

async fn sign_in(node: &Node, who: &str) -> String {
    let form = format!("email={who}%40acme.test&password={}", PASSWORD.replace(' ', "+"));
    let answer = post(node, "/api/sign_in", &form, None).await;
    assert_eq!(answer.status, 200, "sign-in of {who}: {}", answer.body);
    answer.cookie()
}

/// `/api/v1/me` with a cookie (`sc_session=…`) or a bearer token: (status, session id).
async fn me(node: &Node, credential: &str) -> (u16, Option<String>) {
    let header = if credential.starts_with("sc_session=") {
        ("cookie", credential.to_string())
    } else {
        ("authorization", format!("Bearer {credential}"))
    };
    let answer = send(node, "GET", "/api/v1/me", &[(header.0, &header.1)], "")
        .await
        .expect("an answer");
    let session =
        (answer.status == 200).then(|| answer.json()["session_id"].as_str().unwrap_or("").to_string());
    (answer.status, session)
}

/// The CLI's password grant through `node`: (access token, refresh token).
async fn grant(node: &Node, who: &str) -> (String, String) {
    let form = format!(
        "grant_type=password&username={who}%40acme.test&password={}",
        PASSWORD.replace(' ', "+")
    );
    let answer = post(node, "/api/v1/auth/token", &form, None).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let json = answer.json();
    let field = |name: &str| json[name].as_str().expect("a token").to_string();
    (field("access_token"), field("refresh_token"))
}

async fn refresh(node: &Node, refresh_token: &str) -> Answer {
    let form = format!("grant_type=refresh_token&refresh_token={refresh_token}");
    post(node, "/api/v1/auth/token", &form, None).await
}

#[tokio::test]
async fn browser_sessions_ended_on_one_node_are_refused_by_the_other() {
    let Some((a, b, url)) = two_nodes().await else {
        return;
    };
    let (_, member_id) = seed(&url).await;
    let admin = sign_in(&a, "admin").await;

    // A cookie from either node works on both.
    let ended_by_admin = sign_in(&b, "member").await;
    let (status, session) = me(&a, &ended_by_admin).await;
    assert_eq!(status, 200);
    let session = session.expect("a session id");
    // B remembers it (`coalesce.rs`) ...
    assert_eq!(me(&b, &ended_by_admin).await.0, 200);
    assert_eq!(me(&b, &ended_by_admin).await.0, 200);
    // ... and when an administrator ends it through A, refuses it at its next request.
    let form = format!("user_id={member_id}&session_id={session}");
    assert_eq!(
        post(&a, "/api/iam_end_session", &form, Some(&admin)).await.status,
        200
    );
    assert_eq!(me(&b, &ended_by_admin).await.0, 401);
    assert_eq!(me(&a, &ended_by_admin).await.0, 401);

    // Signing out through A: B refuses the cookie at once.
    let signed_out = sign_in(&a, "member").await;
    assert_eq!(me(&b, &signed_out).await.0, 200);
    assert_eq!(post(&a, "/api/sign_out", "", Some(&signed_out)).await.status, 200);
    assert_eq!(me(&b, &signed_out).await.0, 401);

    // A settings change through A applies on B: B reads it, and B's next sign-in
    // enforces it (a limit of one session ends the older one, which A then refuses).
    let patch = [("content-type", "application/json"), ("cookie", admin.as_str())];
    let body = format!(r#"{{"concurrent_limit": 1, "password": "{PASSWORD}"}}"#);
    let changed = send(
        &a,
        "PATCH",
        "/api/v1/account/settings/login-session",
        &patch,
        &body,
    )
    .await
    .expect("an answer");
    assert_eq!(changed.status, 200, "{}", changed.body);
    let read = send(
        &b,
        "GET",
        "/api/v1/account/settings/login-session",
        &[("cookie", admin.as_str())],
        "",
    )
    .await
    .expect("an answer");
    assert_eq!(read.json()["concurrent_limit"], 1, "{}", read.body);
    let older = sign_in(&a, "member").await;
    let newer = sign_in(&b, "member").await;
    assert_eq!(
        me(&a, &older).await.0,
        401,
        "the older session is over the new limit"
    );
    assert_eq!(me(&a, &newer).await.0, 200);
}

#[tokio::test]
async fn cli_sessions_revoked_or_reused_on_one_node_are_refused_by_the_other() {
    let Some((a, b, url)) = two_nodes().await else {
        return;
    };
    seed(&url).await;

    // Revoked through A: B refuses the access token and the refresh token.
    let (access, refresh_token) = grant(&a, "member").await;
    assert_eq!(me(&b, &access).await.0, 200);
    let revoked = post(&a, "/api/v1/auth/revoke", &format!("token={refresh_token}"), None).await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert_eq!(me(&b, &access).await.0, 401);
    assert_eq!(refresh(&b, &refresh_token).await.status, 400);

    // Rotated on A, the old refresh token replayed on B: reuse ends the session, and
    // both nodes refuse the newest access token.
    let (_, first) = grant(&b, "member").await;
    let rotated = refresh(&a, &first).await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let newest = rotated.json()["access_token"]
        .as_str()
        .expect("a token")
        .to_string();
    assert_eq!(me(&b, &newest).await.0, 200);
    assert_eq!(
        refresh(&b, &first).await.status,
        400,
        "reuse of a rotated refresh token"
    );
    assert_eq!(me(&a, &newest).await.0, 401);
    assert_eq!(me(&b, &newest).await.0, 401);

    // An administrator's bulk end through B signs out a CLI session used on A.
    let (access, _) = grant(&a, "member").await;
    assert_eq!(me(&a, &access).await.0, 200);
    let (admin_access, _) = grant(&b, "admin").await;
    let bearer = format!("Bearer {admin_access}");
    let headers = [
        ("content-type", "application/json"),
        ("authorization", bearer.as_str()),
    ];
    let body = r#"{"filter": {"user": "member@acme.test"}, "reason": "two-node test"}"#;
    let ended = send(&b, "POST", "/api/v1/account/sessions/end", &headers, body)
        .await
        .expect("an answer");
    assert_eq!(ended.status, 200, "{}", ended.body);
    assert_eq!(me(&a, &access).await.0, 401);
}

/// Opens `GET /api/v1/events` on `node` and reads until `needle` arrives (or 10 s pass).
async fn stream_until(stream: &mut TcpStream, needle: &str) -> String {
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut buffer = [0u8; 4096];
    while !text.contains(needle) {
        let read = tokio::time::timeout_at(deadline, stream.read(&mut buffer))
            .await
            .unwrap_or_else(|_| panic!("no {needle:?} within 10 s; got {text:?}"))
            .expect("the stream reads");
        assert!(read > 0, "the stream closed before {needle:?}: {text:?}");
        text.push_str(&String::from_utf8_lossy(&buffer[..read]));
    }
    text
}

async fn open_events(node: &Node, cookie: &str) -> TcpStream {
    let mut stream = TcpStream::connect(node.addr).await.expect("the node");
    let request = format!(
        "GET /api/v1/events HTTP/1.0\r\nhost: {}\r\ncookie: {cookie}\r\n\r\n",
        node.addr
    );
    stream.write_all(request.as_bytes()).await.expect("a request");
    stream
}

#[tokio::test]
async fn an_end_through_one_node_reaches_the_event_stream_on_the_other() {
    let Some((a, b, url)) = two_nodes().await else {
        return;
    };
    let (_, member_id) = seed(&url).await;
    let admin = sign_in(&a, "admin").await;
    let member = sign_in(&b, "member").await;
    let session = me(&b, &member).await.1.expect("a session id");
    let mut admins_events = open_events(&a, &admin).await;
    let mut members_events = open_events(&b, &member).await;
    let head = stream_until(&mut members_events, "text/event-stream").await;
    assert!(head.starts_with("HTTP/1.0 200"), "{head}");
    stream_until(&mut admins_events, "text/event-stream").await;

    // A new sign-in through B shows on the administrator's stream on A.
    let other = sign_in(&b, "member").await;
    let others_session = me(&b, &other).await.1.expect("a session id");
    stream_until(&mut admins_events, &others_session).await;

    // An end through A: the member's stream on B says so and closes.
    let form = format!("user_id={member_id}&session_id={session}");
    assert_eq!(
        post(&a, "/api/iam_end_session", &form, Some(&admin)).await.status,
        200
    );
    let text = stream_until(&mut members_events, "event: ended").await;
    assert!(text.contains("/signin?notice=ended_by_administrator"), "{text}");
}

#[tokio::test]
async fn sign_in_failures_are_counted_across_both_nodes() {
    let Some((a, b, url)) = two_nodes().await else {
        return;
    };
    seed(&url).await;
    let wrong = "email=member%40acme.test&password=wrong+password";
    // The email's limit is five failures: three through A, two through B.
    for node in [&a, &a, &a, &b, &b] {
        assert_eq!(post(node, "/api/sign_in", wrong, None).await.status, 401);
    }
    let right = format!("email=member%40acme.test&password={}", PASSWORD.replace(' ', "+"));
    for node in [&a, &b] {
        let answer = post(node, "/api/sign_in", &right, None).await;
        assert_eq!(answer.status, 429, "{}", answer.body);
    }
}
