//! Avatar > Profile > Sessions: every user reviews and ends their own sessions. These
//! take no user id: they act on the caller's own sessions only.

use crate::domain::{Password, SessionView};
use crate::error::AppError;
use crate::model::{EndOutcome, SessionList};
use leptos::prelude::*;
use uuid::Uuid;

#[server(endpoint = "me_sessions")]
pub async fn my_sessions(view: SessionView) -> Result<SessionList, AppError> {
    use crate::ssr::server_fn::{caller, state, with_status};
    let caller = with_status(caller())?;
    with_status(crate::service::profile::my_sessions(&state()?, &caller, view).await)
}

/// Ends one of the caller's sessions. Ending the current one signs this browser out.
#[server(endpoint = "me_end_session")]
pub async fn end_my_session(session_id: Uuid) -> Result<EndOutcome, AppError> {
    use crate::ssr::server_fn::{caller, state, with_status};
    let caller = with_status(caller())?;
    let state = state()?;
    let outcome = with_status(crate::service::profile::end_my_session(&state, &caller, session_id).await)?;
    clear_cookie_if_signed_out(&state, outcome);
    Ok(outcome)
}

/// Ends all the caller's sessions, or all but the current one. A session signed in more
/// than 15 minutes ago must confirm with the password.
#[server(endpoint = "me_end_sessions")]
pub async fn end_my_sessions(keep_current: bool, password: Option<Password>) -> Result<EndOutcome, AppError> {
    use crate::service::profile::end_my_sessions;
    use crate::ssr::server_fn::{caller, state, with_status};
    let caller = with_status(caller())?;
    let state = state()?;
    let password = password.map(Password::into_inner);
    let outcome = with_status(end_my_sessions(&state, &caller, keep_current, password).await)?;
    clear_cookie_if_signed_out(&state, outcome);
    Ok(outcome)
}

/// This browser's session ended: its cookie goes too.
#[cfg(feature = "ssr")]
fn clear_cookie_if_signed_out(state: &crate::ssr::AppState, outcome: EndOutcome) {
    if outcome.signed_out {
        let cookie = crate::ssr::auth::clear_cookie(&state.security);
        crate::ssr::server_fn::set_header(http::header::SET_COOKIE, &cookie);
    }
}
