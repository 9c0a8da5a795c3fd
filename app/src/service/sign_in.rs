//! Signing in and out, and confirming the password before a sensitive operation.

use super::end::{end_sessions, one, Selection};
use super::liveness;
use super::throttle;
use super::tokens::issue_access_token;
use crate::domain::audit::SignInFailure;
use crate::domain::identity::check_offered_password;
use crate::domain::session::over_concurrent_limit;
use crate::domain::throttle::ThrottleKey;
use crate::domain::{normalize_email, EndReason, SessionKind, SessionView};
use crate::error::AppError;
use crate::model::{AccountChoice, Caller, LoginSession, Origin, User};
use crate::ssr::crypto::{hash_text, hash_token, new_token, verify_password};
use crate::ssr::AppState;
use crate::store::{NewAuditEvent, NewSession, SessionEnd};
use chrono::Duration;
use uuid::Uuid;

/// The one message for a wrong email or a wrong password, so neither is revealed.
pub const INCORRECT: &str = "Email or password is incorrect";

/// Which of a person's accounts to sign in to, as the client named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountRef {
    Id(Uuid),
    /// By name (the CLI's `account=`), resolved only after the password is verified.
    Name(String),
}

pub struct SignIn {
    pub email: String,
    pub password: String,
    /// The chosen account, for people in several accounts.
    pub account: Option<AccountRef>,
    pub ip: String,
    pub user_agent: String,
    pub kind: SessionKind,
    /// The browser's device token, if it has one (see `domain::throttle`).
    pub device: Option<String>,
}

/// Credentials issued at sign-in or refresh. The tokens exist only here and in the
/// response: the database keeps their SHA-256.
pub struct Issued {
    pub session: LoginSession,
    /// The cookie's token, or the CLI's refresh token.
    pub token: String,
    pub access_token: Option<String>,
    /// A new device token for a browser that had none for this person.
    pub device_token: Option<String>,
}

pub enum SignInOutcome {
    SignedIn(Box<Issued>),
    ChooseAccount(Vec<AccountChoice>),
}

pub async fn sign_in(state: &AppState, req: SignIn) -> Result<SignInOutcome, AppError> {
    let store = &state.store;
    let now = state.clock.now();
    let email = normalize_email(&req.email).map_err(|m| AppError::invalid("email", m))?;
    check_offered_password(&req.password).map_err(|m| AppError::invalid("password", m))?;

    let user = store.user_by_email(&email).await?;
    // A browser that signed in as this person before is counted apart from the email.
    let device = match (&req.device, &user) {
        (Some(token), Some(user)) => {
            let hash = hash_token(token);
            let owner = store.trusted_device_user(&hash).await?;
            owner.filter(|id| *id == user.id).map(|_| hash_text(&hash))
        }
        _ => None,
    };
    let person = match &device {
        Some(hash) => ThrottleKey::Device(hash.clone()),
        None => ThrottleKey::Email(email.clone()),
    };
    let origin = Origin {
        ip: req.ip.clone(),
        user_agent: truncate(&req.user_agent, 512),
    };
    let counted = match throttle::count(state, vec![person, ThrottleKey::Ip(req.ip.clone())]).await {
        Ok(counted) => counted,
        Err(error) => {
            if matches!(error, AppError::TooManyRequests { .. }) {
                tracing::warn!(%email, ip = %req.ip, "sign-in refused: too many attempts");
                record_failure(state, user.as_ref(), &email, SignInFailure::Throttled, &origin).await?;
            }
            return Err(error);
        }
    };
    let stored = match &user {
        Some(u) => store.password_hash(u.id).await?,
        None => None,
    };
    let verified = verify_password(req.password, stored).await?;
    let user = match user {
        Some(user) if verified => user,
        unverified => {
            tracing::warn!(%email, ip = %req.ip, "sign-in failed: email or password incorrect");
            let failure = SignInFailure::IncorrectCredentials;
            record_failure(state, unverified.as_ref(), &email, failure, &origin).await?;
            return Err(AppError::unauthorized(INCORRECT));
        }
    };

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
    let named = |c: &&AccountChoice| match &req.account {
        Some(AccountRef::Id(id)) => c.id == *id,
        Some(AccountRef::Name(name)) => c.name == name.trim(),
        None => false,
    };
    let chosen = match (&req.account, choices.as_slice()) {
        (_, []) => {
            return Err(AppError::unauthorized(
                "Your user belongs to no account. Ask an account administrator to add you.",
            ))
        }
        (None, [only]) => only.clone(),
        (None, _) => {
            counted.succeeded(state).await?;
            return Ok(SignInOutcome::ChooseAccount(choices));
        }
        // An account the person is not in counts as a failed attempt: the answer must
        // not tell which accounts exist.
        (Some(_), _) => choices
            .iter()
            .find(named)
            .cloned()
            .ok_or_else(|| AppError::invalid("account", "Choose one of your accounts"))?,
    };
    counted.succeeded(state).await?;

    let settings = store.login_session_settings(chosen.id).await?;
    if settings.concurrent_limit.is_some() {
        let active = store
            .sessions_of_user(chosen.id, user.id, SessionView::Active, liveness(&settings, now))
            .await?;
        let by_activity: Vec<_> = active
            .iter()
            // Activity this process has not written yet counts too.
            .map(|s| {
                (
                    s.session.id,
                    state.activity.latest(s.session.id, s.session.last_active_at),
                )
            })
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
    let device_token = match (req.kind, device) {
        (SessionKind::Browser, None) => {
            let (device_token, hash) = new_token()?;
            store.add_trusted_device(&hash, user.id, now).await?;
            Some(device_token)
        }
        _ => None,
    };
    tracing::info!(session = %session.id, user = %user.id, account = %chosen.id, kind = req.kind.as_str(), "signed in");
    Ok(SignInOutcome::SignedIn(Box::new(Issued {
        session,
        token,
        access_token,
        device_token,
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
    let end = SessionEnd::by_caller(caller, EndReason::SignedOut, state.clock.now());
    end_sessions(&*state.store, caller.account_id, one(caller.session_id), end).await?;
    Ok(())
}

/// A refused sign-in goes into the log of every account the email's person belongs to:
/// their administrators see attempts on their people. An email nobody has is in no
/// account's log (only the server's), so no administrator learns which emails exist.
async fn record_failure(
    state: &AppState,
    user: Option<&User>,
    email: &str,
    failure: SignInFailure,
    origin: &Origin,
) -> Result<(), AppError> {
    let Some(user) = user else { return Ok(()) };
    let now = state.clock.now();
    let events: Vec<_> = state
        .store
        .accounts_of_user(user.id)
        .await?
        .into_iter()
        .map(|a| NewAuditEvent::sign_in_failed(a.account_id, user.id, email, failure, origin.clone(), now))
        .collect();
    Ok(state.store.record_audit_events(&events).await?)
}

fn truncate(s: &str, max_chars: usize) -> String {
    s.chars().take(max_chars).collect()
}
