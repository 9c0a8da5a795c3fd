//! Changing an account's login-session limits: permission, validation, audit.

use super::throttle::confirm_recent_sign_in;
use crate::domain::settings::{SettingField, SettingsViolation};
use crate::domain::LoginSessionSettings;
use crate::error::{AppError, FieldError};
use crate::model::Caller;
use crate::ssr::AppState;

/// Applies `change` to the limits the session check read for this request, checks the
/// result and stores it if the limits have not changed meanwhile. The change and its
/// audit event are written together; every session is judged by the new limits at its
/// next request. Refused input changes nothing; refused fields are reported under
/// `name(field)`: the form's or the API's name for them.
pub async fn change_settings(
    state: &AppState,
    caller: &Caller,
    change: impl FnOnce(LoginSessionSettings) -> Result<LoginSessionSettings, Vec<SettingsViolation>>,
    name: impl Fn(SettingField) -> &'static str,
    password: Option<String>,
) -> Result<LoginSessionSettings, AppError> {
    if !caller.role.can_manage_account() {
        return Err(AppError::Forbidden);
    }
    let current = caller.settings;
    let refused = |violations: Vec<SettingsViolation>| {
        AppError::InvalidInput(
            violations
                .into_iter()
                .map(|v| FieldError {
                    field: name(v.field).to_string(),
                    message: v.message,
                })
                .collect(),
        )
    };
    let changed = change(current).map_err(refused)?;
    changed.validate().map_err(refused)?;
    if changed == current {
        return Ok(changed);
    }
    confirm_recent_sign_in(state, caller, password).await?;
    let now = state.clock.now();
    let stored = state
        .store
        .update_login_session_settings(caller.account_id, &current, &changed, caller.user_id, now)
        .await?;
    if !stored {
        return Err(AppError::Conflict(
            "The settings were changed by someone else meanwhile. Reload and try again.".to_string(),
        ));
    }
    tracing::info!(account = %caller.account_id, by = %caller.user_id, "login session settings changed");
    Ok(changed)
}
