//! Avatar > Profile > Sessions: a user's own sessions through the self-service server
//! functions, which take no user id and reach nobody else's sessions.

use crate::support::{acme_app, body_json, seed};
use app::domain::EndReason;
use chrono::Duration;
use uuid::Uuid;

#[tokio::test]
async fn a_user_sees_and_ends_only_their_own_sessions() {
    let (app, acme) = acme_app().await;
    seed(&app, "Beta").await;
    let here = app.sign_in("member@acme.test").await;
    let laptop = app.sign_in("member@acme.test").await;
    let admin = app.sign_in("admin@acme.test").await;
    let stranger = app.sign_in("member@beta.test").await;

    let (status, list) = app.call(&here, "me_sessions", "view=active").await;
    assert_eq!(status, 200);
    let sessions = list["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2, "only the member's own sessions");
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);

    // Someone else's session id, in the same account or another: not found, unchanged.
    for other in [
        app.session_of(&admin).await,
        app.session_of(&stranger).await,
        Uuid::new_v4(),
    ] {
        let (status, _) = app
            .call(&here, "me_end_session", &format!("session_id={other}"))
            .await;
        assert_eq!(status, 404);
    }
    assert!(app.is_active(&admin).await && app.is_active(&stranger).await);

    let laptop_id = app.session_of(&laptop).await;
    let (status, outcome) = app
        .call(&here, "me_end_session", &format!("session_id={laptop_id}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(outcome["signed_out"], false);
    assert!(!app.is_active(&laptop).await);
    assert!(app.is_active(&here).await);
    let ended = app
        .store
        .session(acme.account_id, laptop_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (ended.end_reason, ended.ended_by),
        (Some(EndReason::EndedByUser), Some(acme.member.id))
    );

    // Ending the current session signs this browser out.
    let here_id = app.session_of(&here).await;
    let response = app
        .post_form(
            "/api/me_end_session",
            &format!("session_id={here_id}"),
            Some(&here),
        )
        .await;
    assert!(response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    assert_eq!(body_json(response).await["signed_out"], true);
    assert!(!app.is_active(&here).await);
}

#[tokio::test]
async fn end_all_other_sessions_keeps_this_one_and_end_all_signs_out() {
    let (app, _) = acme_app().await;
    let here = app.sign_in("member@acme.test").await;
    let second = app.sign_in("member@acme.test").await;
    let third = app.sign_in("member@acme.test").await;
    let colleague = app.sign_in("admin@acme.test").await;

    let (status, outcome) = app.call(&here, "me_end_sessions", "keep_current=true").await;
    assert_eq!(status, 200);
    assert_eq!(
        (outcome["ended"].clone(), outcome["signed_out"].clone()),
        (serde_json::json!(2), serde_json::json!(false))
    );
    assert!(app.is_active(&here).await);
    assert!(!app.is_active(&second).await && !app.is_active(&third).await);
    assert!(app.is_active(&colleague).await, "nobody else's sessions");

    let (status, outcome) = app.call(&here, "me_end_sessions", "keep_current=false").await;
    assert_eq!(
        (status, outcome["signed_out"].clone()),
        (200, serde_json::json!(true))
    );
    assert!(!app.is_active(&here).await);
    assert!(app.is_active(&colleague).await);
}

#[tokio::test]
async fn ending_all_asks_for_the_password_after_fifteen_minutes() {
    let (app, _) = acme_app().await;
    let here = app.sign_in("member@acme.test").await;
    let other = app.sign_in("member@acme.test").await;
    app.clock.advance(Duration::minutes(16));
    assert_eq!(
        app.call(&here, "me_sessions", "view=active").await.1["reauthenticate"],
        true
    );

    let (status, error) = app.call(&here, "me_end_sessions", "keep_current=true").await;
    assert_eq!(status, 422);
    let error: app::AppError = serde_json::from_value(error).unwrap();
    assert_eq!(
        error.field("password").as_deref(),
        Some("Enter your password to confirm")
    );
    let (status, error) = app
        .call(&here, "me_end_sessions", "keep_current=true&password=wrong+guess")
        .await;
    assert_eq!(status, 422);
    let error: app::AppError = serde_json::from_value(error).unwrap();
    assert_eq!(
        error.field("password").as_deref(),
        Some("The password is incorrect")
    );
    assert!(app.is_active(&other).await, "nothing ended");

    let (status, _) = app
        .call(
            &here,
            "me_end_sessions",
            "keep_current=true&password=correct+horse+battery",
        )
        .await;
    assert_eq!(status, 200);
    assert!(!app.is_active(&other).await);
}

#[tokio::test]
async fn an_administrators_end_shows_under_ended_with_name_and_reason() {
    let (app, acme) = acme_app().await;
    let member = app.sign_in("member@acme.test").await;
    let laptop = app.sign_in("member@acme.test").await;
    let admin = app.sign_in("admin@acme.test").await;
    let laptop_id = app.session_of(&laptop).await;
    let body = format!("user_id={}&session_id={laptop_id}", acme.member.id);
    assert_eq!(app.call(&admin, "iam_end_session", &body).await.0, 200);

    let (_, ended) = app.call(&member, "me_sessions", "view=ended").await;
    // Who ended it, named once: never "Ended by an administrator by …".
    assert_eq!(
        ended["sessions"][0]["ended"]["description"],
        "Ended by administrator admin of Acme"
    );
}
