//! The login-session engine through the real router, on SQLite and (with
//! `TEST_POSTGRES_URL`) Postgres, with a manual clock instead of sleeps.

use crate::support::{acme_app, body_json, body_text, seed, session_cookie, PASSWORD};
use app::domain::{EndReason, LoginSessionSettings, SessionKind};
use app::ssr::token_hash;
use chrono::Duration;

fn token_of(cookie: &str) -> &str {
    cookie.split_once('=').map(|(_, v)| v).unwrap_or_default()
}

#[tokio::test]
async fn sign_in_sets_a_hardened_cookie_and_stores_only_the_hash() {
    let (app, acme) = acme_app().await;
    let response = app
        .post_form(
            "/api/sign_in",
            "email=MEMBER%40acme.test&password=correct+horse+battery",
            None,
        )
        .await;
    assert_eq!(response.status(), 200);
    let set_cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap()
        .to_string();
    assert!(
        set_cookie.contains("HttpOnly")
            && set_cookie.contains("SameSite=Lax")
            && set_cookie.contains("Path=/"),
        "{set_cookie}"
    );
    let cookie = session_cookie(&response).unwrap();
    let token = token_of(&cookie);
    assert!(token.len() >= 43, "at least 256 bits");

    let context = app
        .store
        .session_by_token(&token_hash(token), SessionKind::Browser)
        .await
        .unwrap()
        .expect("session");
    assert_eq!(context.user_id, acme.member.id);
    assert_eq!(context.account_id, acme.account_id);
    // The database holds the hash, not the token: the token itself finds nothing.
    let raw = app::store::TokenHash(token.as_bytes()[..32].try_into().unwrap());
    assert!(app
        .store
        .session_by_token(&raw, SessionKind::Browser)
        .await
        .unwrap()
        .is_none());

    let me = app.get_with("/api/v1/me", ("cookie", &cookie)).await;
    assert_eq!(me.status(), 200);
    let me = body_json(me).await;
    assert_eq!(me["email"], "member@acme.test");
    assert_eq!(me["role"], "member");
    assert_eq!(me["credential"], "browser");
}

#[tokio::test]
async fn wrong_password_and_unknown_email_look_the_same() {
    let (app, _) = acme_app().await;
    let wrong = app
        .post_form(
            "/api/sign_in",
            "email=member%40acme.test&password=wrong+password",
            None,
        )
        .await;
    let unknown = app
        .post_form(
            "/api/sign_in",
            "email=nobody%40acme.test&password=wrong+password",
            None,
        )
        .await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.status(), 401);
    assert!(session_cookie(&wrong).is_none());
    let (wrong, unknown) = (body_text(wrong).await, body_text(unknown).await);
    assert_eq!(wrong, unknown);
    assert!(wrong.contains("Email or password is incorrect"), "{wrong}");
}

#[tokio::test]
async fn repeated_failures_are_throttled_even_with_the_right_password() {
    let (app, _) = acme_app().await;
    for _ in 0..5 {
        let r = app
            .post_form(
                "/api/sign_in",
                "email=member%40acme.test&password=wrong+password",
                None,
            )
            .await;
        assert_eq!(r.status(), 401);
    }
    let right = format!("email=member%40acme.test&password={}", PASSWORD.replace(' ', "+"));
    let blocked = app.post_form("/api/sign_in", &right, None).await;
    assert_eq!(blocked.status(), 429);
    let error: app::AppError = serde_json::from_value(body_json(blocked).await).unwrap();
    assert_eq!(error.to_string(), "Too many attempts, try again in 900 s");
    // Another email from the same address is not blocked yet (20 per address).
    assert_eq!(
        app.post_form(
            "/api/sign_in",
            "email=admin%40acme.test&password=correct+horse+battery",
            None
        )
        .await
        .status(),
        200
    );
    // After the window, the right password works again.
    app.clock.advance(Duration::minutes(15));
    assert_eq!(app.post_form("/api/sign_in", &right, None).await.status(), 200);
}

#[tokio::test]
async fn the_check_refuses_ended_idle_and_expired_sessions() {
    let (app, acme) = acme_app().await;

    // Ended by an administrator: refused at the very next request.
    let cookie = app.sign_in("member@acme.test").await;
    assert_eq!(app.me_status(&cookie).await, 200);
    let id = app.context_of(&cookie).await.unwrap().session_id;
    let end = app.by_administrator(acme.admin.id);
    assert!(app.end_session(acme.account_id, id, end).await);
    let refused = app.get_with("/api/v1/me", ("cookie", &cookie)).await;
    assert_eq!(refused.status(), 401);
    assert!(body_text(refused)
        .await
        .contains("Your session was ended by an administrator. Sign in again."));
    let page = app.page("/", &cookie).await;
    assert_eq!(page.status(), 302);
    assert_eq!(
        page.headers()["location"],
        "/signin?notice=ended_by_administrator"
    );
    assert!(page.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));

    // Idle: 2 hours without a request.
    let cookie = app.sign_in("member@acme.test").await;
    app.clock.advance(Duration::minutes(119));
    assert_eq!(app.me_status(&cookie).await, 200, "activity resets idleness");
    app.clock.advance(Duration::minutes(120));
    let refused = app.get_with("/api/v1/me", ("cookie", &cookie)).await;
    assert_eq!(refused.status(), 401);
    assert!(body_text(refused)
        .await
        .contains("signed out after 2 hours of inactivity"));
    let ctx = app.context_of(&cookie).await.unwrap();
    assert_eq!(
        ctx.end_reason,
        Some(EndReason::Inactivity),
        "the expiry is recorded with its reason"
    );

    // Absolute: 24 hours after sign-in, however active.
    let cookie = app.sign_in("member@acme.test").await;
    for _ in 0..47 {
        app.clock.advance(Duration::minutes(30));
        assert_eq!(app.me_status(&cookie).await, 200);
    }
    app.clock.advance(Duration::minutes(30));
    assert_eq!(app.me_status(&cookie).await, 401);
    let ctx = app.context_of(&cookie).await.unwrap();
    assert_eq!(ctx.end_reason, Some(EndReason::MaximumDuration));
}

#[tokio::test]
async fn activity_is_written_at_most_once_a_minute() {
    let (app, _) = acme_app().await;
    let cookie = app.sign_in("member@acme.test").await;
    let hash = token_hash(token_of(&cookie));
    let signed_in = app.clock_now();
    app.clock.advance(Duration::seconds(30));
    assert_eq!(app.me_status(&cookie).await, 200);
    assert_eq!(app.flush_activity().await, 0, "nothing pending within the minute");
    let ctx = app
        .store
        .session_by_token(&hash, SessionKind::Browser)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ctx.last_active_at, signed_in, "no write within the minute");
    app.clock.advance(Duration::seconds(31));
    assert_eq!(app.me_status(&cookie).await, 200);
    assert_eq!(app.flush_activity().await, 1, "one batched write");
    let ctx = app
        .store
        .session_by_token(&hash, SessionKind::Browser)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ctx.last_active_at, app.clock_now());
}

#[tokio::test]
async fn a_new_address_is_recorded_within_seconds_but_not_per_request() {
    let app = crate::support::test_app_with(app::ssr::SecurityConfig {
        trusted_proxy_header: Some("x-forwarded-for".into()),
        ..Default::default()
    })
    .await;
    seed(&app, "Acme").await;
    let cookie = app.sign_in("member@acme.test").await;
    let hash = token_hash(token_of(&cookie));
    let signed_in = app.clock_now();
    let from = |ip: &'static str| {
        let cookie = cookie.clone();
        let app = &app;
        async move {
            let request = http::Request::get("/api/v1/me")
                .header("cookie", cookie)
                .header("x-forwarded-for", ip)
                .body(axum::body::Body::empty())
                .expect("request");
            assert_eq!(app.send(request).await.status(), 200);
            app.flush_activity().await;
            let ctx = app
                .store
                .session_by_token(&hash, SessionKind::Browser)
                .await
                .unwrap()
                .unwrap();
            (ctx.last_active_at, ctx.last_ip)
        }
    };

    app.clock.advance(Duration::seconds(5));
    let (at, ip) = from("198.51.100.7").await;
    assert_eq!(at, signed_in, "a new address within 10 s is not written yet");
    assert_ne!(ip, "198.51.100.7");

    app.clock.advance(Duration::seconds(6));
    assert_eq!(
        from("198.51.100.7").await,
        (app.clock_now(), "198.51.100.7".to_string())
    );

    // Alternating addresses: no write until 10 s after the last one.
    let recorded = app.clock_now();
    app.clock.advance(Duration::seconds(1));
    assert_eq!(from("203.0.113.9").await, (recorded, "198.51.100.7".to_string()));
    app.clock.advance(Duration::seconds(1));
    assert_eq!(from("198.51.100.7").await, (recorded, "198.51.100.7".to_string()));
}

#[tokio::test]
async fn the_concurrent_limit_ends_the_least_recently_active() {
    let (app, acme) = acme_app().await;
    let limit = LoginSessionSettings {
        concurrent_limit: Some(2),
        ..Default::default()
    };
    app.set_settings(acme.account_id, acme.owner.id, limit).await;

    let first = app.sign_in("member@acme.test").await;
    app.clock.advance(Duration::minutes(5));
    let second = app.sign_in("member@acme.test").await;
    app.clock.advance(Duration::minutes(5));
    // The first is used again, so the second becomes the least recently active.
    assert_eq!(app.me_status(&first).await, 200);
    app.clock.advance(Duration::minutes(5));
    let third = app.sign_in("member@acme.test").await;

    assert_eq!(app.me_status(&first).await, 200);
    assert_eq!(app.me_status(&second).await, 401);
    assert_eq!(app.me_status(&third).await, 200);
    let ctx = app.context_of(&second).await.unwrap();
    assert_eq!(ctx.end_reason, Some(EndReason::ConcurrentLimit));
}

async fn password_grant(app: &crate::support::TestApp, email: &str) -> serde_json::Value {
    let body = format!(
        "grant_type=password&username={email}&password={}",
        PASSWORD.replace(' ', "+")
    );
    let response = app.token(&body).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    body_json(response).await
}

#[tokio::test]
async fn cli_tokens_refresh_rotates_and_reuse_ends_the_session() {
    let (app, _) = acme_app().await;
    let tokens = password_grant(&app, "admin@acme.test").await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 600);
    let access = tokens["access_token"].as_str().unwrap().to_string();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();

    let me = app
        .get_with("/api/v1/me", ("authorization", &format!("Bearer {access}")))
        .await;
    assert_eq!(me.status(), 200);
    assert_eq!(body_json(me).await["credential"], "cli");

    let rotated = app.refresh(&refresh).await;
    assert_eq!(rotated.status(), 200);
    let rotated = body_json(rotated).await;
    let new_refresh = rotated["refresh_token"].as_str().unwrap().to_string();
    let new_access = rotated["access_token"].as_str().unwrap().to_string();
    assert_ne!(new_refresh, refresh);
    assert_eq!(rotated["session_id"], tokens["session_id"], "same login session");
    assert_eq!(
        app.get_with("/api/v1/me", ("authorization", &format!("Bearer {new_access}")))
            .await
            .status(),
        200
    );

    // Access tokens expire after ten minutes.
    app.clock.advance(Duration::minutes(10));
    assert_eq!(
        app.get_with("/api/v1/me", ("authorization", &format!("Bearer {new_access}")))
            .await
            .status(),
        401
    );

    // Reusing the old refresh token is theft: the whole session ends.
    let reused = app.refresh(&refresh).await;
    assert_eq!(reused.status(), 400);
    assert_eq!(body_json(reused).await["error"], "invalid_grant");
    let after = app.refresh(&new_refresh).await;
    assert_eq!(
        after.status(),
        400,
        "the current refresh token died with the session"
    );
}

#[tokio::test]
async fn an_ended_session_rejects_its_access_token_at_once() {
    let (app, acme) = acme_app().await;
    let tokens = password_grant(&app, "member@acme.test").await;
    let bearer = format!("Bearer {}", tokens["access_token"].as_str().unwrap());
    assert_eq!(
        app.get_with("/api/v1/me", ("authorization", &bearer))
            .await
            .status(),
        200
    );
    let id = tokens["session_id"].as_str().unwrap().parse().unwrap();
    let end = app.by_administrator(acme.owner.id);
    assert!(app.end_session(acme.account_id, id, end).await);
    let refused = app.get_with("/api/v1/me", ("authorization", &bearer)).await;
    assert_eq!(refused.status(), 401, "not at expiry: now");
    assert!(refused.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("invalid_token"));
}

#[tokio::test]
async fn revoke_and_sign_out_end_sessions_idempotently() {
    let (app, _) = acme_app().await;
    let tokens = password_grant(&app, "member@acme.test").await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    for _ in 0..2 {
        let r = app
            .post_form("/api/v1/auth/revoke", &format!("token={refresh}"), None)
            .await;
        assert_eq!(r.status(), 200);
    }
    assert_eq!(
        app.post_form("/api/v1/auth/revoke", "token=unknown", None)
            .await
            .status(),
        200
    );
    let bearer = format!("Bearer {}", tokens["access_token"].as_str().unwrap());
    assert_eq!(
        app.get_with("/api/v1/me", ("authorization", &bearer))
            .await
            .status(),
        401
    );

    // Sign-out ends the browser session on the server, not only the cookie; a second
    // browser signed in as the same person stays signed in.
    let first = app.sign_in("member@acme.test").await;
    let second = app.sign_in("member@acme.test").await;
    let out = app.post_form("/api/sign_out", "", Some(&first)).await;
    assert_eq!(out.status(), 200);
    assert!(out.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    assert_eq!(app.me_status(&first).await, 401);
    assert_eq!(app.me_status(&second).await, 200);
    let ctx = app.context_of(&first).await.unwrap();
    assert_eq!(ctx.end_reason, Some(EndReason::SignedOut));
}

#[tokio::test]
async fn foreign_origin_writes_are_refused_and_change_nothing() {
    let (app, acme) = acme_app().await;
    let request = http::Request::post("/api/sign_in")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", "https://evil.example")
        .header("host", "console.example")
        .body(axum::body::Body::from(
            "email=member%40acme.test&password=correct+horse+battery",
        ))
        .unwrap();
    let response = app.send(request).await;
    assert_eq!(response.status(), 403);
    assert!(session_cookie(&response).is_none());
    let sessions = app
        .store
        .sessions_of_user(
            acme.account_id,
            acme.member.id,
            app::domain::SessionView::All,
            app::service::liveness(&Default::default(), app.clock_now()),
        )
        .await
        .unwrap();
    assert!(sessions.is_empty());

    let cookie = app.sign_in("member@acme.test").await;
    let request = http::Request::post("/api/sign_out")
        .header("cookie", &cookie)
        .header("sec-fetch-site", "cross-site")
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(app.send(request).await.status(), 403);
    assert_eq!(app.me_status(&cookie).await, 200, "still signed in");
}

#[tokio::test]
async fn people_in_several_accounts_choose_one() {
    let (app, acme) = acme_app().await;
    let beta = seed(&app, "Beta").await;
    app.store
        .add_membership(
            beta.account_id,
            acme.member.id,
            app::domain::Role::Administrator,
            app.clock_now(),
        )
        .await
        .unwrap();
    let ask = app
        .post_form(
            "/api/sign_in",
            "email=member%40acme.test&password=correct+horse+battery",
            None,
        )
        .await;
    assert_eq!(ask.status(), 200);
    assert!(session_cookie(&ask).is_none());
    let choices = body_json(ask).await;
    assert_eq!(choices["ChooseAccount"].as_array().map(Vec::len), Some(2));

    let body = format!(
        "email=member%40acme.test&password=correct+horse+battery&account={}",
        beta.account_id
    );
    let chosen = app.post_form("/api/sign_in", &body, None).await;
    let cookie = session_cookie(&chosen).unwrap();
    let me = body_json(app.get_with("/api/v1/me", ("cookie", &cookie)).await).await;
    assert_eq!(me["account_name"], "Beta");
    assert_eq!(me["role"], "administrator");
}

#[tokio::test]
async fn the_sweep_records_unnoticed_expiries_and_purges_long_ended_sessions() {
    let (app, acme) = acme_app().await;
    let idle = app.sign_in("member@acme.test").await;
    let busy = app.sign_in("admin@acme.test").await;
    app.clock.advance(Duration::minutes(100));
    assert_eq!(app.me_status(&busy).await, 200);
    app.clock.advance(Duration::minutes(30));

    let changed = app::service::sweep::sweep(&app.state, super::support::retention(30), 10_000)
        .await
        .unwrap();
    assert_eq!(changed, 1, "only the idle session expired");
    let ctx = app.context_of(&idle).await.unwrap();
    assert_eq!(ctx.end_reason, Some(EndReason::Inactivity));
    assert_eq!(app.me_status(&busy).await, 200);
    let events = app.store.audit_events(acme.account_id, 10).await.unwrap();
    assert!(events
        .iter()
        .any(|e| e.action == "session.ended" && e.details.contains("inactivity")));

    // Ended sessions stay listed for the retention period, then go.
    app.clock.advance(Duration::days(29));
    app::service::sweep::sweep(&app.state, super::support::retention(30), 10_000)
        .await
        .unwrap();
    assert!(app.context_of(&idle).await.is_some());
    app.clock.advance(Duration::days(2));
    app::service::sweep::sweep(&app.state, super::support::retention(30), 10_000)
        .await
        .unwrap();
    assert!(app.context_of(&idle).await.is_none());
}

/// On Postgres an end writes a new version of the session's row, and the page it lands
/// on stays unmarked as visible to all until a vacuum: the account-wide search's
/// index-only counts then read the table for every entry on such pages (a count of
/// 100 000 matches took 47 ms after a sweep's 10 000 ends, 27 ms once vacuumed). The
/// sweep vacuums after its ends. SQLite's indexes need no table reads to count.
#[tokio::test]
async fn after_a_sweep_the_search_counts_from_indexes_alone() {
    if !app::store::testing::on_postgres() {
        return;
    }
    let (app, acme) = acme_app().await;
    for _ in 0..8 {
        app.sign_in("member@acme.test").await;
    }
    app.store.execute_raw("VACUUM login_sessions").await.unwrap();
    let fetches = || app.store.heap_fetches_counting(acme.account_id);
    assert_eq!(fetches().await.unwrap(), Some(0), "vacuumed: the index alone");

    app.clock.advance(Duration::minutes(130));
    let ended = app::service::sweep::sweep(&app.state, super::support::retention(30), 10_000)
        .await
        .unwrap();
    assert!(ended >= 8, "the idle sessions expired: {ended}");
    assert_eq!(
        fetches().await.unwrap(),
        Some(0),
        "the sweep left its ends unvacuumed"
    );
}

/// Writes an end reason this version does not know, past the database's CHECK, the way
/// a newer version's rows or a manual fix could.
fn unknown_reason_past_the_check() -> &'static str {
    if app::store::testing::on_postgres() {
        "ALTER TABLE login_sessions DROP CONSTRAINT login_sessions_end_reason_known; \
         UPDATE login_sessions SET end_reason = 'from_a_newer_version' WHERE ended_at IS NOT NULL"
    } else {
        "PRAGMA ignore_check_constraints = ON; \
         UPDATE login_sessions SET end_reason = 'from_a_newer_version' WHERE ended_at IS NOT NULL; \
         PRAGMA ignore_check_constraints = OFF"
    }
}

#[tokio::test]
async fn an_unknown_end_reason_never_makes_an_ended_session_active() {
    let (app, acme) = acme_app().await;
    let cookie = app.sign_in("member@acme.test").await;
    let id = app.session_of(&cookie).await;
    assert!(
        app.end_session(acme.account_id, id, app.by_administrator(acme.admin.id))
            .await
    );
    assert_eq!(app.me_status(&cookie).await, 401);

    // The database refuses a reason it does not know; the session stays refused.
    let unknown = "UPDATE login_sessions SET end_reason = 'from_a_newer_version'";
    assert!(app.store.execute_raw(unknown).await.is_err());
    assert_eq!(app.me_status(&cookie).await, 401);

    // Written anyway, the row fails to decode: an error, never a valid session. (A node
    // that answered before remembers the refusal, on SQLite where a hand edit does not
    // reach its memory; one that reads the row, after a restart, must fail loudly.)
    app.store
        .execute_raw(unknown_reason_past_the_check())
        .await
        .unwrap();
    app.forget_answers_for(&cookie);
    let refused = app.get_with("/api/v1/me", ("cookie", &cookie)).await;
    assert_eq!(refused.status(), 500);
    assert_eq!(body_json(refused).await["error"], "Internal error");
    let page = app.page("/iam/users", &cookie).await;
    assert_eq!(page.status(), 500, "no console page for an unreadable session");
}
