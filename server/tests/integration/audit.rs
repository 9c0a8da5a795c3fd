//! Manage > Access (IAM) > Audit log through the real router: each event written by the
//! flow it records (never by inserting rows), read back by filter, page and export;
//! permissions, account isolation, retention, and that nothing rewrites history.

use crate::support::{body_json, body_text, seed, session_cookie, Seeded, TestApp, PASSWORD};
use app::ssr::SecurityConfig;
use axum::body::Body;
use axum::http::Request;
use chrono::Duration;
use serde_json::{json, Value};

const AGENT: &str = "Agent, \"quoted\"; v1";

struct World {
    app: TestApp,
    acme: Seeded,
    admin: String,
    admin_bearer: String,
    member_bearer: String,
    beta_admin_bearer: String,
}

fn form(uri: &str, body: String, ip: &str) -> Request<Body> {
    crate::support::form_from(uri, body, ip, Some(AGENT))
}

async fn sign_in_from(app: &TestApp, email: &str, password: &str, ip: &str) -> axum::response::Response {
    crate::support::sign_in_from(app, email, password, ip, Some(AGENT)).await
}

async fn cli_from(app: &TestApp, email: &str, ip: &str) -> Value {
    crate::support::password_grant_from(app, email, ip, Some(AGENT)).await
}

async fn world() -> World {
    let app = crate::support::test_app_with(SecurityConfig {
        trusted_proxy_header: Some("x-forwarded-for".into()),
        ..SecurityConfig::default()
    })
    .await;
    let acme = seed(&app, "Acme").await;
    let _beta = seed(&app, "Beta").await;
    let admin =
        session_cookie(&sign_in_from(&app, "admin@acme.test", PASSWORD, "198.51.100.7").await).unwrap();
    let bearer = |v: Value| v["access_token"].as_str().unwrap().to_string();
    let admin_bearer = bearer(cli_from(&app, "admin@acme.test", "198.51.100.8").await);
    let member_bearer = bearer(cli_from(&app, "member@acme.test", "203.0.113.50").await);
    let beta_admin_bearer = bearer(cli_from(&app, "admin@beta.test", "192.0.2.1").await);
    World {
        app,
        acme,
        admin,
        admin_bearer,
        member_bearer,
        beta_admin_bearer,
    }
}

impl World {
    /// A fresh access token of the administrator (they live ten minutes).
    async fn renew(&mut self) {
        let tokens = cli_from(&self.app, "admin@acme.test", "198.51.100.8").await;
        self.admin_bearer = tokens["access_token"].as_str().unwrap().to_string();
    }

    async fn events(&self, bearer: &str, query: &str) -> (u16, Value) {
        let uri = format!("/api/v1/account/audit-events?{query}");
        let response = self
            .app
            .get_with(&uri, ("authorization", &format!("Bearer {bearer}")))
            .await;
        (response.status().as_u16(), body_json(response).await)
    }

    async fn export(&self, query: &str) -> axum::response::Response {
        let uri = format!("/api/v1/account/audit-events/export?{query}");
        let bearer = format!("Bearer {}", self.admin_bearer);
        self.app.get_with(&uri, ("authorization", &bearer)).await
    }

    /// The events of one type, newest first.
    async fn of(&self, event: &str) -> Vec<Value> {
        let (status, body) = self
            .events(&self.admin_bearer, &format!("event={event}&limit=200"))
            .await;
        assert_eq!(status, 200, "{body}");
        body["events"].as_array().unwrap().clone()
    }
}

#[tokio::test]
async fn every_flow_writes_its_event_with_who_whom_and_where() {
    let w = world().await;
    let (acme, app) = (&w.acme, &w.app);

    // Signed in: the person, the credential, the request's address and user agent.
    let signed_in = w.of("sign_in.succeeded").await;
    let admin_browser = signed_in
        .iter()
        .find(|e| e["ip"] == "198.51.100.7")
        .expect("the administrator's browser sign-in");
    assert_eq!(admin_browser["actor"]["email"], "admin@acme.test");
    assert_eq!(admin_browser["target_user"]["id"], acme.admin.id.to_string());
    assert_eq!(admin_browser["user_agent"], AGENT);
    assert_eq!(admin_browser["details"]["kind"], "browser");
    assert!(admin_browser["session_id"].is_string());

    // An administrator ends the member's browser session.
    let member_cookie =
        session_cookie(&sign_in_from(app, "member@acme.test", PASSWORD, "203.0.113.11").await).unwrap();
    let member_session = app.session_of(&member_cookie).await;
    let admin_request = form(
        "/api/iam_end_session",
        format!("user_id={}&session_id={member_session}", acme.member.id),
        "198.51.100.7",
    );
    let (parts, body) = admin_request.into_parts();
    let mut admin_request = Request::from_parts(parts, body);
    admin_request
        .headers_mut()
        .insert("cookie", w.admin.parse().unwrap());
    assert_eq!(app.send(admin_request).await.status(), 200);
    let ended = w.of("session.ended").await;
    let by_admin = &ended[0];
    assert_eq!(by_admin["actor"]["email"], "admin@acme.test");
    assert_eq!(by_admin["target_user"]["email"], "member@acme.test");
    assert_eq!(by_admin["session_id"], member_session.to_string());
    assert_eq!(by_admin["details"]["reason"], "ended_by_administrator");
    assert_eq!(by_admin["ip"], "198.51.100.7", "where the administrator was");

    // Signing out is its own event.
    let owner =
        session_cookie(&sign_in_from(app, "owner@acme.test", PASSWORD, "203.0.113.12").await).unwrap();
    assert_eq!(app.call(&owner, "sign_out", "").await.0, 200);
    let out = w.of("session.signed_out").await;
    assert_eq!(out[0]["actor"]["email"], "owner@acme.test");
    assert_eq!(out[0]["details"]["reason"], "signed_out");

    // A bulk end with its reason: one event for the action, one per session.
    let request = Request::post("/api/v1/account/sessions/end")
        .header("authorization", format!("Bearer {}", w.admin_bearer))
        .header("x-forwarded-for", "198.51.100.8")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({ "filter": { "ip": "203.0.113.50/32" }, "reason": "token leaked, \"in a log\"\nrotate" })
                .to_string(),
        ))
        .unwrap();
    let response = app.send(request).await;
    assert_eq!(response.status(), 200);
    let bulk = w.of("sessions.bulk_ended").await;
    assert_eq!(bulk.len(), 1);
    assert_eq!(bulk[0]["details"]["note"], "token leaked, \"in a log\"\nrotate");
    assert_eq!(bulk[0]["details"]["ended"], 1);
    assert_eq!(bulk[0]["ip"], "198.51.100.8");
    let (_, with_note) = w
        .events(&w.admin_bearer, "event=session.ended&ip=203.0.113.50")
        .await;
    assert_eq!(
        with_note["events"].as_array().unwrap().len(),
        0,
        "the filter is the actor's address"
    );
    assert!(w
        .of("session.ended")
        .await
        .iter()
        .any(|e| e["details"]["note"] == bulk[0]["details"]["note"]));

    // A reused refresh token: detected from where it came, and its session ends.
    let tokens = cli_from(app, "member@acme.test", "203.0.113.90").await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let refresh_form = |ip: &str| {
        form(
            "/api/v1/auth/token",
            format!("grant_type=refresh_token&refresh_token={refresh}"),
            ip,
        )
    };
    assert_eq!(app.send(refresh_form("203.0.113.90")).await.status(), 200);
    assert_eq!(app.send(refresh_form("192.0.2.66")).await.status(), 400);
    let reuse = w.of("refresh_token.reuse_detected").await;
    assert_eq!(reuse.len(), 1);
    assert_eq!(reuse[0]["ip"], "192.0.2.66");
    assert_eq!(reuse[0]["session_id"], tokens["session_id"]);
    assert!(w
        .of("session.ended")
        .await
        .iter()
        .any(|e| e["details"]["reason"] == "refresh_token_reuse"));

    // Settings: old and new values.
    let patch = Request::patch("/api/v1/account/settings/login-session")
        .header("authorization", format!("Bearer {}", w.admin_bearer))
        .header("content-type", "application/json")
        .body(Body::from(json!({ "concurrent_limit": 3 }).to_string()))
        .unwrap();
    let response = app.send(patch).await;
    assert_eq!(response.status(), 200, "{}", body_text(response).await);
    let changed = w.of("settings.login_session.updated").await;
    assert_eq!(changed[0]["details"]["new"]["concurrent_limit"], 3);
    assert!(changed[0]["details"]["old"]["concurrent_limit"].is_null());
    assert_eq!(changed[0]["actor"]["email"], "admin@acme.test");

    // Memberships and roles, from the command line (the seed added three people).
    let added = w.of("membership.added").await;
    assert_eq!(added.len(), 3);
    assert!(added.iter().all(|e| e["actor"].is_null()));
    let done = server::admin::set_role(
        &*app.store,
        &*app.clock,
        "Acme",
        "member@acme.test",
        app::domain::Role::Administrator,
    )
    .await
    .unwrap();
    assert!(done.contains("member -> administrator"), "{done}");
    let roles = w.of("membership.role_changed").await;
    assert_eq!(
        roles[0]["details"],
        json!({ "old": "member", "new": "administrator" })
    );
    assert_eq!(roles[0]["target_user"]["email"], "member@acme.test");

    // A wrong password and an unknown email read the same; only members' attempts are in
    // the account's log, and five failures then throttle (recorded as such).
    for _ in 0..5 {
        let refused = sign_in_from(app, "member@acme.test", "wrong password!", "203.0.113.77").await;
        assert_eq!(refused.status(), 401);
    }
    let throttled = sign_in_from(app, "member@acme.test", "wrong password!", "203.0.113.77").await;
    assert_eq!(throttled.status(), 429);
    let unknown = sign_in_from(app, "nobody@acme.test", "wrong password!", "203.0.113.78").await;
    assert_eq!(unknown.status(), 401);
    let failed = w.of("sign_in.failed").await;
    assert_eq!(failed.len(), 6, "{failed:?}");
    assert_eq!(failed[0]["details"]["reason"], "throttled");
    assert!(failed[1..]
        .iter()
        .all(|e| e["details"]["reason"] == "incorrect_email_or_password"));
    assert!(failed
        .iter()
        .all(|e| e["details"]["email"] == "member@acme.test" && e["actor"].is_null()));
    assert_eq!(failed[0]["target_user"]["id"], acme.member.id.to_string());
    assert_eq!(failed[0]["ip"], "203.0.113.77");
    assert!(!failed.iter().any(|e| e["details"]["email"] == "nobody@acme.test"));
}

#[tokio::test]
async fn filters_pages_permissions_and_isolation() {
    let w = world().await;
    // By actor: the system, or a person by part of a name or email.
    let (_, system) = w.events(&w.admin_bearer, "actor=system").await;
    assert!(system["events"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["actor"].is_null()));
    let (_, admin) = w.events(&w.admin_bearer, "actor=admin%40acme").await;
    let admin = admin["events"].as_array().unwrap();
    assert_eq!(admin.len(), 2, "the administrator's browser and CLI sign-ins");
    // By target, by the actor's address range, by time.
    let (_, member) = w.events(&w.admin_bearer, "target=member%40acme").await;
    assert_eq!(member["events"].as_array().unwrap().len(), 2, "added, signed in");
    let (_, range) = w.events(&w.admin_bearer, "ip=198.51.100.0%2F24").await;
    assert_eq!(range["events"].as_array().unwrap().len(), 2);
    let (_, v6) = w.events(&w.admin_bearer, "ip=2001%3Adb8%3A%3A%2F32").await;
    assert_eq!(v6["events"].as_array().unwrap().len(), 0);
    let later = (w.app.clock_now() + Duration::hours(1)).to_rfc3339();
    let (_, future) = w
        .events(&w.admin_bearer, &format!("after={}", later.replace('+', "%2B")))
        .await;
    assert_eq!(future["events"].as_array().unwrap().len(), 0);

    // Keyset pages: newest first, each page after the last.
    let (_, all) = w.events(&w.admin_bearer, "limit=200").await;
    let all = all["events"].as_array().unwrap().clone();
    assert!(all.len() >= 5);
    let (_, first) = w.events(&w.admin_bearer, "limit=2").await;
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    let (_, second) = w
        .events(&w.admin_bearer, &format!("limit=2&cursor={cursor}"))
        .await;
    let paged: Vec<_> = first["events"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["events"].as_array().unwrap())
        .cloned()
        .collect();
    assert_eq!(paged, all[..4].to_vec());

    // Bad filters: 422, a message per field.
    let (status, bad) = w
        .events(
            &w.admin_bearer,
            "event=nope&ip=10.0.0.0%2F33&after=2026-11-02&before=2026-11-01&color=red",
        )
        .await;
    assert_eq!(status, 422, "{bad}");
    let (status, bad) = w
        .events(
            &w.admin_bearer,
            "event=nope&ip=10.0.0.0%2F33&after=2026-11-02&before=2026-11-01",
        )
        .await;
    assert_eq!(status, 422);
    let fields: Vec<_> = bad["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["event", "ip", "before"]);

    // Members may not read the log; nobody signed out may; other accounts see only theirs.
    assert_eq!(w.events(&w.member_bearer, "").await.0, 403);
    let export = w
        .app
        .get_with(
            "/api/v1/account/audit-events/export",
            ("authorization", &format!("Bearer {}", w.member_bearer)),
        )
        .await;
    assert_eq!(export.status(), 403);
    let anonymous = w
        .app
        .get_with("/api/v1/account/audit-events", ("accept", "application/json"))
        .await;
    assert_eq!(anonymous.status(), 401);
    let (status, beta) = w.events(&w.beta_admin_bearer, "limit=200").await;
    assert_eq!(status, 200);
    assert!(beta["events"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| !e.to_string().contains("acme.test")));
    let (_, beta_target) = w.events(&w.beta_admin_bearer, "target=member%40acme").await;
    assert_eq!(beta_target["events"].as_array().unwrap().len(), 0);
    // The console's page, as the browser calls it: the same rules.
    let (status, page) = w
        .app
        .call(
            &w.admin,
            "audit_events",
            "filter[event]=sign_in.succeeded&cursor=",
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(!page["events"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn exports_are_csv_or_json_lines_of_the_filter() {
    let w = world().await;
    let note = "leaked, \"token\"\nin a log";
    let request = Request::post("/api/v1/account/sessions/end")
        .header("authorization", format!("Bearer {}", w.admin_bearer))
        .header("x-forwarded-for", "198.51.100.8")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({ "filter": { "ip": "203.0.113.50" }, "reason": note }).to_string(),
        ))
        .unwrap();
    assert_eq!(w.app.send(request).await.status(), 200);
    let csv = w.export("format=csv").await;
    assert_eq!(csv.status(), 200);
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let disposition = csv.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(
        disposition.starts_with("attachment; filename=\"audit-events-") && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    let text = body_text(csv).await;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(&reader.headers().unwrap()[1], "event");
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let (_, all) = w.events(&w.admin_bearer, "limit=200").await;
    assert_eq!(records.len(), all["events"].as_array().unwrap().len());
    let agents: Vec<_> = records.iter().map(|r| r[10].to_string()).collect();
    assert!(
        agents.iter().any(|a| a == AGENT),
        "commas and quotes survive: {agents:?}"
    );
    let bulk = records.iter().find(|r| &r[1] == "sessions.bulk_ended").unwrap();
    let details: Value = serde_json::from_str(&bulk[11]).unwrap();
    assert_eq!(details["note"], note, "the newline and quotes survive");

    let jsonl = w.export("format=jsonl&event=sign_in.succeeded").await;
    assert_eq!(jsonl.status(), 200);
    assert_eq!(jsonl.headers()["content-type"], "application/x-ndjson");
    let text = body_text(jsonl).await;
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(
        lines.len(),
        3,
        "Acme's three sign-ins: the administrator twice, the member's CLI"
    );
    assert!(lines.iter().all(|l| l["event"] == "sign_in.succeeded"));

    // Compressed for a client that accepts it, to the end of the stream.
    let uri = "/api/v1/account/audit-events/export?format=jsonl";
    let request = Request::get(uri)
        .header("authorization", format!("Bearer {}", w.admin_bearer))
        .header("accept-encoding", "gzip")
        .body(Body::empty())
        .unwrap();
    let gzipped = w.app.send(request).await;
    assert_eq!(gzipped.status(), 200);
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    assert!(gzipped.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .ends_with(".jsonl\""));
    let body = axum::body::to_bytes(gzipped.into_body(), usize::MAX)
        .await
        .unwrap();
    assert_eq!(&body[..2], [0x1f, 0x8b], "a gzip stream");

    let bad = w.export("format=xml").await;
    assert_eq!(bad.status(), 422);
    assert_eq!(w.export("format=csv&ip=nope").await.status(), 422);
}

/// An export longer than one batch (the service reads 500 events per query, the next
/// while the one before is sent): every event once, newest first, with instants shared
/// across the batches' edges. These events are recorded straight into the store, not
/// by their flows: twelve hundred sign-ins would take minutes of password hashing.
#[tokio::test]
async fn a_long_export_has_every_event_once_newest_first() {
    use app::domain::audit::AuditAction;
    use app::ssr::Clock;
    use app::store::NewAuditEvent;
    let w = world().await;
    let now = w.app.clock.now();
    let events: Vec<NewAuditEvent> = (0..1203)
        .map(|n| NewAuditEvent {
            account_id: w.acme.account_id,
            actor_user_id: None,
            action: AuditAction::SignInFailed,
            target_user_id: None,
            session_id: None,
            details: json!({ "n": n }),
            // Seven events per instant, older as n grows.
            occurred_at: now - Duration::seconds(1 + n / 7),
            origin: None,
        })
        .collect();
    w.app.store.record_audit_events(&events).await.unwrap();

    let text = body_text(w.export("format=jsonl").await).await;
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let keys: Vec<(String, String)> = lines
        .iter()
        .map(|l| {
            (
                l["occurred_at"].as_str().unwrap().to_string(),
                l["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let ids: std::collections::HashSet<_> = keys.iter().map(|(_, id)| id).collect();
    assert_eq!(ids.len(), lines.len(), "no event twice");
    let times: Vec<chrono::DateTime<chrono::Utc>> = keys.iter().map(|(at, _)| at.parse().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let ties_by_id = keys.windows(2).all(|w| w[0].0 != w[1].0 || w[0].1 > w[1].1);
    assert!(ties_by_id, "one instant's events by id, descending");
    let mut numbered: Vec<i64> = lines.iter().filter_map(|l| l["details"]["n"].as_i64()).collect();
    let in_order = numbered.windows(2).all(|w| w[0] / 7 <= w[1] / 7);
    assert!(in_order, "older instants later");
    numbered.sort_unstable();
    assert_eq!(numbered, (0..1203).collect::<Vec<_>>(), "every event once");
}

#[tokio::test]
async fn retention_deletes_only_old_events_and_nothing_rewrites_history() {
    let mut w = world().await;
    assert_eq!(w.of("sign_in.succeeded").await.len(), 3);
    // A year and a day later, a new sign-in; the sweep with a year's retention deletes
    // what is older and keeps the rest.
    w.app.clock.advance(Duration::days(366));
    w.renew().await;
    app::service::sweep::sweep(&w.app.state, crate::support::retention(30), 10_000)
        .await
        .unwrap();
    let after = w.of("sign_in.succeeded").await;
    assert_eq!(after.len(), 1, "only the new sign-in is left");
    // A shorter retention applies at the next sweep.
    w.app.clock.advance(Duration::days(2));
    w.renew().await;
    let one_day = app::service::sweep::Retention {
        sessions: Duration::days(30),
        audit: Duration::days(1),
    };
    app::service::sweep::sweep(&w.app.state, one_day, 10_000)
        .await
        .unwrap();
    assert_eq!(
        w.of("sign_in.succeeded").await.len(),
        1,
        "the renewed sign-in only"
    );

    // The database refuses to rewrite an event, whoever asks.
    let refused = w
        .app
        .store
        .execute_raw("UPDATE audit_events SET action = 'sign_in.failed'")
        .await;
    assert!(refused.is_err(), "audit events are append-only");
    assert_eq!(w.of("sign_in.succeeded").await.len(), 1);
    assert!(w.of("sign_in.failed").await.is_empty());
}
