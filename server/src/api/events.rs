//! `GET /api/v1/events`: the live console's server-sent events for one session.
//!
//! - `ended` (then the stream closes): this session is over, with the sign-in page to
//!   show and why. Sent when any node ends it, and at its expiry (checked here, without
//!   counting the open stream as activity).
//! - `session`: a session the caller may see started, was active, or ended: owners and
//!   administrators see their account's, members only their own. Ids and the change only.
//! - `resync`: events may have been missed; refetch what is shown.
//!
//! Comments every 15 s keep proxies from closing an idle stream.

use super::InvalidToken;
use app::error::AppError;
use app::model::Caller;
use app::service::check::{peek, Presented, Refusal};
use app::ssr::auth::{presented_credential, RequestContext};
use app::ssr::streams::{StreamPermit, MOST_STREAMS_PER_SESSION};
use app::ssr::AppState;
use app::store::events::{Change, Feed, SessionEvent};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use serde_json::json;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::{error::RecvError, Receiver};

const HEARTBEAT: Duration = Duration::from_secs(15);

/// However far away the session's expiry, it is looked at again this often, so a
/// missed end event still closes the stream.
const RECHECK_AT_LEAST_EVERY: Duration = Duration::from_secs(60);

pub async fn stream(
    State(state): State<AppState>,
    Extension(context): Extension<Arc<RequestContext>>,
    headers: HeaderMap,
) -> Response {
    let caller = match context.caller() {
        Ok(caller) => caller,
        Err(e) => return InvalidToken(e).into_response(),
    };
    let Some((token, presented)) = presented_credential(&headers, &state.security) else {
        let message = "Sign in to continue.".to_string();
        return InvalidToken(AppError::Unauthorized { message }).into_response();
    };
    let Some(permit) = state.streams.open(caller.session_id) else {
        let error = format!("At most {MOST_STREAMS_PER_SESSION} event streams may be open for one session");
        return (StatusCode::TOO_MANY_REQUESTS, Json(json!({ "error": error }))).into_response();
    };
    let watch = Watch {
        closing: state.streams.closing(),
        feed: state.store.subscribe(),
        state,
        caller,
        token: token.to_string(),
        presented,
        recheck: tokio::time::Instant::now(),
        done: false,
        _permit: permit,
    };
    let events = futures_util::stream::unfold(watch, |mut watch| async move {
        let event = watch.next().await?;
        Some((Ok::<_, Infallible>(event), watch))
    });
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(HEARTBEAT).text("heartbeat"))
        .into_response()
}

/// One open stream: the caller, their credential (to look at the session again) and
/// the feed of events.
struct Watch {
    /// Turns `true` when the server shuts down.
    closing: tokio::sync::watch::Receiver<bool>,
    feed: Receiver<Feed>,
    state: AppState,
    caller: Caller,
    token: String,
    presented: Presented,
    /// When to look at the session again (at once: the first look sets the expiry).
    recheck: tokio::time::Instant,
    done: bool,
    _permit: StreamPermit,
}

impl Watch {
    /// The next event to send, or `None` to close the stream.
    async fn next(&mut self) -> Option<Event> {
        if self.done || *self.closing.borrow() {
            return None;
        }
        loop {
            tokio::select! {
                _ = self.closing.changed() => return None,
                feed = self.feed.recv() => match feed {
                    Ok(Feed::Event(event)) => {
                        if event.session_id == self.caller.session_id {
                            if let Change::Ended(_) = event.change {
                                // The reason and the page to show come from the session itself.
                                self.recheck = tokio::time::Instant::now();
                                continue;
                            }
                        }
                        if visible(&self.caller, &event) {
                            return Some(session_event(&event));
                        }
                    }
                    Ok(Feed::Resync) | Err(RecvError::Lagged(_)) => {
                        self.recheck = tokio::time::Instant::now();
                        return Some(Event::default().event("resync").data("{}"));
                    }
                    Err(RecvError::Closed) => return None,
                },
                _ = tokio::time::sleep_until(self.recheck) => {
                    if let Some(ended) = self.look_again().await {
                        self.done = true;
                        return Some(ended);
                    }
                }
            }
        }
    }

    /// Looks at the session: `Some(ended event)` if it is over, else schedules the
    /// next look for its expiry.
    async fn look_again(&mut self) -> Option<Event> {
        let now = tokio::time::Instant::now();
        match peek(&self.state, &self.token, self.presented).await {
            Ok(Ok(expiry)) => {
                self.recheck = now + until(expiry, self.state.clock.now()).min(RECHECK_AT_LEAST_EVERY);
                None
            }
            Ok(Err(refusal)) => Some(ended_event(refusal)),
            Err(_) => {
                // The database did not answer: look again shortly.
                self.recheck = now + Duration::from_secs(5);
                None
            }
        }
    }
}

/// Owners and administrators see their account's sessions; members only their own.
fn visible(caller: &Caller, event: &SessionEvent) -> bool {
    event.account_id == caller.account_id
        && (caller.role.can_manage_account() || event.user_id == caller.user_id)
}

fn session_event(event: &SessionEvent) -> Event {
    let change = match event.change {
        Change::Started => "started",
        Change::Active => "active",
        Change::Ended(_) => "ended",
    };
    let data = json!({ "change": change, "session_id": event.session_id, "user_id": event.user_id });
    Event::default().event("session").data(data.to_string())
}

fn ended_event(refusal: Refusal) -> Event {
    let data = json!({ "message": refusal.message(), "sign_in_url": refusal.sign_in_url() });
    Event::default().event("ended").data(data.to_string())
}

/// From `now` until `at` (an instant just past it, so the look finds it expired).
fn until(at: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    (at - now)
        .to_std()
        .unwrap_or(Duration::ZERO)
        .saturating_add(Duration::from_millis(50))
}
