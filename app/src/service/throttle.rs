//! Counting sign-in attempts around a password check, and confirming the password
//! again before a sensitive operation.

use crate::domain::identity::check_offered_password;
use crate::domain::session::needs_reauthentication;
use crate::domain::throttle::{retry_after, ThrottleKey, WINDOW};
use crate::error::AppError;
use crate::model::Caller;
use crate::ssr::crypto::verify_password;
use crate::ssr::AppState;

/// Attempts counted under `keys` for one password check.
pub struct Counted {
    keys: Vec<ThrottleKey>,
}

/// Counts this attempt under every key before the password is checked, so parallel
/// attempts cannot pass together; refuses it (429) if any key is beyond its limit.
pub async fn count(state: &AppState, keys: Vec<ThrottleKey>) -> Result<Counted, AppError> {
    let now = state.clock.now();
    let names: Vec<String> = keys.iter().map(ThrottleKey::key).collect();
    let counted = state.store.count_attempts(&names, now, now - WINDOW).await?;
    let wait = keys
        .iter()
        .zip(counted)
        .filter_map(|(key, attempts)| retry_after(attempts, key.max(), now))
        .max();
    match wait {
        Some(retry_after_secs) => Err(AppError::TooManyRequests { retry_after_secs }),
        None => Ok(Counted { keys }),
    }
}

impl Counted {
    /// The password was right: the person's own counts start over and the shared
    /// address gets this attempt back. A failure leaves every count as it is.
    pub async fn succeeded(self, state: &AppState) -> Result<(), AppError> {
        for key in &self.keys {
            if key.cleared_by_success() {
                state.store.clear_attempts(&key.key()).await?;
            } else {
                state.store.release_attempt(&key.key()).await?;
            }
        }
        Ok(())
    }
}

/// Checks the caller's password again before a sensitive operation. Attempts count
/// towards the same throttle as sign-in, so this is no side door for guessing.
pub async fn confirm_password(
    state: &AppState,
    caller: &Caller,
    password: Option<String>,
) -> Result<(), AppError> {
    let Some(password) = password.filter(|p| !p.is_empty()) else {
        return Err(AppError::invalid("password", "Enter your password to confirm"));
    };
    check_offered_password(&password).map_err(|m| AppError::invalid("password", m))?;
    let counted = count(state, vec![ThrottleKey::Email(caller.email.clone())]).await?;
    let stored = state.store.password_hash(caller.user_id).await?;
    if verify_password(password, stored).await? {
        counted.succeeded(state).await
    } else {
        tracing::warn!(email = %caller.email, user = %caller.user_id, "password confirmation failed");
        Err(AppError::invalid("password", "The password is incorrect"))
    }
}

/// Whether the caller's session must confirm the password before a sensitive action.
pub fn must_reauthenticate(state: &AppState, caller: &Caller) -> bool {
    needs_reauthentication(
        caller.signed_in_at,
        state.clock.now(),
        state.security.reauthenticate_after,
    )
}

/// The one rule for sensitive actions (ending many sessions, changing the account's
/// limits): a session signed in longer ago than the configured window confirms the
/// password first.
pub async fn confirm_recent_sign_in(
    state: &AppState,
    caller: &Caller,
    password: Option<String>,
) -> Result<(), AppError> {
    if must_reauthenticate(state, caller) {
        confirm_password(state, caller, password).await
    } else {
        Ok(())
    }
}
