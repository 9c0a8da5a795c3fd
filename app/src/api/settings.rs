//! Manage > Access (IAM) > Settings > Login session. Everyone in the account may read
//! the limits (so they know the rules); only the owner and administrators change them.

use crate::domain::settings::SettingField;
use crate::domain::{LoginSessionSettings, Password};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsView {
    pub settings: LoginSessionSettings,
    pub can_edit: bool,
    /// Whether a change asks for the password first (signed in long ago).
    pub reauthenticate: bool,
}

#[server(endpoint = "iam_settings")]
pub async fn get_settings() -> Result<SettingsView, AppError> {
    use crate::service::throttle::must_reauthenticate;
    use crate::ssr::server_fn::{caller, state, with_status};
    let caller = with_status(caller())?;
    Ok(SettingsView {
        settings: caller.settings,
        can_edit: caller.role.can_manage_account(),
        reauthenticate: must_reauthenticate(&state()?, &caller),
    })
}

/// Changes one setting to `value` (with `unit` for durations) as typed. The server parses
/// and checks everything itself.
#[server(endpoint = "iam_update_setting")]
pub async fn update_setting(
    field: SettingField,
    value: String,
    unit: String,
    password: Option<Password>,
) -> Result<SettingsView, AppError> {
    change_setting(field, Some(value), Some(unit), password).await
}

/// Restores one setting's default.
#[server(endpoint = "iam_reset_setting")]
pub async fn reset_setting(
    field: SettingField,
    password: Option<Password>,
) -> Result<SettingsView, AppError> {
    change_setting(field, None, None, password).await
}

#[cfg(feature = "ssr")]
async fn change_setting(
    field: SettingField,
    value: Option<String>,
    unit: Option<String>,
    password: Option<Password>,
) -> Result<SettingsView, AppError> {
    use crate::domain::settings::parse_setting;
    use crate::service::settings::change_settings;
    use crate::ssr::server_fn::{caller, state, with_status};
    let caller = with_status(caller())?;
    let change = |current: LoginSessionSettings| {
        let parsed = parse_setting(field, value.as_deref(), unit.as_deref()).map_err(|v| vec![v])?;
        Ok(current.with(field, parsed))
    };
    // A rule that involves two settings is reported on the one being edited.
    let state = state()?;
    let password = password.map(Password::into_inner);
    let saved = change_settings(&state, &caller, change, |_| field.key(), password).await;
    Ok(SettingsView {
        settings: with_status(saved)?,
        can_edit: true,
        reauthenticate: crate::service::throttle::must_reauthenticate(&state, &caller),
    })
}
