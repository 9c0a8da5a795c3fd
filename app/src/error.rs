//! The one error type every server function and API handler returns.

use serde::{Deserialize, Serialize};

/// A message attached to one input field, so forms can show it in place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum AppError {
    /// No valid session. `message` says why, e.g. that the session was ended.
    #[error("{message}")]
    Unauthorized { message: String },
    #[error("You don't have access to this")]
    Forbidden,
    #[error("Not found")]
    NotFound,
    #[error("{}", summary(.0))]
    InvalidInput(Vec<FieldError>),
    #[error("{0}")]
    Conflict(String),
    #[error("Too many attempts, try again in {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    /// Details are logged on the server and never sent.
    #[error("Internal error")]
    Internal,
    /// The database does not answer; the client may try again shortly.
    #[error("Session Console can't reach its database. Try again in a moment.")]
    Unavailable,
    /// The request did not reach the server function or its answer could not be read.
    #[error("Request failed: {0}")]
    Request(String),
    #[error("Send the arguments form-encoded (application/x-www-form-urlencoded)")]
    UnsupportedMediaType,
}

/// What a 503 tells clients to wait before trying again.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 5;

fn summary(errors: &[FieldError]) -> String {
    match errors {
        [] => "Invalid input".to_string(),
        [one] => one.message.clone(),
        many => many
            .iter()
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>()
            .join("; "),
    }
}

impl AppError {
    /// A 422 naming each refused field (by its query or form key) with its message.
    pub fn fields(problems: impl IntoIterator<Item = (&'static str, String)>) -> Self {
        AppError::InvalidInput(
            problems
                .into_iter()
                .map(|(field, message)| FieldError {
                    field: field.to_string(),
                    message,
                })
                .collect(),
        )
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::InvalidInput(vec![FieldError {
            field: field.to_string(),
            message: message.into(),
        }])
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        AppError::Unauthorized {
            message: message.into(),
        }
    }

    /// The message for `field`, if this error refused it.
    pub fn field(&self, field: &str) -> Option<String> {
        match self {
            AppError::InvalidInput(errors) => errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.clone()),
            _ => None,
        }
    }

    /// Seconds a client should wait before trying again, for `Retry-After`.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            AppError::TooManyRequests { retry_after_secs } => Some(*retry_after_secs),
            AppError::Unavailable => Some(UNAVAILABLE_RETRY_AFTER_SECS),
            _ => None,
        }
    }

    /// HTTP status for the server function and API responses.
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::Unauthorized { .. } => 401,
            AppError::Forbidden => 403,
            AppError::NotFound => 404,
            AppError::InvalidInput(_) => 422,
            AppError::Conflict(_) => 409,
            AppError::TooManyRequests { .. } => 429,
            AppError::Internal => 500,
            AppError::Unavailable => 503,
            AppError::Request(_) => 400,
            AppError::UnsupportedMediaType => 415,
        }
    }
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        AppError::Request(value.to_string())
    }
}

#[cfg(feature = "ssr")]
impl From<crate::store::StoreError> for AppError {
    fn from(e: crate::store::StoreError) -> Self {
        use crate::store::StoreError;
        match e {
            StoreError::Conflict(message) => AppError::Conflict(message),
            StoreError::NotFound => AppError::NotFound,
            // One line per failed request, at WARN: an outage is not a bug.
            StoreError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "the database is unreachable");
                AppError::Unavailable
            }
            // Logged here, once; the client learns only that something failed.
            other => {
                tracing::error!(error = %other, "store failure");
                AppError::Internal
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_messages_are_found_and_summarised() {
        let e = AppError::InvalidInput(vec![
            FieldError {
                field: "email".into(),
                message: "Enter an email address".into(),
            },
            FieldError {
                field: "password".into(),
                message: "Enter a password".into(),
            },
        ]);
        assert_eq!(e.field("password").as_deref(), Some("Enter a password"));
        assert_eq!(e.field("name"), None);
        assert_eq!(e.to_string(), "Enter an email address; Enter a password");
        assert_eq!(e.status_code(), 422);
    }

    #[test]
    fn internal_error_says_nothing_more() {
        assert_eq!(AppError::Internal.to_string(), "Internal error");
    }
}
