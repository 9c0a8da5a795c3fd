//! Changing an account's login-session limits: permission, validation, audit, and the
//! sessions a shorter limit ends.

use super::end::{end_sessions, Selection};
use super::liveness;
use super::throttle::confirm_recent_sign_in;
use crate::domain::session::ended_by_change;
use crate::domain::settings::{SettingField, SettingsViolation};
use crate::domain::{EndReason, LoginSessionSettings, Role, SessionView};
use crate::error::{AppError, FieldError};
use crate::model::Caller;
use crate::ssr::AppState;
use crate::store::SessionEnd;

/// Applies `change` to the limits the session check read for this request, checks the
/// result and stores it if the limits have not changed meanwhile. The change and its
/// audit event are written together, then the sessions the shorter limits make too old
/// end at once, recorded as ended by whoever made the change, for the limit's reason.
/// Only the owner may shorten a limit below the age of the owner's own sessions: an
/// administrator may not end them directly, nor through the limits. Refused input
/// changes nothing; refused fields are reported under `name(field)`: the form's or the
/// API's name for them.
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
    if caller.role != Role::Owner {
        if let Some(reason) = owner_signed_out(state, caller, &current, &changed).await? {
            let field = match reason {
                EndReason::MaximumDuration => SettingField::MaxDuration,
                _ => SettingField::Inactivity,
            };
            return Err(refused(vec![SettingsViolation {
                field,
                message:
                    "This would sign the account owner out: only the owner can set a limit shorter than \
                          their own sessions have lasted"
                        .to_string(),
            }]));
        }
    }
    let stored = state
        .store
        .update_login_session_settings(
            caller.account_id,
            &current,
            &changed,
            caller.user_id,
            now,
            Some(caller.origin.clone()),
        )
        .await?;
    if !stored {
        return Err(AppError::Conflict(
            "The settings were changed by someone else meanwhile. Reload and try again.".to_string(),
        ));
    }
    tracing::info!(account = %caller.account_id, by = %caller.user_id, "login session settings changed");
    for reason in [EndReason::MaximumDuration, EndReason::Inactivity] {
        let selection = Selection::ExpiredByChange {
            old: liveness(&current, now),
            new: liveness(&changed, now),
            reason,
        };
        let end = SessionEnd::by_caller(caller, reason, now);
        end_sessions(&*state.store, caller.account_id, selection, end).await?;
    }
    Ok(changed)
}

/// The limit the change would make one of the owner's live sessions exceed, if any.
async fn owner_signed_out(
    state: &AppState,
    caller: &Caller,
    current: &LoginSessionSettings,
    changed: &LoginSessionSettings,
) -> Result<Option<EndReason>, AppError> {
    let Some(owner) = state.store.owner_of(caller.account_id).await? else {
        return Ok(None);
    };
    let now = state.clock.now();
    let live = liveness(current, now);
    let sessions = state
        .store
        .sessions_of_user(caller.account_id, owner, SessionView::Active, live)
        .await?;
    Ok(sessions
        .iter()
        .find_map(|l| ended_by_change(l.session.times(), current, changed, now)))
}
