//! `/api/v1/account/settings/login-session`: any member reads the limits; the owner and
//! administrators change them.

use app::domain::settings::{SettingField, SettingsViolation};
use app::domain::LoginSessionSettings;
use app::error::{AppError, FieldError};
use app::service::settings::change_settings;
use app::ssr::auth::RequestContext;
use app::ssr::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::{Extension, Json};
use serde::Serialize;
use std::sync::Arc;

/// The stored values (`null` = the default) and the values in force.
#[derive(Serialize)]
pub struct SettingsBody {
    inactivity_secs: Option<i64>,
    max_duration_secs: Option<i64>,
    concurrent_limit: Option<i64>,
    effective: Effective,
}

#[derive(Serialize)]
struct Effective {
    inactivity_secs: i64,
    max_duration_secs: i64,
    concurrent_limit: Option<i64>,
}

impl From<LoginSessionSettings> for SettingsBody {
    fn from(s: LoginSessionSettings) -> Self {
        SettingsBody {
            inactivity_secs: s.inactivity_secs,
            max_duration_secs: s.max_duration_secs,
            concurrent_limit: s.concurrent_limit,
            effective: Effective {
                inactivity_secs: s.inactivity(),
                max_duration_secs: s.max_duration(),
                concurrent_limit: s.concurrent_limit,
            },
        }
    }
}

/// The account's login-session limits, as the session check read them.
pub async fn get_settings(
    Extension(context): Extension<Arc<RequestContext>>,
) -> Result<Json<SettingsBody>, AppError> {
    Ok(Json(context.caller_ref()?.settings.into()))
}

/// Changes some of the limits: each key present replaces its value, `null` restores
/// the default, absent keys stay; `password` confirms the change from a session signed
/// in long ago. Errors name the request's keys; refused input changes nothing.
pub async fn patch_settings(
    State(state): State<AppState>,
    Extension(context): Extension<Arc<RequestContext>>,
    body: Result<Json<serde_json::Map<String, serde_json::Value>>, JsonRejection>,
) -> Result<Json<SettingsBody>, AppError> {
    let caller = context.caller_ref()?;
    if !caller.role.can_manage_account() {
        return Err(AppError::Forbidden);
    }
    let Json(mut body) = body.map_err(|_| AppError::invalid("body", "Send a JSON object"))?;
    // A session signed in long ago confirms the change with its password.
    let password = match body.remove("password") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(p)) => Some(p),
        Some(_) => return Err(AppError::invalid("password", "Must be a string")),
    };
    let unknown: Vec<FieldError> = body
        .keys()
        .filter(|key| SettingField::from_api_key(key).is_none())
        .map(|key| FieldError {
            field: key.clone(),
            message: "Unknown setting".into(),
        })
        .collect();
    if !unknown.is_empty() {
        return Err(AppError::InvalidInput(unknown));
    }
    let change = |mut settings: LoginSessionSettings| {
        let mut refused = Vec::new();
        for field in SettingField::ALL {
            match body.get(field.api_key()) {
                None => {}
                Some(serde_json::Value::Null) => settings = settings.with(field, None),
                Some(value) => match value.as_i64() {
                    Some(n) => settings = settings.with(field, Some(n)),
                    None => refused.push(SettingsViolation {
                        field,
                        message: "Must be a whole number or null (the default)".into(),
                    }),
                },
            }
        }
        if refused.is_empty() {
            Ok(settings)
        } else {
            Err(refused)
        }
    };
    let saved = change_settings(&state, caller, change, SettingField::api_key, password).await?;
    Ok(Json(saved.into()))
}
