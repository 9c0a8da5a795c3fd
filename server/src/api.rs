//! The JSON API for command-line clients and automation. Each handler authenticates
//! (the session layer already checked the credential), authorises and makes one call
//! into a service. The token endpoint follows OAuth 2.0 conventions (RFC 6749 password
//! and refresh grants, RFC 7009 revocation) and answers with OAuth error bodies.

mod audit;
mod events;
mod oauth;
mod sessions;
mod settings;

use app::error::AppError;
use app::ssr::auth::RequestContext;
use app::ssr::AppState;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Serialize;
use std::sync::Arc;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/token", post(oauth::token))
        .route("/api/v1/auth/revoke", post(oauth::revoke))
        .route("/api/v1/me", get(me))
        .route("/api/v1/events", get(events::stream))
        .route("/api/v1/account/sessions", get(sessions::list))
        .route("/api/v1/account/sessions/end", post(sessions::end))
        .route("/api/v1/account/audit-events", get(audit::list))
        .route("/api/v1/account/audit-events/export", get(audit::export))
        .route(
            "/api/v1/account/settings/login-session",
            get(settings::get_settings).patch(settings::patch_settings),
        )
}

/// The caller, if they manage the account (its owner or an administrator); 403 otherwise.
fn manager(context: &RequestContext) -> Result<&app::model::Caller, AppError> {
    let caller = context.caller_ref()?;
    if caller.role.can_manage_account() {
        Ok(caller)
    } else {
        Err(AppError::Forbidden)
    }
}

/// Borrows from the request's caller: this answer is on the hot path.
#[derive(Serialize)]
struct Me<'a> {
    user_id: Uuid,
    email: &'a str,
    display_name: &'a str,
    account_id: Uuid,
    account_name: &'a str,
    role: &'static str,
    session_id: Uuid,
    credential: &'static str,
}

/// A refused bearer credential also says so in `WWW-Authenticate` (RFC 6750).
struct InvalidToken(AppError);

impl IntoResponse for InvalidToken {
    fn into_response(self) -> Response {
        let mut response = self.0.into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
        response
    }
}

/// Who the caller is, by bearer access token or session cookie.
async fn me(Extension(context): Extension<Arc<RequestContext>>) -> Response {
    match context.caller_ref() {
        Ok(c) => Json(Me {
            user_id: c.user_id,
            email: &c.email,
            display_name: &c.display_name,
            account_id: c.account_id,
            account_name: &c.account_name,
            role: c.role.as_str(),
            session_id: c.session_id,
            credential: c.kind.as_str(),
        })
        .into_response(),
        Err(e) => InvalidToken(e).into_response(),
    }
}
