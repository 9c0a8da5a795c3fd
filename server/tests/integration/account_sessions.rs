//! Manage > Access (IAM) > Sessions through the real router: the account-wide search
//! and the bulk end, by server function (the console) and by the JSON API (a bearer
//! token): filters, refused input, the permission matrix, account isolation, the owner
//! left out for administrators, the caller's own session, dry runs and idempotence.

use crate::support::{body_json, seed, session_cookie, Seeded, TestApp, PASSWORD};
use app::ssr::SecurityConfig;
use axum::body::Body;
use axum::http::Request;
use chrono::Duration;
use serde_json::{json, Value};

struct World {
    app: TestApp,
    acme: Seeded,
    owner: String,
    admin: String,
    member: String,
    /// The member's CLI access token, signed in from 203.0.113.50.
    member_bearer: String,
    /// The administrator's CLI access token.
    admin_bearer: String,
    beta_admin: String,
}

/// Acme's three people, each signed in from their own address (the test trusts
/// `x-forwarded-for`); the member twice from 203.0.113.0/24, once by the CLI.
async fn world() -> World {
    let app = crate::support::test_app_with(SecurityConfig {
        trusted_proxy_header: Some("x-forwarded-for".into()),
        ..SecurityConfig::default()
    })
    .await;
    let acme = seed(&app, "Acme").await;
    let _beta = seed(&app, "Beta").await;
    let owner = sign_in_from(&app, "owner@acme.test", "203.0.113.10").await;
    let admin = sign_in_from(&app, "admin@acme.test", "198.51.100.7").await;
    let member = sign_in_from(&app, "member@acme.test", "203.0.113.49").await;
    let member_bearer = cli_from(&app, "member@acme.test", "203.0.113.50").await;
    let admin_bearer = cli_from(&app, "admin@acme.test", "198.51.100.8").await;
    let beta_admin = sign_in_from(&app, "admin@beta.test", "203.0.113.60").await;
    World {
        app,
        acme,
        owner,
        admin,
        member,
        member_bearer,
        admin_bearer,
        beta_admin,
    }
}

async fn sign_in_from(app: &TestApp, email: &str, ip: &str) -> String {
    let response = crate::support::sign_in_from(app, email, PASSWORD, ip, None).await;
    assert_eq!(response.status(), 200, "sign-in of {email}");
    session_cookie(&response).unwrap()
}

async fn cli_from(app: &TestApp, email: &str, ip: &str) -> String {
    let tokens = crate::support::password_grant_from(app, email, ip, None).await;
    tokens["access_token"].as_str().unwrap().to_string()
}

impl World {
    /// `GET /api/v1/account/sessions?{query}` with a bearer token: (status, body).
    async fn list(&self, bearer: &str, query: &str) -> (u16, Value) {
        let uri = format!("/api/v1/account/sessions?{query}");
        let response = self
            .app
            .get_with(&uri, ("authorization", &format!("Bearer {bearer}")))
            .await;
        (response.status().as_u16(), body_json(response).await)
    }

    /// `POST /api/v1/account/sessions/end` with a bearer token: (status, body).
    async fn end(&self, bearer: &str, body: Value) -> (u16, Value) {
        let request = Request::post("/api/v1/account/sessions/end")
            .header("authorization", format!("Bearer {bearer}"))
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let response = self.app.send(request).await;
        (response.status().as_u16(), body_json(response).await)
    }

    /// The console's search, as the browser calls it.
    async fn search(&self, cookie: &str, filter: &str) -> (u16, Value) {
        self.app
            .call(cookie, "account_sessions", &format!("{filter}&sort=&cursor="))
            .await
    }
}

fn emails(list: &Value) -> Vec<String> {
    let mut emails: Vec<String> = list["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["user"]["email"].as_str().unwrap().to_string())
        .collect();
    emails.sort();
    emails
}

#[tokio::test]
async fn the_api_lists_the_account_by_filter_with_exact_totals_and_cursors() {
    let w = world().await;
    let (status, all) = w.list(&w.admin_bearer, "").await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(all["total"], 5, "five active sessions in Acme, none of Beta's");
    let (_, leak) = w.list(&w.admin_bearer, "ip=203.0.113.0%2F24").await;
    assert_eq!(leak["total"], 3);
    assert_eq!(
        emails(&leak),
        ["member@acme.test", "member@acme.test", "owner@acme.test"]
    );
    let (_, cli) = w
        .list(&w.admin_bearer, "ip=203.0.113.0%2F24&credential=cli")
        .await;
    assert_eq!(cli["total"], 1);
    assert_eq!(cli["sessions"][0]["credential"], "cli");
    assert_eq!(cli["sessions"][0]["ip"], "203.0.113.50");
    assert_eq!(cli["sessions"][0]["user"]["email"], "member@acme.test");
    let (_, exact) = w.list(&w.admin_bearer, "ip=203.0.113.49%2F32").await;
    assert_eq!(exact["total"], 1);
    let (_, by_user) = w.list(&w.admin_bearer, "user=MEMBER%40acme").await;
    assert_eq!(by_user["total"], 2);
    let (_, nobody) = w.list(&w.admin_bearer, "user=nobody").await;
    assert_eq!(
        (nobody["total"].clone(), nobody["sessions"].clone()),
        (json!(0), json!([]))
    );
    let (_, none) = w.list(&w.admin_bearer, "ip=2001%3Adb8%3A%3A%2F32").await;
    assert_eq!(none["total"], 0);
    assert_eq!(none["sessions"], json!([]));

    // Keyset pages: two at a time cover all five once.
    let mut seen = Vec::new();
    let mut query = "limit=2".to_string();
    loop {
        let (status, page) = w.list(&w.admin_bearer, &query).await;
        assert_eq!(status, 200);
        assert_eq!(page["total"], 5, "the total is of every page's search");
        seen.extend(
            page["sessions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].clone()),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => query = format!("limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5);
    seen.dedup();
    assert_eq!(seen.len(), 5);
}

#[tokio::test]
async fn bad_filters_are_refused_at_their_field_with_422() {
    let w = world().await;
    let cases = [
        ("ip=203.0.113.0%2F33", "ip"),
        ("ip=banana", "ip"),
        ("credential=robot", "credential"),
        ("state=asleep", "state"),
        (
            "signed_in_after=2026-11-05&signed_in_before=2026-11-01",
            "signed_in_before",
        ),
        ("active_after=last+week", "active_after"),
        ("sort=name", "sort"),
        ("cursor=nonsense", "cursor"),
        ("limit=0", "limit"),
        ("limit=many", "limit"),
        ("colour=red", "colour"),
    ];
    for (query, field) in cases {
        let (status, body) = w.list(&w.admin_bearer, query).await;
        assert_eq!(status, 422, "{query}: {body}");
        assert_eq!(body["fields"][0]["field"], field, "{query}: {body}");
    }
    // The console's server function refuses the same way.
    let (status, body) = w.search(&w.admin, "filter[ip]=10.0.0.0/99").await;
    assert_eq!(status, 422, "{body}");
    // Bulk-end bodies too, and nothing ends.
    let refused = [
        json!({ "filter": { "ip": "1.2.3" }, "reason": "x" }),
        json!({ "filter": { "colour": "red" }, "reason": "x" }),
        json!({ "filter": { "ip": 7 }, "reason": "x" }),
        json!({ "filter": {}, "reason": "" }),
        json!({ "filter": {}, "reason": "x".repeat(501) }),
        json!({ "filter": {}, "session_ids": [], "reason": "x" }),
        json!({ "reason": "x" }),
        json!({ "session_ids": [], "reason": "x" }),
        json!({ "filter": { "state": "ended" }, "reason": "x" }),
        json!({ "filter": {}, "reason": "x", "surprise": true }),
    ];
    for body in refused {
        let (status, answer) = w.end(&w.admin_bearer, body.clone()).await;
        assert_eq!(status, 422, "{body}: {answer}");
    }
    let (_, all) = w.list(&w.admin_bearer, "").await;
    assert_eq!(all["total"], 5, "nothing ended");
}

#[tokio::test]
async fn only_the_owner_and_administrators_search_and_end() {
    let w = world().await;
    for cookie in [&w.owner, &w.admin] {
        let (status, page) = w.search(cookie, "filter[state]=all").await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["total"], 5);
    }
    let (status, _) = w.search(&w.member, "filter[user]=").await;
    assert_eq!(status, 403);
    let (status, _) = w.list(&w.member_bearer, "").await;
    assert_eq!(status, 403);
    let (status, _) = w
        .end(&w.member_bearer, json!({ "filter": {}, "reason": "mine now" }))
        .await;
    assert_eq!(status, 403);
    let (status, _) = w
        .app
        .call(
            &w.member,
            "account_sessions_end",
            "target[filter][ip]=&reason=x&include_current=false",
        )
        .await;
    assert_eq!(status, 403);
    let anonymous = w.app.get("/api/v1/account/sessions").await;
    assert_eq!(anonymous.status(), 401);
    // Another account's administrator sees only their own account.
    let (status, theirs) = w.search(&w.beta_admin, "filter[user]=").await;
    assert_eq!(status, 200);
    assert_eq!(theirs["total"], 1);
    assert!(w.app.is_active(&w.member).await, "nobody ended anything");
}

#[tokio::test]
async fn another_accounts_sessions_are_not_found() {
    let w = world().await;
    let beta_session = w.app.session_of(&w.beta_admin).await;
    let member_session = w.app.session_of(&w.member).await;
    let body = json!({ "session_ids": [member_session, beta_session], "reason": "cross-account" });
    let (status, _) = w.end(&w.admin_bearer, body).await;
    assert_eq!(status, 404);
    let preview = json!({ "session_ids": [beta_session], "dry_run": true });
    assert_eq!(w.end(&w.admin_bearer, preview).await.0, 404);
    assert!(w.app.is_active(&w.beta_admin).await);
    assert!(
        w.app.is_active(&w.member).await,
        "nothing ended with a foreign id in the list"
    );
}

#[tokio::test]
async fn a_dry_run_counts_and_the_bulk_end_signs_every_holder_out_once() {
    let w = world().await;
    let filter = json!({ "ip": "203.0.113.0/24" });
    let (status, preview) = w
        .end(&w.admin_bearer, json!({ "filter": filter, "dry_run": true }))
        .await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["sessions"], 2, "{preview}");
    assert_eq!(preview["users"], 1);
    assert_eq!(
        preview["owner_sessions_skipped"], 1,
        "an administrator leaves the owner's"
    );
    assert_eq!(preview["includes_current"], false);
    assert!(w.app.is_active(&w.member).await, "a dry run ends nothing");

    // A session that signs in after the preview is not silently included.
    w.app.clock.advance(Duration::seconds(5));
    let late = sign_in_from(&w.app, "member@acme.test", "203.0.113.77").await;
    let body = json!({
        "filter": filter,
        "reason": "Token pasted into a public log",
        "as_of": preview["as_of"],
    });
    let (status, outcome) = w.end(&w.admin_bearer, body.clone()).await;
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(outcome["ended"], 2);
    assert_eq!(outcome["users"], 1);
    assert_eq!(outcome["owner_sessions_skipped"], 1);
    assert_eq!(outcome["newer_sessions_left"], 1);
    assert_eq!(outcome["signed_out"], false);
    // The browser and the CLI holders are out at their next request; the rest stay.
    assert_eq!(w.app.me_status(&w.member).await, 401);
    assert_eq!(w.app.me_bearer_status(&w.member_bearer).await, 401);
    assert!(w.app.is_active(&late).await);
    assert!(w.app.is_active(&w.owner).await);
    assert!(w.app.is_active(&w.admin).await);

    // Audited: one event per session with the reason, and one for the bulk end.
    let events = w.app.store.audit_events(w.acme.account_id, 20).await.unwrap();
    let bulk: Vec<_> = events
        .iter()
        .filter(|e| e.action == "sessions.bulk_ended")
        .collect();
    assert_eq!(bulk.len(), 1);
    let details: Value = serde_json::from_str(&bulk[0].details).unwrap();
    assert_eq!(details["filter"]["ip"], "203.0.113.0/24");
    assert_eq!(details["ended"], 2);
    assert_eq!(details["note"], "Token pasted into a public log");
    assert_eq!(bulk[0].actor_user_id, Some(w.acme.admin.id));
    let ended: Vec<_> = events
        .iter()
        .filter(|e| e.action == "session.ended" && e.target_user_id == Some(w.acme.member.id))
        .collect();
    assert_eq!(ended.len(), 2);

    // Again with the same body: idempotent, nothing more ends.
    let (status, again) = w.end(&w.admin_bearer, body).await;
    assert_eq!(status, 200);
    assert_eq!(again["ended"], 0);
}

#[tokio::test]
async fn the_owner_ends_everything_and_the_callers_own_session_only_when_asked() {
    let w = world().await;
    let filter = "target[filter][ip]=203.0.113.0%2F24";
    // The owner signed in from the range: the preview says so.
    let (status, preview) = w.app.call(&w.owner, "account_sessions_preview_end", filter).await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["sessions"], 2);
    assert_eq!(preview["owner_sessions_skipped"], 0);
    assert_eq!(preview["includes_current"], true);
    // Without the checkbox the owner's own session stays.
    let body = format!("{filter}&reason=Leaked&include_current=false");
    let (status, outcome) = w.app.call(&w.owner, "account_sessions_end", &body).await;
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(outcome["ended"], 2);
    assert_eq!(outcome["signed_out"], false);
    assert!(w.app.is_active(&w.owner).await);
    // With it, the owner is signed out too.
    let body = format!("{filter}&reason=Leaked&include_current=true");
    let (status, outcome) = w.app.call(&w.owner, "account_sessions_end", &body).await;
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(outcome["ended"], 1);
    assert_eq!(outcome["signed_out"], true);
    assert_eq!(w.app.me_status(&w.owner).await, 401);
    assert!(w.app.is_active(&w.admin).await);
}

#[tokio::test]
async fn picked_sessions_end_but_never_the_owners_for_an_administrator() {
    let w = world().await;
    let member = w.app.session_of(&w.member).await;
    let owner = w.app.session_of(&w.owner).await;
    let body = format!(
        "target[filter][ip]=&target[session_ids][0]={member}&target[session_ids][1]={owner}\
         &reason=Picked&include_current=false"
    );
    let (status, outcome) = w.app.call(&w.admin, "account_sessions_end", &body).await;
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(outcome["ended"], 1);
    assert_eq!(outcome["owner_sessions_skipped"], 1);
    assert_eq!(w.app.me_status(&w.member).await, 401);
    assert!(w.app.is_active(&w.owner).await);
}

#[tokio::test]
async fn a_bulk_end_from_a_session_signed_in_long_ago_asks_for_the_password() {
    let w = world().await;
    // Twenty minutes later the administrator's sign-in is past the re-authentication window
    // (the sessions stay active: the default inactivity limit is longer).
    w.app.clock.advance(Duration::minutes(20));
    assert!(w.app.is_active(&w.admin).await);
    let filter = json!({ "ip": "203.0.113.0/24" });
    let (status, preview) = w
        .end(&w.admin_bearer, json!({ "filter": filter, "dry_run": true }))
        .await;
    assert_eq!(
        status, 401,
        "the CLI's access token expired after ten minutes: {preview}"
    );
    let base = "target[filter][ip]=203.0.113.0%2F24&reason=Leak&include_current=false";
    let (status, preview) = w
        .app
        .call(
            &w.admin,
            "account_sessions_preview_end",
            "target[filter][ip]=203.0.113.0%2F24",
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(preview["password_required"], true);
    let (status, refused) = w.app.call(&w.admin, "account_sessions_end", base).await;
    assert_eq!(status, 422, "{refused}");
    let wrong = format!("{base}&password=wrong+password");
    assert_eq!(w.app.call(&w.admin, "account_sessions_end", &wrong).await.0, 422);
    assert!(w.app.is_active(&w.member).await, "nothing ended");
    let right = format!("{base}&password={}", PASSWORD.replace(' ', "+"));
    let (status, outcome) = w.app.call(&w.admin, "account_sessions_end", &right).await;
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(outcome["ended"], 2, "the member's browser and CLI sessions");
    assert_eq!(w.app.me_status(&w.member).await, 401);
}
