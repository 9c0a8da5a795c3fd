//! Shared by the integration tests: the real router on a fresh store (SQLite, or
//! Postgres when `TEST_POSTGRES_URL` is set) with a manual clock.

#![allow(dead_code)]

use app::domain::{EndReason, LoginSessionSettings, SessionKind};
use app::ssr::{ManualClock, SecurityConfig};
use app::store::testing::{fresh_store, DynTestingStore, TestStore};
use app::store::{SessionContext, SessionEnd};
use axum::body::Body;
use axum::Router;
use chrono::{TimeZone, Utc};
use http::{Request, Response};
use std::sync::Arc;
use tower::ServiceExt;

pub struct TestApp {
    pub state: app::ssr::AppState,
    pub router: Router,
    /// The store with its testing side (audit read-back, raw SQL).
    pub store: DynTestingStore,
    pub clock: Arc<ManualClock>,
    /// Keeps the test database until the test ends.
    _db: TestStore,
}

pub async fn test_app() -> TestApp {
    test_app_with(SecurityConfig::default()).await
}

/// The router on a Postgres server that does not answer (nothing listens on the port).
pub fn unreachable_app() -> Router {
    let store = app::store::PostgresStore::connect_lazy(
        "postgres://console:secret@127.0.0.1:9/console",
        std::time::Duration::from_millis(300),
    )
    .expect("a lazy pool");
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let state = server::app_state(
        Arc::new(store),
        clock,
        SecurityConfig::default(),
        "target/site",
        "127.0.0.1:3000".parse().expect("address"),
    );
    server::router(state)
}

/// The router with a given transport configuration (e.g. a trusted proxy header, so a
/// test can choose each request's client address).
pub async fn test_app_with(security: SecurityConfig) -> TestApp {
    let db = fresh_store().await;
    let start = Utc
        .with_ymd_and_hms(2026, 11, 2, 9, 0, 0)
        .single()
        .expect("valid instant");
    let clock = Arc::new(ManualClock::new(start));
    let state = server::app_state(
        db.product(),
        clock.clone(),
        security,
        "target/site",
        "127.0.0.1:3000".parse().expect("address"),
    );
    TestApp {
        router: server::router(state.clone()),
        state,
        store: db.testing(),
        clock,
        _db: db,
    }
}

/// A second server process on the test's database and clock, as a cluster runs them:
/// its own pending activity and, on Postgres, its own pool.
pub struct Node {
    pub state: app::ssr::AppState,
    pub router: Router,
}

impl Node {
    pub async fn me_status(&self, cookie: &str) -> u16 {
        let request = Request::get("/api/v1/me")
            .header("cookie", cookie)
            .body(Body::empty())
            .expect("request");
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router answers");
        response.status().as_u16()
    }
}

impl TestApp {
    /// Writes the activity this node holds in memory, as its background task does
    /// every few seconds.
    pub async fn flush_activity(&self) -> usize {
        app::service::activity::flush(&self.state)
            .await
            .expect("activity written")
    }

    pub async fn another_node(&self) -> Node {
        let state = server::app_state(
            self._db.another_process().await,
            self.clock.clone(),
            self.state.security.clone(),
            "target/site",
            "127.0.0.1:3000".parse().expect("address"),
        );
        Node {
            router: server::router(state.clone()),
            state,
        }
    }

    pub async fn send(&self, request: Request<Body>) -> Response<Body> {
        self.router
            .clone()
            .oneshot(request)
            .await
            .expect("the router answers")
    }

    /// A page load as a signed-in browser makes it.
    pub async fn page(&self, uri: &str, cookie: &str) -> Response<Body> {
        let request = Request::get(uri)
            .header("accept", "text/html,*/*")
            .header("cookie", cookie)
            .body(Body::empty())
            .expect("request");
        self.send(request).await
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

/// An account with an owner, an administrator and a member, all with `PASSWORD`.
pub struct Seeded {
    pub account_id: uuid::Uuid,
    pub owner: app::model::User,
    pub admin: app::model::User,
    pub member: app::model::User,
}

pub const PASSWORD: &str = "correct horse battery";

/// A fresh app with the account most tests use: Acme, its owner, administrator and member.
pub async fn acme_app() -> (TestApp, Seeded) {
    let app = test_app().await;
    let acme = seed(&app, "Acme").await;
    (app, acme)
}

pub async fn seed(app: &TestApp, name: &str) -> Seeded {
    use app::domain::Role;
    use app::store::NewUser;
    let hash = app::ssr::crypto::hash_password(PASSWORD.to_string())
        .await
        .expect("hash");
    let slug = name.to_lowercase();
    let user = |who: &str| NewUser {
        email: format!("{who}@{slug}.test"),
        display_name: format!("{who} of {name}"),
        password_hash: hash.clone(),
    };
    let now = app.clock_now();
    let (account, owner) = app
        .store
        .create_account_with_owner(name, &user("owner"), now)
        .await
        .expect("account");
    let admin = app
        .store
        .create_member(account.id, &user("admin"), Role::Administrator, now)
        .await
        .expect("admin");
    let member = app
        .store
        .create_member(account.id, &user("member"), Role::Member, now)
        .await
        .expect("member");
    Seeded {
        account_id: account.id,
        owner,
        admin,
        member,
    }
}

impl TestApp {
    pub fn clock_now(&self) -> chrono::DateTime<Utc> {
        use app::ssr::Clock;
        self.clock.now()
    }

    /// A form POST as the browser's server-function client or a CLI sends it.
    pub async fn post_form(&self, uri: &str, body: &str, cookie: Option<&str>) -> Response<Body> {
        let mut request = Request::post(uri)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("content-length", body.len());
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        self.send(request.body(Body::from(body.to_string())).expect("request"))
            .await
    }

    /// Form POSTs sent all at once, each from its own task; the answers in order.
    pub async fn post_forms_at_once(&self, uri: &str, bodies: Vec<String>) -> Vec<Response<Body>> {
        let mut tasks = tokio::task::JoinSet::new();
        for (n, body) in bodies.into_iter().enumerate() {
            let request = Request::post(uri)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .expect("request");
            let router = self.router.clone();
            tasks.spawn(async move { (n, router.oneshot(request).await.expect("the router answers")) });
        }
        let mut answers = tasks.join_all().await;
        answers.sort_by_key(|(n, _)| *n);
        answers.into_iter().map(|(_, r)| r).collect()
    }

    pub async fn get_with(&self, uri: &str, header: (&str, &str)) -> Response<Body> {
        let request = Request::get(uri)
            .header(header.0, header.1)
            .body(Body::empty())
            .expect("request");
        self.send(request).await
    }

    /// Signs in through the sign-in server function; returns the cookie pair to send back.
    pub async fn sign_in(&self, email: &str) -> String {
        let response = self
            .post_form(
                "/api/sign_in",
                &format!("email={email}&password={}", PASSWORD.replace(' ', "+")),
                None,
            )
            .await;
        assert_eq!(response.status(), 200, "sign-in of {email}");
        session_cookie(&response).expect("a session cookie")
    }
}

impl TestApp {
    /// Calls a server function as the browser holding `cookie`: (status, JSON answer).
    pub async fn call(&self, cookie: &str, function: &str, body: &str) -> (u16, serde_json::Value) {
        let response = self
            .post_form(&format!("/api/{function}"), body, Some(cookie))
            .await;
        (response.status().as_u16(), body_json(response).await)
    }

    /// An administrator's "End session" for one session of `user`: the status.
    pub async fn end_user_session(&self, cookie: &str, user: uuid::Uuid, session: uuid::Uuid) -> u16 {
        let body = format!("user_id={user}&session_id={session}");
        self.call(cookie, "iam_end_session", &body).await.0
    }

    /// An administrator's "End all sessions" for `user`: the status.
    pub async fn end_all_user_sessions(&self, cookie: &str, user: uuid::Uuid) -> u16 {
        self.call(cookie, "iam_end_all_sessions", &format!("user_id={user}"))
            .await
            .0
    }

    /// The token endpoint, as a CLI calls it.
    pub async fn token(&self, form: &str) -> Response<Body> {
        self.post_form("/api/v1/auth/token", form, None).await
    }

    /// The refresh grant with `refresh_token`.
    pub async fn refresh(&self, refresh_token: &str) -> Response<Body> {
        self.token(&format!("grant_type=refresh_token&refresh_token={refresh_token}"))
            .await
    }

    /// The browser session behind `cookie`, ended or not; `None` once it is deleted.
    pub async fn context_of(&self, cookie: &str) -> Option<SessionContext> {
        let token = cookie.split_once('=').map(|(_, t)| t).unwrap_or_default();
        let hash = app::ssr::token_hash(token);
        self.store
            .session_by_token(&hash, SessionKind::Browser)
            .await
            .expect("store")
    }

    /// Drops what this node remembers of `cookie`'s session, as a restarted node starts:
    /// its next request reads the database.
    pub fn forget_answers_for(&self, cookie: &str) {
        let token = cookie.split_once('=').map(|(_, t)| t).unwrap_or_default();
        self.store.forget_remembered(&app::ssr::token_hash(token));
    }

    /// The id of the browser session behind `cookie`.
    pub async fn session_of(&self, cookie: &str) -> uuid::Uuid {
        self.context_of(cookie)
            .await
            .expect("a session for the cookie")
            .session_id
    }

    /// Why the browser session behind `cookie` ended, if it did.
    pub async fn end_reason_of(&self, cookie: &str) -> Option<EndReason> {
        self.context_of(cookie)
            .await
            .expect("a session for the cookie")
            .end_reason
    }

    /// The status `/api/v1/me` answers for a session cookie: 200 while it is valid.
    pub async fn me_status(&self, cookie: &str) -> u16 {
        self.get_with("/api/v1/me", ("cookie", cookie))
            .await
            .status()
            .as_u16()
    }

    /// The status `/api/v1/me` answers for a bearer access token.
    pub async fn me_bearer_status(&self, access_token: &str) -> u16 {
        let bearer = format!("Bearer {access_token}");
        self.get_with("/api/v1/me", ("authorization", &bearer))
            .await
            .status()
            .as_u16()
    }

    /// Whether `cookie` still passes the session check.
    pub async fn is_active(&self, cookie: &str) -> bool {
        self.me_status(cookie).await == 200
    }

    /// Ends one session through the one end-session operation; whether it ended now.
    pub async fn end_session(&self, account_id: uuid::Uuid, id: uuid::Uuid, end: SessionEnd) -> bool {
        let one = app::service::end::one(id);
        let ended = app::service::end::end_sessions(&*self.store, account_id, one, end).await;
        !ended.expect("end").is_empty()
    }

    /// An administrator's end, now.
    pub fn by_administrator(&self, admin: uuid::Uuid) -> SessionEnd {
        SessionEnd::by(admin, EndReason::EndedByAdministrator, self.clock_now())
    }

    /// Sets an account's limits directly (test setup), from their defaults.
    pub async fn set_settings(&self, account_id: uuid::Uuid, by: uuid::Uuid, new: LoginSessionSettings) {
        let old = LoginSessionSettings::default();
        let now = self.clock_now();
        let stored = self
            .store
            .update_login_session_settings(account_id, &old, &new, by, now, None);
        assert!(
            stored.await.expect("settings"),
            "the settings were still the defaults"
        );
    }
}

/// The `name=value` of the session cookie a response sets.
pub fn session_cookie(response: &Response<Body>) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("sc_session=") && !v.contains("Max-Age=0"))
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
}

pub async fn body_json(response: Response<Body>) -> serde_json::Value {
    serde_json::from_str(&body_text(response).await).expect("a JSON body")
}

pub async fn body_text(response: Response<Body>) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), 4 * 1024 * 1024)
        .await
        .expect("body");
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The sweep's retention: ended sessions for `session_days`, audit events a year.
pub fn retention(session_days: i64) -> app::service::sweep::Retention {
    app::service::sweep::Retention {
        sessions: chrono::Duration::days(session_days),
        audit: chrono::Duration::days(365),
    }
}

/// A built site in a temporary folder: `name` fingerprinted (`asset-name` written) or
/// the development build's plain names, each file with brotli and gzip copies.
pub struct Site(std::path::PathBuf);

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The router serving a fresh site (see [`Site`]) on a fresh database.
pub async fn fresh_site_app(name: Option<&str>) -> (TestApp, Site) {
    let root = std::env::temp_dir().join(format!("sc-site-{}", uuid::Uuid::new_v4().simple()));
    let pkg = root.join("pkg");
    std::fs::create_dir_all(&pkg).expect("site folder");
    let base = name.unwrap_or(app::OUTPUT_NAME);
    if let Some(name) = name {
        std::fs::write(root.join("asset-name"), format!("{name}\n")).expect("asset-name");
    }
    let sign_in = base.replacen(app::OUTPUT_NAME, app::SIGN_IN_OUTPUT_NAME, 1);
    for (file, body) in [
        (format!("{base}_bg.wasm"), "wasm"),
        (format!("{base}.js"), "js"),
        (format!("{base}.css"), "body { color: black }"),
        (format!("{sign_in}_bg.wasm"), "wasm"),
        (format!("{sign_in}.js"), "js"),
    ] {
        std::fs::write(pkg.join(&file), body).expect("asset");
        std::fs::write(pkg.join(format!("{file}.br")), format!("{body}, brotli")).expect("brotli copy");
        std::fs::write(pkg.join(format!("{file}.gz")), format!("{body}, gzip")).expect("gzip copy");
    }
    let db = fresh_store().await;
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let state = server::app_state(
        db.product(),
        clock.clone(),
        SecurityConfig::default(),
        root.to_str().expect("a UTF-8 path"),
        "127.0.0.1:3000".parse().expect("address"),
    );
    let app = TestApp {
        router: server::router(state.clone()),
        state,
        store: db.testing(),
        clock,
        _db: db,
    };
    (app, Site(root))
}

pub async fn body_bytes(response: Response<Body>) -> Vec<u8> {
    axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body")
        .to_vec()
}

/// A form POST from a client at `ip` (the test trusts `x-forwarded-for`), with
/// `user_agent` when given.
pub fn form_from(uri: &str, body: String, ip: &str, user_agent: Option<&str>) -> Request<Body> {
    let mut request = Request::post(uri)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-forwarded-for", ip);
    if let Some(agent) = user_agent {
        request = request.header("user-agent", agent);
    }
    request.body(Body::from(body)).expect("request")
}

/// The browser sign-in from `ip`: the answer, whatever it is.
pub async fn sign_in_from(
    app: &TestApp,
    email: &str,
    password: &str,
    ip: &str,
    user_agent: Option<&str>,
) -> Response<Body> {
    let body = format!("email={email}&password={}", password.replace(' ', "+"));
    app.send(form_from("/api/sign_in", body, ip, user_agent)).await
}

/// The CLI's password grant from `ip`: the token answer (asserted 200).
pub async fn password_grant_from(
    app: &TestApp,
    email: &str,
    ip: &str,
    user_agent: Option<&str>,
) -> serde_json::Value {
    let body = format!(
        "grant_type=password&username={email}&password={}",
        PASSWORD.replace(' ', "+")
    );
    let response = app
        .send(form_from("/api/v1/auth/token", body, ip, user_agent))
        .await;
    assert_eq!(response.status(), 200, "password grant of {email}");
    body_json(response).await
}
