//! Signing in and out, and confirming the password before a sensitive operation.

use super::end::{end_sessions, one, Selection};
use super::liveness;
use super::tokens::issue_access_token;
use crate::domain::session::over_concurrent_limit;
use crate::domain::throttle::{self, email_key, ip_key, retry_after};
use crate::domain::{normalize_email, EndReason, SessionKind, SessionView};
use crate::error::AppError;
use crate::model::{AccountChoice, Caller, LoginSession};
use crate::ssr::crypto::{new_token, verify_password};
use crate::ssr::AppState;
use crate::store::{NewSession, SessionEnd};
use chrono::Duration;
use uuid::Uuid;

/// The one message for a wrong email or a wrong password, so neither is revealed.
pub const INCORRECT: &str = "Email or password is incorrect";

pub struct SignIn {
    pub email: String,
    pub password: String,
    /// The chosen account, for people in several accounts.
    pub account: Option<Uuid>,
    pub ip: String,
    pub user_agent: String,
    pub kind: SessionKind,
}

/// Credentials issued at sign-in or refresh. The tokens exist only here and in the
/// response: the database keeps their SHA-256.
pub struct Issued {
    pub session: LoginSession,
    /// The cookie's token, or the CLI's refresh token.
    pub token: String,
    pub access_token: Option<String>,
}

pub enum SignInOutcome {
    SignedIn(Box<Issued>),
    ChooseAccount(Vec<AccountChoice>),
}

pub async fn sign_in(state: &AppState, req: SignIn) -> Result<SignInOutcome, AppError> {
    let store = &state.store;
    let now = state.clock.now();
    let email = normalize_email(&req.email).map_err(|m| AppError::invalid("email", m))?;
    if req.password.is_empty() {
        return Err(AppError::invalid("password", "Enter your password"));
    }

    let keys = [email_key(&email), ip_key(&req.ip)];
    for (key, failures) in store.sign_in_failures([&keys[0], &keys[1]]).await? {
        let max = if key == keys[0] {
            throttle::MAX_PER_EMAIL
        } else {
            throttle::MAX_PER_IP
        };
        if let Some(retry_after_secs) = retry_after(Some(failures), max, now) {
            return Err(AppError::TooManyRequests { retry_after_secs });
        }
    }

    let user = store.user_by_email(&email).await?;
    let stored = match &user {
        Some(u) => store.password_hash(u.id).await?,
        None => None,
    };
    let verified = verify_password(req.password, stored).await?;
    let Some(user) = user.filter(|_| verified) else {
        for key in &keys {
            store
                .record_sign_in_failure(key, now, now - throttle::WINDOW)
                .await?;
        }
        return Err(AppError::unauthorized(INCORRECT));
    };
    store.clear_sign_in_failures(&keys[0]).await?;

    let choices: Vec<AccountChoice> = store
        .accounts_of_user(user.id)
        .await?
        .into_iter()
        .map(|a| AccountChoice {
            id: a.account_id,
            name: a.account_name,
            role: a.role,
        })
        .collect();
    let chosen = match (req.account, choices.as_slice()) {
        (_, []) => {
            return Err(AppError::unauthorized(
                "Your user belongs to no account. Ask an account administrator to add you.",
            ))
        }
        (None, [only]) => only.clone(),
        (None, _) => return Ok(SignInOutcome::ChooseAccount(choices)),
        (Some(id), _) => choices
            .iter()
            .find(|c| c.id == id)
            .cloned()
            .ok_or_else(|| AppError::invalid("account", "Choose one of your accounts"))?,
    };

    let settings = store.login_session_settings(chosen.id).await?;
    if settings.concurrent_limit.is_some() {
        let active = store
            .sessions_of_user(chosen.id, user.id, SessionView::Active, liveness(&settings, now))
            .await?;
        let by_activity: Vec<_> = active
            .iter()
            .map(|s| (s.session.id, s.session.last_active_at))
            .collect();
        let over = over_concurrent_limit(&by_activity, settings.concurrent_limit);
        if !over.is_empty() {
            let end = SessionEnd::system(EndReason::ConcurrentLimit, now);
            let selection = Selection::Ids {
                ids: over,
                user_id: Some(user.id),
            };
            end_sessions(&**store, chosen.id, selection, end).await?;
        }
    }

    let (token, token_hash) = new_token()?;
    let session = store
        .create_session(&NewSession {
            id: Uuid::new_v4(),
            token_hash,
            account_id: chosen.id,
            user_id: user.id,
            kind: req.kind,
            created_at: now,
            expires_at: now + Duration::seconds(settings.max_duration()),
            ip: req.ip,
            user_agent: truncate(&req.user_agent, 512),
        })
        .await?;
    let access_token = match req.kind {
        SessionKind::Cli => Some(issue_access_token(state, session.id, now).await?),
        SessionKind::Browser => None,
    };
    tracing::info!(session = %session.id, user = %user.id, account = %chosen.id, kind = req.kind.as_str(), "signed in");
    Ok(SignInOutcome::SignedIn(Box::new(Issued {
        session,
        token,
        access_token,
    })))
}

/// A browser's sign-in. A browser that was still signed in gets a new session, never
/// its old token back: the previous session ends.
pub async fn sign_in_browser(
    state: &AppState,
    req: SignIn,
    previous: &crate::ssr::auth::Auth,
) -> Result<SignInOutcome, AppError> {
    let outcome = sign_in(state, req).await?;
    if let (SignInOutcome::SignedIn(_), crate::ssr::auth::Auth::Caller(previous)) = (&outcome, previous) {
        sign_out(state, previous).await?;
    }
    Ok(outcome)
}

/// Signs the caller out: ends their current session.
pub async fn sign_out(state: &AppState, caller: &Caller) -> Result<(), AppError> {
    let end = SessionEnd::by(caller.user_id, EndReason::SignedOut, state.clock.now());
    end_sessions(&*state.store, caller.account_id, one(caller.session_id), end).await?;
    Ok(())
}

/// Checks the caller's password again before a sensitive operation. Failures count
/// towards the same throttle as sign-in, so this is no side door for guessing.
pub async fn confirm_password(
    state: &AppState,
    caller: &Caller,
    password: Option<String>,
) -> Result<(), AppError> {
    let Some(password) = password.filter(|p| !p.is_empty()) else {
        return Err(AppError::invalid("password", "Enter your password to confirm"));
    };
    let now = state.clock.now();
    let key = email_key(&caller.email);
    for (_, failures) in state.store.sign_in_failures([&key, &key]).await? {
        if let Some(retry_after_secs) = retry_after(Some(failures), throttle::MAX_PER_EMAIL, now) {
            return Err(AppError::TooManyRequests { retry_after_secs });
        }
    }
    let stored = state.store.password_hash(caller.user_id).await?;
    if verify_password(password, stored).await? {
        Ok(())
    } else {
        state
            .store
            .record_sign_in_failure(&key, now, now - throttle::WINDOW)
            .await?;
        Err(AppError::invalid("password", "The password is incorrect"))
    }
}

fn truncate(s: &str, max_chars: usize) -> String {
    s.chars().take(max_chars).collect()
}
