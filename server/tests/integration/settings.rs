//! Account login-session settings through the real router (server functions and the
//! JSON API), on both backends, with a manual clock.

use crate::support::{acme_app, body_json, TestApp};
use app::domain::{EndReason, LoginSessionSettings};
use axum::body::Body;
use chrono::Duration;

/// The Settings page's server function, as the browser holding `cookie` calls it.
async fn update_setting(app: &TestApp, cookie: &str, form: &str) -> u16 {
    let response = app.post_form("/api/iam_update_setting", form, Some(cookie)).await;
    response.status().as_u16()
}

async fn patch(app: &TestApp, cookie: &str, json: &str) -> (u16, serde_json::Value) {
    let request = http::Request::patch("/api/v1/account/settings/login-session")
        .header("content-type", "application/json")
        .header("cookie", cookie)
        .body(Body::from(json.to_string()))
        .unwrap();
    let response = app.send(request).await;
    (response.status().as_u16(), body_json(response).await)
}

#[tokio::test]
async fn a_shorter_maximum_ends_older_sessions_at_once() {
    let (app, acme) = acme_app().await;
    let admin = app.sign_in("admin@acme.test").await;
    let old = app.sign_in("member@acme.test").await;
    app.clock.advance(Duration::minutes(50));
    assert_eq!(app.me_status(&old).await, 200);
    app.clock.advance(Duration::minutes(50));
    let young = app.sign_in("member@acme.test").await;
    assert_eq!(app.me_status(&admin).await, 200);

    let (status, body) = patch(
        &app,
        &admin,
        r#"{"max_duration_secs": 5400, "inactivity_secs": 900, "password": "correct horse battery"}"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["max_duration_secs"], 5400);
    assert_eq!(
        app.me_status(&old).await,
        401,
        "signed in 100 minutes ago, past the new 90"
    );
    assert_eq!(app.end_reason_of(&old).await, Some(EndReason::MaximumDuration));
    let old_session = app.session_of(&old).await;
    let ended = app
        .store
        .session(acme.account_id, old_session)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        ended.ended_by,
        Some(acme.admin.id),
        "the change is recorded as the cause"
    );
    assert_eq!(app.me_status(&young).await, 200);

    // The shorter inactivity limit applies too.
    app.clock.advance(Duration::minutes(16));
    assert_eq!(app.me_status(&young).await, 401);
    assert_eq!(app.end_reason_of(&young).await, Some(EndReason::Inactivity));
}

#[tokio::test]
async fn a_lower_concurrent_limit_applies_at_the_next_sign_in() {
    let (app, _) = acme_app().await;
    let owner = app.sign_in("owner@acme.test").await;
    let mut sessions = Vec::new();
    for _ in 0..3 {
        sessions.push(app.sign_in("member@acme.test").await);
        app.clock.advance(Duration::minutes(2));
    }
    let (status, _) = patch(&app, &owner, r#"{"concurrent_limit": 2}"#).await;
    assert_eq!(status, 200);
    for s in &sessions {
        assert_eq!(
            app.end_reason_of(s).await,
            None,
            "existing sessions live on until the next sign-in"
        );
    }
    let newest = app.sign_in("member@acme.test").await;
    assert_eq!(app.me_status(&sessions[0]).await, 401);
    assert_eq!(app.me_status(&sessions[1]).await, 401);
    assert_eq!(app.me_status(&sessions[2]).await, 200);
    assert_eq!(app.me_status(&newest).await, 200);
    assert_eq!(
        app.end_reason_of(&sessions[0]).await,
        Some(EndReason::ConcurrentLimit)
    );
}

#[tokio::test]
async fn the_server_refuses_every_out_of_range_value_and_changes_nothing() {
    let (app, acme) = acme_app().await;
    let admin = app.sign_in("admin@acme.test").await;
    for (field, value, unit) in [
        ("inactivity", "14", "minutes"),
        ("inactivity", "25", "hours"),
        ("inactivity", "abc", "hours"),
        ("inactivity", "2", "fortnights"),
        ("inactivity", "", "hours"),
        ("max_duration", "14", "minutes"),
        ("max_duration", "31", "days"),
        ("max_duration", "1.5", "days"),
        ("max_duration", "1", "hours"),
        ("concurrent_limit", "0", ""),
        ("concurrent_limit", "101", ""),
        ("concurrent_limit", "-1", ""),
    ] {
        let body = format!("field={field}&value={value}&unit={unit}");
        let response = app
            .post_form("/api/iam_update_setting", &body, Some(&admin))
            .await;
        assert_eq!(response.status(), 422, "{body}");
        let error: app::AppError = serde_json::from_value(body_json(response).await).unwrap();
        assert!(error.field(field).is_some(), "{body}: {error:?}");
    }
    // Each refusal names the request's own key, never an internal name.
    for (json, key) in [
        (r#"{"inactivity_secs": 899}"#, "inactivity_secs"),
        (r#"{"inactivity_secs": 86401}"#, "inactivity_secs"),
        (r#"{"max_duration_secs": 2592001}"#, "max_duration_secs"),
        (
            r#"{"max_duration_secs": 1800, "inactivity_secs": 3600}"#,
            "max_duration_secs",
        ),
        (r#"{"concurrent_limit": 0}"#, "concurrent_limit"),
        (r#"{"concurrent_limit": "5"}"#, "concurrent_limit"),
        (r#"{"idle": 900}"#, "idle"),
        (r#"[1, 2]"#, "body"),
    ] {
        let (status, body) = patch(&app, &admin, json).await;
        assert_eq!(status, 422, "{json}: {body}");
        let fields: Vec<_> = body["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].clone())
            .collect();
        assert_eq!(fields, vec![serde_json::json!(key)], "{json}: {body}");
    }
    assert_eq!(
        app.store.login_session_settings(acme.account_id).await.unwrap(),
        LoginSessionSettings::default()
    );
    assert!(
        !app.store
            .audit_events(acme.account_id, 50)
            .await
            .unwrap()
            .iter()
            .any(|e| e.action == "settings.login_session.updated"),
        "no change, no audit"
    );

    // In range: accepted, audited with old and new values, and reset restores the default.
    assert_eq!(
        update_setting(&app, &admin, "field=inactivity&value=30&unit=minutes").await,
        200
    );
    assert_eq!(
        app.store
            .login_session_settings(acme.account_id)
            .await
            .unwrap()
            .inactivity_secs,
        Some(1800)
    );
    let events = app.store.audit_events(acme.account_id, 50).await.unwrap();
    let events: Vec<_> = events
        .into_iter()
        .filter(|e| e.action == "settings.login_session.updated")
        .collect();
    assert_eq!(events[0].actor_user_id, Some(acme.admin.id));
    let details: serde_json::Value = serde_json::from_str(&events[0].details).unwrap();
    assert_eq!(
        (
            details["old"]["inactivity_secs"].clone(),
            details["new"]["inactivity_secs"].clone()
        ),
        (serde_json::Value::Null, serde_json::json!(1800))
    );
    let response = app
        .post_form("/api/iam_reset_setting", "field=inactivity", Some(&admin))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        app.store
            .login_session_settings(acme.account_id)
            .await
            .unwrap()
            .inactivity_secs,
        None
    );
}

#[tokio::test]
async fn members_read_the_settings_but_cannot_change_them() {
    let (app, acme) = acme_app().await;
    let member = app.sign_in("member@acme.test").await;
    let response = app.post_form("/api/iam_settings", "", Some(&member)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(body_json(response).await["can_edit"], false);
    let response = app
        .get_with("/api/v1/account/settings/login-session", ("cookie", &member))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(body_json(response).await["effective"]["inactivity_secs"], 7200);

    let (status, _) = patch(&app, &member, r#"{"inactivity_secs": 900}"#).await;
    assert_eq!(status, 403);
    assert_eq!(
        update_setting(&app, &member, "field=inactivity&value=15&unit=minutes").await,
        403
    );
    assert_eq!(
        app.store.login_session_settings(acme.account_id).await.unwrap(),
        LoginSessionSettings::default()
    );
}

#[tokio::test]
async fn automation_uses_a_bearer_token_of_an_administrator() {
    let (app, acme) = acme_app().await;
    let tokens = body_json(
        app.post_form(
            "/api/v1/auth/token",
            "grant_type=password&username=owner%40acme.test&password=correct+horse+battery",
            None,
        )
        .await,
    )
    .await;
    let request = http::Request::patch("/api/v1/account/settings/login-session")
        .header("content-type", "application/json")
        .header(
            "authorization",
            format!("Bearer {}", tokens["access_token"].as_str().unwrap()),
        )
        .body(Body::from(
            r#"{"concurrent_limit": 3, "max_duration_secs": 604800}"#,
        ))
        .unwrap();
    let response = app.send(request).await;
    assert_eq!(response.status(), 200);
    let stored = app.store.login_session_settings(acme.account_id).await.unwrap();
    assert_eq!(
        (stored.concurrent_limit, stored.max_duration_secs),
        (Some(3), Some(604_800))
    );
}

#[tokio::test]
async fn every_sensitive_action_asks_a_session_signed_in_long_ago_for_its_password() {
    let (app, acme) = acme_app().await;
    let admin = app.sign_in("admin@acme.test").await;
    let member = app.sign_in("member@acme.test").await;
    // Within the first 15 minutes nothing is asked.
    assert_eq!(
        update_setting(&app, &admin, "field=inactivity&value=30&unit=minutes").await,
        200
    );
    app.clock.advance(Duration::minutes(16));
    assert_eq!(app.me_status(&admin).await, 200);

    // Settings, through the console and the JSON API: refused without the password,
    // refused with a wrong one, accepted with the right one.
    let form = "field=inactivity&value=45&unit=minutes";
    let (status, body) = app.call(&admin, "iam_update_setting", form).await;
    let error: app::AppError = serde_json::from_value(body).unwrap();
    assert_eq!((status, error.field("password").is_some()), (422, true));
    let (status, _) = app
        .call(&admin, "iam_update_setting", &format!("{form}&password=nope"))
        .await;
    assert_eq!(status, 422);
    let (status, _) = app
        .call(
            &admin,
            "iam_update_setting",
            &format!("{form}&password=correct+horse+battery"),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = patch(&app, &admin, r#"{"inactivity_secs": 3600}"#).await;
    assert_eq!(
        (status, body["fields"][0]["field"].clone()),
        (422, serde_json::json!("password"))
    );
    let (status, _) = patch(
        &app,
        &admin,
        r#"{"inactivity_secs": 3600, "password": "correct horse battery"}"#,
    )
    .await;
    assert_eq!(status, 200);

    // An administrator's End all sessions of another user.
    let user = format!("user_id={}", acme.member.id);
    let (status, _) = app.call(&admin, "iam_end_all_sessions", &user).await;
    assert_eq!(status, 422);
    assert!(app.is_active(&member).await, "nothing ended without the password");
    let (status, ended) = app
        .call(
            &admin,
            "iam_end_all_sessions",
            &format!("{user}&password=correct+horse+battery"),
        )
        .await;
    assert_eq!((status, ended), (200, serde_json::json!(1)));
    assert!(!app.is_active(&member).await);
    // The session list tells the console to ask.
    let (_, list) = app
        .call(&admin, "iam_user_sessions", &format!("{user}&view=active"))
        .await;
    assert_eq!(list["reauthenticate"], true);
}

#[tokio::test]
async fn an_administrator_cannot_sign_the_owner_out_through_the_limits() {
    let (app, acme) = acme_app().await;
    let owner = app.sign_in("owner@acme.test").await;
    let member = app.sign_in("member@acme.test").await;
    app.clock.advance(Duration::minutes(20));
    let admin = app.sign_in("admin@acme.test").await;
    let fifteen_minutes = r#"{"max_duration_secs": 900, "inactivity_secs": 900}"#;

    // The owner's session is 20 minutes old: a 15-minute maximum would end it.
    let (status, body) = patch(&app, &admin, fifteen_minutes).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["fields"][0]["field"], "max_duration_secs");
    assert!(
        app.is_active(&owner).await && app.is_active(&member).await,
        "nothing ended"
    );
    assert_eq!(
        app.store.login_session_settings(acme.account_id).await.unwrap(),
        LoginSessionSettings::default()
    );

    // The owner may, and the sessions it makes too old end at once, recorded as ended
    // by the owner's change for the limit's reason.
    let with_password =
        r#"{"max_duration_secs": 900, "inactivity_secs": 900, "password": "correct horse battery"}"#;
    let (status, body) = patch(&app, &owner, with_password).await;
    assert_eq!(status, 200, "{body}");
    let member_session = app.session_of(&member).await;
    let ended = app
        .store
        .session(acme.account_id, member_session)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        ended.ended_at,
        Some(app.clock_now()),
        "ended by the change, not at its next request"
    );
    assert_eq!(
        (ended.ended_by, ended.end_reason),
        (Some(acme.owner.id), Some(EndReason::MaximumDuration))
    );
    assert!(
        app.is_active(&admin).await,
        "signed in after the new limit's cut-off"
    );
    let events = app.store.audit_events(acme.account_id, 20).await.unwrap();
    assert!(events.iter().any(|e| e.action == "session.ended"
        && e.session_id == Some(member_session)
        && e.actor_user_id == Some(acme.owner.id)));
}
