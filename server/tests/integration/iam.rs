//! Manage > Access (IAM) server functions through the real router: the permission
//! matrix (owner, administrator, member, another account's administrator), account
//! isolation whatever ids are sent, and search and paging.

use crate::support::{acme_app, body_json, seed, Seeded, TestApp};
use app::domain::{EndReason, Role};
use app::store::NewUser;
use uuid::Uuid;

struct World {
    app: TestApp,
    acme: Seeded,
    beta: Seeded,
    owner: String,
    admin: String,
    member: String,
    beta_admin: String,
}

async fn world() -> World {
    let (app, acme) = acme_app().await;
    let beta = seed(&app, "Beta").await;
    let owner = app.sign_in("owner@acme.test").await;
    let admin = app.sign_in("admin@acme.test").await;
    let member = app.sign_in("member@acme.test").await;
    let beta_admin = app.sign_in("admin@beta.test").await;
    World {
        app,
        acme,
        beta,
        owner,
        admin,
        member,
        beta_admin,
    }
}

#[tokio::test]
async fn owner_and_administrators_see_users_and_sessions() {
    let w = world().await;
    for cookie in [&w.owner, &w.admin] {
        let (status, page) = w
            .app
            .call(cookie, "iam_list_users", "search=&sort=name&page=1")
            .await;
        assert_eq!(status, 200);
        assert_eq!(page["total"], 3);
        let (status, user) = w
            .app
            .call(cookie, "iam_user", &format!("user_id={}", w.acme.member.id))
            .await;
        assert_eq!(status, 200);
        assert_eq!(user["user"]["email"], "member@acme.test");
        assert_eq!(user["user"]["active_sessions"], 1);
        assert_eq!(user["can_end_sessions"], true);
        let (status, list) = w
            .app
            .call(
                cookie,
                "iam_user_sessions",
                &format!("user_id={}&view=active", w.acme.member.id),
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(list["sessions"].as_array().map(Vec::len), Some(1));
        assert_eq!(list["sessions"][0]["current"], false);
    }
    // The viewer's own session is marked current.
    let (_, own) = w
        .app
        .call(
            &w.admin,
            "iam_user_sessions",
            &format!("user_id={}&view=all", w.acme.admin.id),
        )
        .await;
    assert_eq!(own["sessions"][0]["current"], true);
}

#[tokio::test]
async fn an_administrator_ends_a_members_session_and_it_stops_working_at_once() {
    let w = world().await;
    let target = w.app.session_of(&w.member).await;
    let body = format!("user_id={}&session_id={target}", w.acme.member.id);
    let (status, _) = w.app.call(&w.admin, "iam_end_session", &body).await;
    assert_eq!(status, 200);
    assert!(!w.app.is_active(&w.member).await);
    let (status, _) = w.app.call(&w.admin, "iam_end_session", &body).await;
    assert_eq!(status, 200, "ending again is not an error");

    let (_, ended) = w
        .app
        .call(
            &w.owner,
            "iam_user_sessions",
            &format!("user_id={}&view=ended", w.acme.member.id),
        )
        .await;
    // Who ended it, named once: never "Ended by an administrator by …".
    assert_eq!(
        ended["sessions"][0]["ended"]["description"],
        "Ended by administrator admin of Acme"
    );
    let events = w.app.store.audit_events(w.acme.account_id, 10).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.action == "session.ended").count(), 1);
}

#[tokio::test]
async fn end_all_ends_browser_and_cli_sessions_of_the_user() {
    let w = world().await;
    let second = w.app.sign_in("member@acme.test").await;
    let cli = w
        .app
        .post_form(
            "/api/v1/auth/token",
            "grant_type=password&username=member%40acme.test&password=correct+horse+battery",
            None,
        )
        .await;
    let tokens = body_json(cli).await;
    let (status, ended) = w
        .app
        .call(
            &w.owner,
            "iam_end_all_sessions",
            &format!("user_id={}", w.acme.member.id),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(ended, 3);
    assert!(!w.app.is_active(&w.member).await);
    assert!(!w.app.is_active(&second).await);
    let refresh = format!(
        "grant_type=refresh_token&refresh_token={}",
        tokens["refresh_token"].as_str().unwrap()
    );
    assert_eq!(w.app.token(&refresh).await.status(), 400);
    assert!(w.app.is_active(&w.owner).await, "other users keep their sessions");
}

#[tokio::test]
async fn an_administrator_may_not_end_the_owners_sessions() {
    let w = world().await;
    let owner_session = w.app.session_of(&w.owner).await;
    let status = w
        .app
        .end_user_session(&w.admin, w.acme.owner.id, owner_session)
        .await;
    assert_eq!(status, 403);
    let status = w.app.end_all_user_sessions(&w.admin, w.acme.owner.id).await;
    assert_eq!(status, 403);
    assert!(w.app.is_active(&w.owner).await);
    // They may look, and the page says they cannot end them.
    let (status, user) = w
        .app
        .call(&w.admin, "iam_user", &format!("user_id={}", w.acme.owner.id))
        .await;
    assert_eq!(
        (status, user["can_end_sessions"].clone()),
        (200, serde_json::json!(false))
    );
    // The owner may end an administrator's session.
    let admin_session = w.app.session_of(&w.admin).await;
    let status = w
        .app
        .end_user_session(&w.owner, w.acme.admin.id, admin_session)
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn members_get_403_and_change_nothing() {
    let w = world().await;
    let owner_session = w.app.session_of(&w.owner).await;
    let calls = [
        ("iam_list_users", "search=&sort=name&page=1".to_string()),
        ("iam_user", format!("user_id={}", w.acme.owner.id)),
        (
            "iam_user_sessions",
            format!("user_id={}&view=active", w.acme.owner.id),
        ),
        (
            "iam_end_session",
            format!("user_id={}&session_id={owner_session}", w.acme.owner.id),
        ),
        ("iam_end_all_sessions", format!("user_id={}", w.acme.owner.id)),
    ];
    for (function, body) in &calls {
        let (status, _) = w.app.call(&w.member, function, body).await;
        assert_eq!(status, 403, "{function}");
    }
    assert!(w.app.is_active(&w.owner).await);
    // The page says so too, with the status.
    let page = w
        .app
        .send(
            http::Request::get("/iam/users")
                .header("accept", "text/html")
                .header("cookie", &w.member)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.status(), 403);
    assert!(crate::support::body_text(page)
        .await
        .contains("have access to this page"));
}

#[tokio::test]
async fn nothing_of_another_account_is_reachable_whatever_ids_are_sent() {
    let w = world().await;
    let acme_member_session = w.app.session_of(&w.member).await;
    // Beta's administrator lists only Beta.
    let (_, page) = w
        .app
        .call(&w.beta_admin, "iam_list_users", "search=acme&sort=name&page=1")
        .await;
    assert_eq!(page["total"], 0);
    for (function, body) in [
        ("iam_user", format!("user_id={}", w.acme.member.id)),
        (
            "iam_user_sessions",
            format!("user_id={}&view=all", w.acme.member.id),
        ),
        (
            "iam_end_session",
            format!("user_id={}&session_id={acme_member_session}", w.acme.member.id),
        ),
        ("iam_end_all_sessions", format!("user_id={}", w.acme.member.id)),
        // A Beta user's id with an Acme session id.
        (
            "iam_end_session",
            format!("user_id={}&session_id={acme_member_session}", w.beta.member.id),
        ),
        ("iam_user", format!("user_id={}", Uuid::new_v4())),
    ] {
        let (status, _) = w.app.call(&w.beta_admin, function, &body).await;
        assert_eq!(status, 404, "{function} {body}");
    }
    assert!(w.app.is_active(&w.member).await);
    // Inside one account, a session id of another user is refused as well.
    let body = format!("user_id={}&session_id={}", w.acme.admin.id, acme_member_session);
    assert_eq!(w.app.call(&w.owner, "iam_end_session", &body).await.0, 404);
    assert!(w.app.is_active(&w.member).await);
    let ended = w
        .app
        .store
        .session(w.acme.account_id, acme_member_session)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ended.end_reason, None::<EndReason>);
}

#[tokio::test]
async fn search_sort_and_pages_of_fifty() {
    let w = world().await;
    let hash = app::ssr::crypto::hash_password("not used here".into())
        .await
        .unwrap();
    for i in 0..60 {
        let user = NewUser {
            email: format!("user{i:02}@acme.test"),
            display_name: format!("Person {i:02}"),
            password_hash: hash.clone(),
        };
        w.app
            .store
            .create_member(w.acme.account_id, &user, Role::Member, w.app.clock_now())
            .await
            .unwrap();
    }
    let (_, first) = w
        .app
        .call(&w.owner, "iam_list_users", "search=&sort=name&page=1")
        .await;
    assert_eq!(first["total"], 63);
    assert_eq!(first["users"].as_array().map(Vec::len), Some(50));
    assert_eq!(first["page_size"], 50);
    let (_, second) = w
        .app
        .call(&w.owner, "iam_list_users", "search=&sort=name&page=2")
        .await;
    assert_eq!(second["users"].as_array().map(Vec::len), Some(13));
    let (_, found) = w
        .app
        .call(&w.owner, "iam_list_users", "search=PERSON+0&sort=name&page=1")
        .await;
    assert_eq!(found["total"], 10);
    assert_eq!(found["users"][0]["display_name"], "Person 00");
    let (_, recent) = w
        .app
        .call(&w.owner, "iam_list_users", "search=&sort=last_active&page=1")
        .await;
    let firsts: Vec<_> = recent["users"].as_array().unwrap()[..3]
        .iter()
        .map(|u| u["active_sessions"].clone())
        .collect();
    assert_eq!(
        firsts,
        vec![serde_json::json!(1); 3],
        "the three signed-in people first"
    );
    let (status, _) = w
        .app
        .call(
            &w.owner,
            "iam_list_users",
            &format!("search={}&sort=name&page=1", "x".repeat(201)),
        )
        .await;
    assert_eq!(status, 422);
}
