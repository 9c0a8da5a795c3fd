//! What every server function needs: the state, the request's session check, the
//! caller's permission, and an HTTP status that matches its error.

use super::auth::RequestContext;
use super::AppState;
use crate::error::AppError;
use crate::model::Caller;
use leptos::prelude::use_context;

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("server function called without the application state");
        AppError::Internal
    })
}

pub fn request() -> Result<std::sync::Arc<RequestContext>, AppError> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<std::sync::Arc<RequestContext>>().cloned())
        .ok_or_else(|| {
            tracing::error!("server function called outside the session layer");
            AppError::Internal
        })
}

/// The signed-in caller, or 401 saying why not.
pub fn caller() -> Result<Caller, AppError> {
    request()?.caller()
}

/// The caller, if they may manage their account (owner and administrators).
pub fn manager() -> Result<Caller, AppError> {
    let caller = caller()?;
    if caller.role.can_manage_account() {
        Ok(caller)
    } else {
        Err(AppError::Forbidden)
    }
}

/// Gives the response the status of the error, so API clients and tests see 401, 403...
pub fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(e) = &result {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(http::StatusCode::from_u16(e.status_code()).unwrap_or_default());
        }
        if let Some(secs) = e.retry_after_secs() {
            set_header(http::header::RETRY_AFTER, &secs.to_string());
        }
    }
    result
}

pub fn set_header(name: http::header::HeaderName, value: &str) {
    if let (Some(response), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(value),
    ) {
        response.append_header(name, value);
    }
}
