//! Avatar > Profile > Sessions: every user reviews and ends their own sessions. These
//! functions take no user id: they act on the caller's own sessions only, so another
//! user's session id is simply "not found".

use crate::domain::{Password, SessionView};
use crate::error::AppError;
use crate::model::{EndOutcome, SessionList};
use leptos::prelude::*;
use uuid::Uuid;

#[server(endpoint = "me_sessions")]
pub async fn my_sessions(view: SessionView) -> Result<SessionList, AppError> {
    use crate::domain::session::needs_reauthentication;
    use crate::ssr::server_fn::{caller, respond, state};
    use crate::ssr::sessions::liveness;
    use crate::ssr::views::session_row;
    respond(
        async move {
            let caller = caller()?;
            let state = state()?;
            let now = state.clock.now();
            let settings = state.store.login_session_settings(caller.account_id).await?;
            let listings = state
                .store
                .sessions_of_user(caller.account_id, caller.user_id, view, liveness(&settings, now))
                .await?;
            Ok(SessionList {
                user_name: caller.display_name.clone(),
                sessions: listings
                    .into_iter()
                    .map(|l| session_row(l, &settings, now, caller.session_id))
                    .collect(),
                can_end: true,
                reauthenticate: needs_reauthentication(caller.signed_in_at, now),
                now,
            })
        }
        .await,
    )
}

/// Ends one of the caller's sessions. Ending the current one signs this browser out.
#[server(endpoint = "me_end_session")]
pub async fn end_my_session(session_id: Uuid) -> Result<EndOutcome, AppError> {
    use crate::domain::EndReason;
    use crate::ssr::auth::clear_cookie;
    use crate::ssr::server_fn::{caller, respond, set_header, state};
    use crate::store::SessionEnd;
    respond(
        async move {
            let caller = caller()?;
            let state = state()?;
            let session = state.store.session(caller.account_id, session_id).await?;
            if session.is_none_or(|s| s.user_id != caller.user_id) {
                return Err(AppError::NotFound);
            }
            let current = session_id == caller.session_id;
            let reason = if current {
                EndReason::SignedOut
            } else {
                EndReason::EndedByUser
            };
            let end = SessionEnd {
                at: state.clock.now(),
                by: Some(caller.user_id),
                reason,
            };
            let ended = state
                .store
                .end_session(caller.account_id, session_id, &end)
                .await?;
            if current {
                set_header(http::header::SET_COOKIE, &clear_cookie(&state.security));
            }
            Ok(EndOutcome {
                ended: u64::from(ended),
                signed_out: current,
            })
        }
        .await,
    )
}

/// Ends all the caller's sessions, or all but the current one. A session signed in more
/// than 15 minutes ago must confirm with the password.
#[server(endpoint = "me_end_sessions")]
pub async fn end_my_sessions(keep_current: bool, password: Option<Password>) -> Result<EndOutcome, AppError> {
    use crate::domain::session::needs_reauthentication;
    use crate::domain::EndReason;
    use crate::ssr::auth::clear_cookie;
    use crate::ssr::server_fn::{caller, respond, set_header, state};
    use crate::ssr::sessions::{confirm_password, end_all_of_user};
    respond(
        async move {
            let caller = caller()?;
            let state = state()?;
            if needs_reauthentication(caller.signed_in_at, state.clock.now()) {
                confirm_password(&state, &caller, password.map(Password::into_inner)).await?;
            }
            let keep = keep_current.then_some(caller.session_id);
            let ended = end_all_of_user(
                &state,
                caller.account_id,
                caller.user_id,
                &caller,
                EndReason::EndedByUser,
                keep,
            )
            .await?;
            if !keep_current {
                set_header(http::header::SET_COOKIE, &clear_cookie(&state.security));
            }
            Ok(EndOutcome {
                ended,
                signed_out: !keep_current,
            })
        }
        .await,
    )
}
