//! `GET /api/v1/events` through the real router, on both databases: the stream tells a
//! session it ended and closes, shows members only their own sessions, and refuses
//! credentials that no longer work.

use crate::support::{acme_app, TestApp};
use axum::body::{Body, BodyDataStream};
use futures_util::StreamExt;
use http::Request;
use std::time::Duration;

/// An open event stream, read as text.
struct Stream {
    body: BodyDataStream,
    text: String,
}

impl Stream {
    async fn open(app: &TestApp, cookie: &str) -> Stream {
        let request = Request::get("/api/v1/events")
            .header("cookie", cookie)
            .body(Body::empty())
            .unwrap();
        let response = app.send(request).await;
        assert_eq!(response.status(), 200);
        let kind = response.headers()["content-type"].to_str().unwrap().to_string();
        assert_eq!(kind, "text/event-stream");
        Stream {
            body: response.into_body().into_data_stream(),
            text: String::new(),
        }
    }

    /// Reads until `needle` has arrived (panics after 5 s); returns everything so far.
    async fn until(&mut self, needle: &str) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while !self.text.contains(needle) {
            let chunk = tokio::time::timeout_at(deadline, self.body.next())
                .await
                .unwrap_or_else(|_| panic!("no {needle:?} within 5 s; got {:?}", self.text))
                .expect("the stream is still open")
                .unwrap();
            self.text.push_str(&String::from_utf8_lossy(&chunk));
        }
        self.text.clone()
    }

    /// Whether the server closed the stream within 5 s.
    async fn closes(&mut self) -> bool {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            match tokio::time::timeout_at(deadline, self.body.next()).await {
                Ok(None) => return true,
                Ok(Some(chunk)) => self.text.push_str(&String::from_utf8_lossy(&chunk.unwrap())),
                Err(_) => return false,
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ended_session_is_told_why_and_its_stream_closes() {
    let (app, acme) = acme_app().await;
    let admin = app.sign_in("admin@acme.test").await;
    let member = app.sign_in("member@acme.test").await;
    let session = app.session_of(&member).await;
    let mut stream = Stream::open(&app, &member).await;

    assert_eq!(app.end_user_session(&admin, acme.member.id, session).await, 200);
    let text = stream.until("event: ended").await;
    assert!(text.contains("/signin?notice=ended_by_administrator"), "{text}");
    assert!(
        text.contains("Your session was ended by an administrator."),
        "{text}"
    );
    assert!(
        stream.closes().await,
        "the server closes the stream of an ended session"
    );

    // An ended session cannot open another.
    let request = Request::get("/api/v1/events")
        .header("cookie", &member)
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send(request).await.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_hear_only_of_their_own_sessions_and_administrators_of_the_account() {
    let (app, acme) = acme_app().await;
    let admin = app.sign_in("admin@acme.test").await;
    let member = app.sign_in("member@acme.test").await;
    let mut members_stream = Stream::open(&app, &member).await;
    let mut admins_stream = Stream::open(&app, &admin).await;

    // The owner signs in: the administrator hears of it, the member does not.
    let owner = app.sign_in("owner@acme.test").await;
    let owners_session = app.session_of(&owner).await.to_string();
    let text = admins_stream.until(&owners_session).await;
    assert!(
        text.contains("event: session") && text.contains("\"change\":\"started\""),
        "{text}"
    );

    // Then the member signs in elsewhere: the member's stream shows that, and only that.
    let second = app.sign_in("member@acme.test").await;
    let seconds_session = app.session_of(&second).await.to_string();
    let text = members_stream.until(&seconds_session).await;
    assert!(!text.contains(&owners_session), "{text}");
    assert!(text.contains(&acme.member.id.to_string()));
    assert!(!text.contains(&acme.owner.id.to_string()));
    // Events carry ids and the change, never a credential.
    assert!(!text.contains(member.trim_start_matches("sc_session=")));
}

#[tokio::test]
async fn a_session_keeps_at_most_ten_streams_open() {
    let (app, _) = acme_app().await;
    let member = app.sign_in("member@acme.test").await;
    let mut open = Vec::new();
    for _ in 0..10 {
        open.push(Stream::open(&app, &member).await);
    }
    let request = Request::get("/api/v1/events")
        .header("cookie", &member)
        .body(Body::empty())
        .unwrap();
    let refused = app.send(request).await;
    assert_eq!(refused.status(), 429);
    let body = crate::support::body_text(refused).await;
    assert!(body.contains("At most 10 event streams"), "{body}");
    drop(open.pop());
    tokio::time::sleep(Duration::from_millis(50)).await;
    Stream::open(&app, &member).await;
}

#[tokio::test]
async fn no_stream_without_a_working_credential() {
    let (app, _) = acme_app().await;
    assert_eq!(app.get("/api/v1/events").await.status(), 401);
    let request = Request::get("/api/v1/events")
        .header("cookie", "sc_session=not-a-session")
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send(request).await.status(), 401);
}

/// At the session's expiry the stream looks again (an open stream is not activity),
/// records the expiry and says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_ends_at_the_sessions_maximum_duration() {
    let (app, _) = acme_app().await;
    let owner = app.sign_in("owner@acme.test").await;
    let request = Request::patch("/api/v1/account/settings/login-session")
        .header("content-type", "application/json")
        .header("cookie", &owner)
        .body(Body::from(
            r#"{"max_duration_secs": 3600, "inactivity_secs": 1800}"#,
        ))
        .unwrap();
    let response = app.send(request).await;
    assert_eq!(
        response.status(),
        200,
        "{}",
        crate::support::body_text(response).await
    );
    let member = app.sign_in("member@acme.test").await;
    // Used now and then (inactivity stays away) until a second before the hour is up:
    // the stream opens, and plans to look again then.
    for seconds in [1500, 1500, 599] {
        assert_eq!(app.me_status(&member).await, 200);
        app.clock.advance(chrono::Duration::seconds(seconds));
    }
    let mut stream = Stream::open(&app, &member).await;
    app.clock.advance(chrono::Duration::seconds(2));
    let text = stream.until("event: ended").await;
    assert!(text.contains("/signin?notice=expired"), "{text}");
    assert!(stream.closes().await);
    assert_eq!(
        app.end_reason_of(&member).await,
        Some(app::domain::EndReason::MaximumDuration),
        "the expiry is recorded"
    );
}
