use crate::domain::Password;
use crate::error::AppError;
use crate::model::{AccountChoice, Caller};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

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
    account: Option<String>,
) -> Result<SignInResponse, AppError> {
    use crate::domain::SessionKind;
    use crate::ssr::auth::{session_cookie, Auth};
    use crate::ssr::server_fn::{request, respond, set_header, state};
    use crate::ssr::sessions::{self, SignIn, SignInOutcome};

    respond(
        async move {
            let state = state()?;
            let req = request()?;
            let outcome = sessions::sign_in(
                &state,
                SignIn {
                    email,
                    password: password.into_inner(),
                    account,
                    ip: req.ip.clone(),
                    user_agent: req.user_agent(),
                    kind: SessionKind::Browser,
                },
            )
            .await?;
            match outcome {
                SignInOutcome::ChooseAccount(choices) => Ok(SignInResponse::ChooseAccount(choices)),
                SignInOutcome::SignedIn(issued) => {
                    // A browser that was still signed in gets a new session, never the old token.
                    if let Auth::Caller(previous) = &req.auth {
                        sessions::sign_out(&state, previous).await?;
                    }
                    let max_age = (issued.session.expires_at - issued.session.created_at).num_seconds();
                    set_header(
                        http::header::SET_COOKIE,
                        &session_cookie(&state.security, &issued.token, max_age),
                    );
                    leptos_axum::redirect("/");
                    Ok(SignInResponse::SignedIn)
                }
            }
        }
        .await,
    )
}

/// Ends the current session on the server and clears the cookie.
#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::domain::SignInNotice;
    use crate::ssr::auth::clear_cookie;
    use crate::ssr::server_fn::{caller, respond, set_header, state};
    use crate::ssr::sessions;

    respond(
        async move {
            let state = state()?;
            let caller = caller()?;
            sessions::sign_out(&state, &caller).await?;
            set_header(http::header::SET_COOKIE, &clear_cookie(&state.security));
            leptos_axum::redirect(&SignInNotice::SignedOut.sign_in_url());
            Ok(())
        }
        .await,
    )
}

/// The signed-in caller: who, in which account, with which role.
#[server(endpoint = "me")]
pub async fn me() -> Result<Caller, AppError> {
    use crate::ssr::server_fn::{caller, respond};
    respond(caller())
}
