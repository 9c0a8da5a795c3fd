//! `POST /api/v1/auth/token` (password and refresh grants) and `/api/v1/auth/revoke`.

use app::domain::{Password, SessionKind};
use app::error::{AppError, UNAVAILABLE_RETRY_AFTER_SECS};
use app::service::sign_in::{Issued, SignIn, SignInOutcome};
use app::service::tokens::{self, ACCESS_TOKEN_LIFETIME};
use app::ssr::auth::RequestContext;
use app::ssr::AppState;
use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form, Json};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;

/// An OAuth error answer: `{"error": code, "error_description": text}`.
pub struct OAuthError {
    status: StatusCode,
    code: &'static str,
    description: String,
    retry_after_secs: Option<u64>,
}

impl OAuthError {
    fn invalid_request(description: impl Into<String>) -> Self {
        OAuthError {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_request",
            description: description.into(),
            retry_after_secs: None,
        }
    }
}

impl From<FormRejection> for OAuthError {
    fn from(_: FormRejection) -> Self {
        OAuthError::invalid_request("Send a form-encoded request")
    }
}

impl From<AppError> for OAuthError {
    fn from(error: AppError) -> Self {
        let (status, code) = match &error {
            AppError::Unauthorized { .. } => (StatusCode::BAD_REQUEST, "invalid_grant"),
            AppError::InvalidInput(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
            AppError::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            AppError::Conflict(_) => (StatusCode::CONFLICT, "invalid_request"),
            AppError::Forbidden => (StatusCode::FORBIDDEN, "access_denied"),
            AppError::NotFound => (StatusCode::NOT_FOUND, "invalid_request"),
            AppError::Request(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
            AppError::UnsupportedMediaType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "invalid_request"),
            AppError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "server_error"),
            AppError::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable"),
        };
        let retry_after_secs = match error {
            AppError::TooManyRequests { retry_after_secs } => Some(retry_after_secs),
            AppError::Unavailable => Some(UNAVAILABLE_RETRY_AFTER_SECS),
            _ => None,
        };
        OAuthError {
            status,
            code,
            description: error.to_string(),
            retry_after_secs,
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = Json(serde_json::json!({ "error": self.code, "error_description": self.description }));
        let mut response = (self.status, no_store(), body).into_response();
        if let Some(secs) = self.retry_after_secs {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

/// Token responses are never cached (RFC 6749 §5.1).
fn no_store() -> [(header::HeaderName, HeaderValue); 1] {
    [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))]
}

#[derive(Deserialize)]
pub struct TokenRequest {
    grant_type: String,
    username: Option<String>,
    password: Option<Password>,
    refresh_token: Option<String>,
    /// For people in several accounts: the account's id or name.
    account: Option<String>,
}

#[derive(Serialize)]
pub struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    refresh_token: String,
    session_id: Uuid,
}

/// The answer carries tokens: marked so that it is never compressed (see assets.rs).
type TokenResult = Result<
    (
        [(header::HeaderName, HeaderValue); 1],
        axum::Extension<crate::assets::CarriesCredential>,
        Json<TokenResponse>,
    ),
    OAuthError,
>;

fn issued(issued: Issued) -> TokenResult {
    let access_token = issued.access_token.ok_or(AppError::Internal)?;
    Ok((
        no_store(),
        axum::Extension(crate::assets::CarriesCredential),
        Json(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: ACCESS_TOKEN_LIFETIME.num_seconds(),
            refresh_token: issued.token,
            session_id: issued.session.id,
        }),
    ))
}

pub async fn token(
    State(state): State<AppState>,
    Extension(context): Extension<Arc<RequestContext>>,
    form: Result<Form<TokenRequest>, FormRejection>,
) -> TokenResult {
    let Form(request) = form?;
    match request.grant_type.as_str() {
        "password" => {
            let (Some(username), Some(password)) = (request.username, request.password) else {
                return Err(OAuthError::invalid_request("username and password are required"));
            };
            let sign_in = SignIn {
                email: username,
                password: password.into_inner(),
                account: None,
                ip: context.ip.clone(),
                user_agent: context.user_agent(),
                kind: SessionKind::Cli,
                device: None,
            };
            match tokens::password_grant(&state, sign_in, request.account.as_deref()).await? {
                SignInOutcome::SignedIn(credentials) => issued(*credentials),
                SignInOutcome::ChooseAccount(choices) => {
                    let names: Vec<_> = choices.iter().map(|c| c.name.as_str()).collect();
                    Err(OAuthError::invalid_request(format!(
                        "You belong to several accounts; send account= one of: {}",
                        names.join(", ")
                    )))
                }
            }
        }
        "refresh_token" => {
            let refresh_token = request
                .refresh_token
                .ok_or_else(|| OAuthError::invalid_request("refresh_token is required"))?;
            issued(tokens::refresh(&state, &refresh_token, &context.origin()).await?)
        }
        _ => Err(OAuthError {
            status: StatusCode::BAD_REQUEST,
            code: "unsupported_grant_type",
            description: "grant_type must be password or refresh_token".to_string(),
            retry_after_secs: None,
        }),
    }
}

#[derive(Deserialize)]
pub struct RevokeRequest {
    token: String,
}

/// Ends the session of a refresh or access token. Answers 200 for unknown tokens too (RFC 7009).
pub async fn revoke(
    State(state): State<AppState>,
    Extension(context): Extension<Arc<RequestContext>>,
    form: Result<Form<RevokeRequest>, FormRejection>,
) -> Result<StatusCode, OAuthError> {
    let Form(request) = form?;
    tokens::revoke(&state, &request.token, &context.origin()).await?;
    Ok(StatusCode::OK)
}
