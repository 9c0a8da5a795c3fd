//! The JSON API for command-line clients and automation. The token endpoint follows
//! OAuth 2.0 conventions (RFC 6749 password and refresh grants, RFC 7009 revocation).

use app::domain::{Password, SessionKind};
use app::error::AppError;
use app::ssr::auth::RequestContext;
use app::ssr::sessions::{self, Issued, SignIn, SignInOutcome, ACCESS_TOKEN_LIFETIME};
use app::ssr::AppState;
use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Json, Router};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/token", post(token))
        .route("/api/v1/auth/revoke", post(revoke))
        .route("/api/v1/me", get(me))
        .route(
            "/api/v1/account/settings/login-session",
            get(get_settings).patch(patch_settings),
        )
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
struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    refresh_token: String,
    session_id: String,
}

/// An OAuth error answer: `{"error": code, "error_description": text}`.
fn oauth_error(status: StatusCode, code: &str, description: &str) -> Response {
    let body = Json(serde_json::json!({ "error": code, "error_description": description }));
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn from_app_error(error: AppError) -> Response {
    match error {
        AppError::Unauthorized { message } => oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", &message),
        AppError::InvalidInput(_) => {
            oauth_error(StatusCode::BAD_REQUEST, "invalid_request", &error.to_string())
        }
        AppError::TooManyRequests { retry_after_secs } => {
            let mut response = oauth_error(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                &error.to_string(),
            );
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
            response
        }
        other => other.into_response(),
    }
}

fn issued(issued: Issued) -> Response {
    let Some(access_token) = issued.access_token else {
        return AppError::Internal.into_response();
    };
    let body = TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: ACCESS_TOKEN_LIFETIME.num_seconds(),
        refresh_token: issued.token,
        session_id: issued.session.id.to_string(),
    };
    let mut response = Json(body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn token(
    State(state): State<AppState>,
    Extension(context): Extension<Arc<RequestContext>>,
    form: Result<Form<TokenRequest>, FormRejection>,
) -> Response {
    let Ok(Form(request)) = form else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Send a form-encoded token request",
        );
    };
    match request.grant_type.as_str() {
        "password" => {
            let (Some(username), Some(password)) = (request.username, request.password) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "username and password are required",
                );
            };
            let account = match request.account {
                Some(a) => match resolve_account(&state, &a).await {
                    Ok(id) => Some(id),
                    Err(e) => return from_app_error(e),
                },
                None => None,
            };
            let sign_in = SignIn {
                email: username,
                password: password.into_inner(),
                account,
                ip: context.ip.clone(),
                user_agent: context.user_agent(),
                kind: SessionKind::Cli,
            };
            match sessions::sign_in(&state, sign_in).await {
                Ok(SignInOutcome::SignedIn(credentials)) => issued(credentials),
                Ok(SignInOutcome::ChooseAccount(choices)) => {
                    let names: Vec<_> = choices.iter().map(|c| c.name.as_str()).collect();
                    let text = format!(
                        "You belong to several accounts; send account= one of: {}",
                        names.join(", ")
                    );
                    oauth_error(StatusCode::BAD_REQUEST, "invalid_request", &text)
                }
                Err(e) => from_app_error(e),
            }
        }
        "refresh_token" => {
            let Some(refresh_token) = request.refresh_token else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "refresh_token is required",
                );
            };
            match sessions::refresh(&state, &refresh_token, &context.ip).await {
                Ok(credentials) => issued(credentials),
                Err(e) => from_app_error(e),
            }
        }
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be password or refresh_token",
        ),
    }
}

/// An account named by id or by name, as the sign-in engine expects it (its id).
async fn resolve_account(state: &AppState, account: &str) -> Result<String, AppError> {
    if uuid::Uuid::parse_str(account).is_ok() {
        return Ok(account.to_string());
    }
    match state.store.account_by_name(account.trim()).await? {
        Some(a) => Ok(a.id.to_string()),
        None => Err(AppError::invalid("account", "Choose one of your accounts")),
    }
}

#[derive(Deserialize)]
pub struct RevokeRequest {
    token: String,
}

/// Ends the session of a refresh token. Answers 200 for unknown tokens too (RFC 7009).
async fn revoke(State(state): State<AppState>, form: Result<Form<RevokeRequest>, FormRejection>) -> Response {
    let Ok(Form(request)) = form else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Send token= form-encoded",
        );
    };
    match sessions::revoke_refresh_token(&state, &request.token).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => e.into_response(),
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
        Err(e) => {
            let mut response = e.into_response();
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
            response
        }
    }
}

/// The stored values (`null` = default) and the values in force.
fn settings_body(settings: &app::domain::LoginSessionSettings) -> serde_json::Value {
    serde_json::json!({
        "inactivity_secs": settings.inactivity_secs,
        "max_duration_secs": settings.max_duration_secs,
        "concurrent_limit": settings.concurrent_limit,
        "effective": {
            "inactivity_secs": settings.inactivity(),
            "max_duration_secs": settings.max_duration(),
            "concurrent_limit": settings.concurrent_limit,
        },
    })
}

/// The account's login-session limits; any member may read them.
async fn get_settings(
    State(state): State<AppState>,
    Extension(context): Extension<Arc<RequestContext>>,
) -> Response {
    let result = async {
        let caller = context.caller()?;
        Ok::<_, AppError>(state.store.login_session_settings(caller.account_id).await?)
    }
    .await;
    match result {
        Ok(settings) => Json(settings_body(&settings)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Changes some of the limits: each key present replaces its value, `null` restores
/// the default. Owner and administrators only; refused input changes nothing.
async fn patch_settings(
    State(state): State<AppState>,
    Extension(context): Extension<Arc<RequestContext>>,
    body: Result<Json<serde_json::Map<String, serde_json::Value>>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let result = async {
        let caller = context.caller()?;
        if !caller.role.can_manage_account() {
            return Err(AppError::Forbidden);
        }
        let Json(body) = body.map_err(|_| AppError::invalid("body", "Send a JSON object"))?;
        let mut settings = state.store.login_session_settings(caller.account_id).await?;
        let mut errors = Vec::new();
        for (key, value) in &body {
            let field = match key.as_str() {
                "inactivity_secs" => app::domain::settings::SettingField::Inactivity,
                "max_duration_secs" => app::domain::settings::SettingField::MaxDuration,
                "concurrent_limit" => app::domain::settings::SettingField::ConcurrentLimit,
                other => {
                    errors.push(app::error::FieldError {
                        field: other.to_string(),
                        message: "Unknown setting".into(),
                    });
                    continue;
                }
            };
            match value {
                serde_json::Value::Null => settings = settings.with(field, None),
                serde_json::Value::Number(n) if n.as_i64().is_some() => {
                    settings = settings.with(field, n.as_i64())
                }
                _ => errors.push(app::error::FieldError {
                    field: key.clone(),
                    message: "Must be a whole number or null (the default)".into(),
                }),
            }
        }
        if !errors.is_empty() {
            return Err(AppError::InvalidInput(errors));
        }
        let caller_for_save = caller.clone();
        app::ssr::settings::save(&state, &caller_for_save, settings).await
    }
    .await;
    match result {
        Ok(settings) => Json(settings_body(&settings)).into_response(),
        Err(e) => e.into_response(),
    }
}
