//! Avatar > Profile > Sessions: every user reviews and ends their own sessions. These
//! take no user id: they act on the caller's own sessions only, so another user's
//! session id is simply "not found".

use super::end::{end_all_of_user, end_sessions, Selection};
use super::liveness;
use super::rows::session_row;
use super::throttle::must_reauthenticate;
use crate::domain::{EndReason, SessionView};
use crate::error::AppError;
use crate::model::{Caller, EndOutcome, SessionList};
use crate::ssr::AppState;
use crate::store::SessionEnd;
use uuid::Uuid;

pub async fn my_sessions(
    state: &AppState,
    caller: &Caller,
    view: SessionView,
) -> Result<SessionList, AppError> {
    let now = state.clock.now();
    let settings = &caller.settings;
    let listings = state
        .store
        .sessions_of_user(caller.account_id, caller.user_id, view, liveness(settings, now))
        .await?;
    Ok(SessionList {
        user_name: caller.display_name.clone(),
        sessions: listings
            .into_iter()
            .map(|l| session_row(l, settings, now, caller.session_id))
            .collect(),
        can_end: true,
        reauthenticate: must_reauthenticate(state, caller),
        now,
    })
}

fn by_caller(state: &AppState, caller: &Caller, reason: EndReason) -> SessionEnd {
    SessionEnd::by_caller(caller, reason, state.clock.now())
}

/// Ends one of the caller's sessions. Ending the current one is signing out.
pub async fn end_my_session(
    state: &AppState,
    caller: &Caller,
    session_id: Uuid,
) -> Result<EndOutcome, AppError> {
    let current = session_id == caller.session_id;
    let reason = if current {
        EndReason::SignedOut
    } else {
        EndReason::EndedByUser
    };
    let selection = Selection::Ids {
        ids: vec![session_id],
        user_id: Some(caller.user_id),
    };
    let end = by_caller(state, caller, reason);
    let ended = end_sessions(&*state.store, caller.account_id, selection, end).await?;
    if ended.is_empty() {
        let found = state.store.session(caller.account_id, session_id).await?;
        if found.is_none_or(|s| s.user_id != caller.user_id) {
            return Err(AppError::NotFound);
        }
    }
    Ok(EndOutcome {
        ended: ended.len() as u64,
        signed_out: current,
    })
}

/// Ends all the caller's sessions, or all but the current one. A session signed in more
/// than 15 minutes ago must confirm with the password first.
pub async fn end_my_sessions(
    state: &AppState,
    caller: &Caller,
    keep_current: bool,
    password: Option<String>,
) -> Result<EndOutcome, AppError> {
    let except = keep_current.then_some(caller.session_id);
    let reason = EndReason::EndedByUser;
    let ended = end_all_of_user(state, caller, caller.user_id, except, reason, password).await?;
    Ok(EndOutcome {
        ended,
        signed_out: !keep_current,
    })
}
