//! Changing an account's login-session limits: permission, validation, audit.

use super::AppState;
use crate::domain::LoginSessionSettings;
use crate::error::{AppError, FieldError};
use crate::model::Caller;

/// Stores new limits for the caller's account after checking who asks and what they
/// ask for; refused input changes nothing. The change and its audit event are written
/// together, and every session is judged by the new limits at its next request.
pub async fn save(
    state: &AppState,
    caller: &Caller,
    settings: LoginSessionSettings,
) -> Result<LoginSessionSettings, AppError> {
    if !caller.role.can_manage_account() {
        return Err(AppError::Forbidden);
    }
    settings.validate().map_err(|violations| {
        AppError::InvalidInput(
            violations
                .into_iter()
                .map(|v| FieldError {
                    field: v.field.to_string(),
                    message: v.message,
                })
                .collect(),
        )
    })?;
    let current = state.store.login_session_settings(caller.account_id).await?;
    if current != settings {
        state
            .store
            .update_login_session_settings(caller.account_id, &settings, caller.user_id, state.clock.now())
            .await?;
        tracing::info!(account = %caller.account_id, by = %caller.user_id, "login session settings changed");
    }
    Ok(settings)
}
