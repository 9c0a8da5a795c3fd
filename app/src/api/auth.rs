//! Signing in and out in the browser, and who is signed in.

use crate::domain::Password;
use crate::error::AppError;
use crate::model::{AccountChoice, Caller};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignInResponse {
    /// The session cookie is set; the browser is sent to the console.
    SignedIn,
    /// The person belongs to several accounts and must pick one.
    ChooseAccount(Vec<AccountChoice>),
}

/// Signs in with email and password and sets the session cookie.
#[server(endpoint = "sign_in")]
pub async fn sign_in(
    email: String,
    password: Password,
    account: Option<Uuid>,
) -> Result<SignInResponse, AppError> {
    use crate::domain::SessionKind;
    use crate::service::sign_in::{sign_in_browser, AccountRef, SignIn, SignInOutcome};
    use crate::ssr::auth::{device_cookie, session_cookie};
    use crate::ssr::server_fn::{request, set_header, state, with_status};

    let req = with_status(request())?;
    let request = SignIn {
        email,
        password: password.into_inner(),
        account: account.map(AccountRef::Id),
        ip: req.ip.clone(),
        user_agent: req.user_agent(),
        kind: SessionKind::Browser,
        device: req.device.clone(),
    };
    let state = state()?;
    match with_status(sign_in_browser(&state, request, &req.auth).await)? {
        SignInOutcome::ChooseAccount(choices) => Ok(SignInResponse::ChooseAccount(choices)),
        SignInOutcome::SignedIn(issued) => {
            let max_age = (issued.session.expires_at - issued.session.created_at).num_seconds();
            let cookie = session_cookie(&state.security, &issued.token, max_age);
            set_header(http::header::SET_COOKIE, &cookie);
            if let Some(device) = &issued.device_token {
                set_header(http::header::SET_COOKIE, &device_cookie(&state.security, device));
            }
            leptos_axum::redirect("/");
            Ok(SignInResponse::SignedIn)
        }
    }
}

/// Ends the current session on the server and clears the cookie.
#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::domain::SignInNotice;
    use crate::ssr::auth::clear_cookie;
    use crate::ssr::server_fn::{caller, set_header, state, with_status};

    let caller = with_status(caller())?;
    let state = state()?;
    with_status(crate::service::sign_in::sign_out(&state, &caller).await)?;
    set_header(http::header::SET_COOKIE, &clear_cookie(&state.security));
    leptos_axum::redirect(&SignInNotice::SignedOut.sign_in_url());
    Ok(())
}

/// The signed-in caller: who, in which account, with which role.
#[server(endpoint = "me")]
pub async fn me() -> Result<Caller, AppError> {
    use crate::ssr::server_fn::{caller, with_status};
    with_status(caller())
}
