//! Batched activity: the session check writes nothing far from the inactivity limit, its
//! pending activity counts in the idle decision, activity near the limit is written at
//! once (so another node never ends a session used elsewhere), a lost batch loses no
//! end, and of two nodes the later activity wins.

use crate::support::{acme_app, TestApp};
use app::domain::{EndReason, LoginSessionSettings, SessionKind};
use app::ssr::token_hash;
use app::store::SessionEnd;
use chrono::{DateTime, Duration, Utc};

const INACTIVITY: i64 = 15 * 60;

async fn app_with_inactivity() -> (TestApp, crate::support::Seeded) {
    let (app, acme) = acme_app().await;
    let limits = LoginSessionSettings {
        inactivity_secs: Some(INACTIVITY),
        ..Default::default()
    };
    app.set_settings(acme.account_id, acme.owner.id, limits).await;
    (app, acme)
}

/// The last-active time the database holds for a cookie's session.
async fn stored(app: &TestApp, cookie: &str) -> DateTime<Utc> {
    let token = cookie.split_once('=').map(|(_, t)| t).unwrap_or_default();
    app.store
        .session_by_token(&token_hash(token), SessionKind::Browser)
        .await
        .unwrap()
        .unwrap()
        .last_active_at
}

#[tokio::test]
async fn pending_activity_counts_in_the_idle_decision() {
    let (app, _) = app_with_inactivity().await;
    let cookie = app.sign_in("member@acme.test").await;
    let signed_in = app.clock_now();

    app.clock.advance(Duration::minutes(10));
    assert_eq!(app.me_status(&cookie).await, 200);
    let used = app.clock_now();
    assert_eq!(
        stored(&app, &cookie).await,
        signed_in,
        "no write on the request path"
    );
    assert_eq!(app.state.activity.pending(), 1);

    // 20 minutes after signing in (no flush ran) the stored time alone says idle; the
    // pending use 10 minutes ago keeps the session alive. This use, past the stored
    // limit, is written at once.
    app.clock.advance(Duration::minutes(10));
    assert_eq!(app.me_status(&cookie).await, 200);
    assert_eq!(stored(&app, &cookie).await, app.clock_now());
    assert!(used < app.clock_now());
    assert_eq!(
        app.flush_activity().await,
        0,
        "the older pending use moves nothing"
    );
    assert_eq!(app.state.activity.pending(), 0);

    // Idle for the whole limit, pending or not: signed out as inactive.
    app.clock.advance(Duration::minutes(16));
    assert_eq!(app.me_status(&cookie).await, 401);
    let ended = app.context_of(&cookie).await.unwrap();
    assert_eq!(ended.end_reason, Some(EndReason::Inactivity));
}

#[tokio::test]
async fn pending_activity_is_written_in_one_batch() {
    let (app, _) = app_with_inactivity().await;
    let first = app.sign_in("member@acme.test").await;
    let second = app.sign_in("admin@acme.test").await;
    app.clock.advance(Duration::minutes(3));
    assert_eq!(app.me_status(&first).await, 200);
    assert_eq!(app.me_status(&second).await, 200);
    let used = app.clock_now();
    app.clock.advance(Duration::seconds(5));
    assert_eq!(app.state.activity.pending(), 2);
    assert_eq!(app.flush_activity().await, 2);
    assert_eq!(stored(&app, &first).await, used);
    assert_eq!(stored(&app, &second).await, used);
    // The users page sorts by the member's latest activity, written with it.
    let (_, page) = app
        .call(&second, "iam_list_users", "search=member&sort=last_active&page=1")
        .await;
    assert_eq!(page["users"][0]["last_active_at"], serde_json::json!(used));
}

#[tokio::test]
async fn activity_near_the_limit_is_written_at_once_so_another_node_keeps_the_session() {
    let (app, _) = app_with_inactivity().await;
    let node_b = app.another_node().await;
    let cookie = app.sign_in("member@acme.test").await;

    // 10 s before the stored time runs out: written by the check itself.
    app.clock.advance(Duration::seconds(INACTIVITY - 10));
    assert_eq!(app.me_status(&cookie).await, 200);
    let used = app.clock_now();
    assert_eq!(app.state.activity.pending(), 0);
    assert_eq!(stored(&app, &cookie).await, used);

    // Node B, which never saw that request, keeps the session past the old limit.
    app.clock.advance(Duration::seconds(20));
    assert_eq!(node_b.me_status(&cookie).await, 200);
}

/// Node B remembers the session (on Postgres) from requests before A's; A's activity
/// near the limit reaches the database but not B's memory. Past the limit as B
/// remembers it, B reads the session again before it would end it as idle, and keeps it.
#[tokio::test]
async fn a_node_reads_a_remembered_session_again_before_ending_it_as_idle() {
    let (app, _) = app_with_inactivity().await;
    let node_b = app.another_node().await;
    let cookie = app.sign_in("member@acme.test").await;
    assert_eq!(node_b.me_status(&cookie).await, 200);
    assert_eq!(node_b.me_status(&cookie).await, 200);

    app.clock.advance(Duration::seconds(INACTIVITY - 10));
    assert_eq!(app.me_status(&cookie).await, 200);
    app.clock.advance(Duration::seconds(20));
    assert_eq!(node_b.me_status(&cookie).await, 200);
    assert!(app.is_active(&cookie).await);
}

#[tokio::test]
async fn a_lost_batch_loses_no_end() {
    let (app, acme) = app_with_inactivity().await;
    let cookie = app.sign_in("member@acme.test").await;
    let session = app.context_of(&cookie).await.unwrap().session_id;

    app.clock.advance(Duration::minutes(2));
    assert_eq!(app.me_status(&cookie).await, 200);
    assert_eq!(app.state.activity.pending(), 1);
    let end = SessionEnd::by(acme.admin.id, EndReason::EndedByAdministrator, app.clock_now());
    assert!(app.end_session(acme.account_id, session, end).await);

    // The process "crashes": its pending activity is gone; a restarted node obeys the end.
    let restarted = app.another_node().await;
    assert_eq!(restarted.me_status(&cookie).await, 401);
    // Had it survived, writing it later changes nothing: activity never undoes an end.
    assert_eq!(app.flush_activity().await, 0);
    let ended = app.context_of(&cookie).await.unwrap();
    assert_eq!(ended.end_reason, Some(EndReason::EndedByAdministrator));
    assert_eq!(ended.last_active_at, app.clock_now() - Duration::minutes(2));
    assert_eq!(app.me_status(&cookie).await, 401);
}

#[tokio::test]
async fn of_two_nodes_the_later_activity_wins() {
    let (app, _) = app_with_inactivity().await;
    let node_b = app.another_node().await;
    let cookie = app.sign_in("member@acme.test").await;

    app.clock.advance(Duration::minutes(2));
    assert_eq!(node_b.me_status(&cookie).await, 200);
    app.clock.advance(Duration::minutes(2));
    assert_eq!(app.me_status(&cookie).await, 200);
    let later = app.clock_now();

    // Node A writes first, node B's earlier activity last: the later time stays.
    assert_eq!(app.flush_activity().await, 1);
    let written = app::service::activity::flush(&node_b.state).await.unwrap();
    assert_eq!(written, 0, "the earlier activity moves nothing");
    assert_eq!(stored(&app, &cookie).await, later);
}
