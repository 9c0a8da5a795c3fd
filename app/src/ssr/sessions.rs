//! The login-session engine: sign-in, the session check, refresh, and ending sessions.
//! Rules come from `crate::domain`; every read and write goes through the store.

use super::crypto::{hash_token, new_token, verify_password};
use super::AppState;
use crate::domain::session::{self, cutoffs, needs_touch, over_concurrent_limit};
use crate::domain::throttle::{self, email_key, ip_key, retry_after};
use crate::domain::{normalize_email, EndReason, SessionKind, SessionState, SignInNotice};
use crate::error::AppError;
use crate::model::{AccountChoice, Caller, LoginSession};
use crate::store::{Liveness, NewSession, SessionContext, SessionEnd, SessionView, TokenHash};
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

/// The one message for a wrong email or a wrong password, so neither is revealed.
pub const INCORRECT: &str = "Email or password is incorrect";
/// Access tokens live this long; each use is still checked against its session.
pub const ACCESS_TOKEN_LIFETIME: Duration = Duration::minutes(10);

pub struct SignIn {
    pub email: String,
    pub password: String,
    /// The chosen account's id, for people in several accounts.
    pub account: Option<String>,
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
    SignedIn(Issued),
    ChooseAccount(Vec<AccountChoice>),
}

pub fn liveness(settings: &crate::domain::LoginSessionSettings, now: DateTime<Utc>) -> Liveness {
    let (idle_before, created_before) = cutoffs(settings, now);
    Liveness {
        idle_before,
        created_before,
    }
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

    let accounts = store.accounts_of_user(user.id).await?;
    let choices: Vec<AccountChoice> = accounts
        .iter()
        .map(|a| AccountChoice {
            id: a.account_id,
            name: a.account_name.clone(),
            role: a.role,
        })
        .collect();
    let chosen = match (
        req.account.as_deref().filter(|a| !a.is_empty()),
        choices.as_slice(),
    ) {
        (_, []) => {
            return Err(AppError::unauthorized(
                "Your user belongs to no account. Ask an account administrator to add you.",
            ))
        }
        (None, [only]) => only.clone(),
        (None, _) => return Ok(SignInOutcome::ChooseAccount(choices)),
        (Some(id), _) => choices
            .iter()
            .find(|c| c.id.to_string() == id)
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
        let end = SessionEnd {
            at: now,
            by: None,
            reason: EndReason::ConcurrentLimit,
        };
        for id in over_concurrent_limit(&by_activity, settings.concurrent_limit) {
            store.end_session(chosen.id, id, &end).await?;
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
    Ok(SignInOutcome::SignedIn(Issued {
        session,
        token,
        access_token,
    }))
}

async fn issue_access_token(
    state: &AppState,
    session_id: Uuid,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let (token, hash) = new_token()?;
    state
        .store
        .add_access_token(session_id, &hash, now + ACCESS_TOKEN_LIFETIME)
        .await?;
    Ok(token)
}

/// Which credential a request presented.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Presented {
    Cookie,
    AccessToken,
}

/// Why a presented credential was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Unknown, or an access token past its ten minutes.
    Unknown,
    /// The session is over; the notice says why.
    Over(SignInNotice),
}

impl Refusal {
    pub fn message(self) -> String {
        match self {
            Refusal::Unknown => "Sign in to continue.".to_string(),
            Refusal::Over(notice) => notice.message(),
        }
    }

    pub fn sign_in_url(self) -> String {
        match self {
            Refusal::Unknown => "/signin".to_string(),
            Refusal::Over(notice) => notice.sign_in_url(),
        }
    }
}

/// The session check, run on every request that presents a credential: one indexed
/// lookup; a write only to record an expiry or, at most once a minute, activity.
pub async fn check(
    state: &AppState,
    token: &str,
    presented: Presented,
    ip: &str,
) -> Result<Result<Caller, Refusal>, AppError> {
    let now = state.clock.now();
    let hash = hash_token(token);
    let context = match presented {
        Presented::Cookie => state.store.session_by_token(&hash, SessionKind::Browser).await?,
        Presented::AccessToken => state.store.session_by_access_token(&hash, now).await?,
    };
    let Some(context) = context else {
        return Ok(Err(Refusal::Unknown));
    };
    judge(state, context, ip, now).await
}

async fn judge(
    state: &AppState,
    context: SessionContext,
    ip: &str,
    now: DateTime<Utc>,
) -> Result<Result<Caller, Refusal>, AppError> {
    let settings = context.settings();
    let verdict = session::evaluate(
        context.created_at,
        context.last_active_at,
        context.end_reason(),
        &settings,
        now,
    );
    if verdict == SessionState::Active {
        if needs_touch(context.last_active_at, &context.last_ip, now, ip) {
            state.store.touch_session(context.session_id, now, ip).await?;
        }
        return Ok(Ok(caller(context)));
    }
    if let (SessionState::Idle | SessionState::PastMaximum, Some(reason)) = (verdict, verdict.end_reason()) {
        // Found expired before the sweep did: record it now, with its reason.
        let end = SessionEnd {
            at: now,
            by: None,
            reason,
        };
        state
            .store
            .end_session(context.account_id, context.session_id, &end)
            .await?;
    }
    let notice = SignInNotice::for_state(verdict, &settings).unwrap_or(SignInNotice::Ended);
    Ok(Err(Refusal::Over(notice)))
}

fn caller(c: SessionContext) -> Caller {
    Caller {
        session_id: c.session_id,
        user_id: c.user_id,
        account_id: c.account_id,
        role: c.role,
        display_name: c.display_name,
        email: c.email,
        account_name: c.account_name,
        kind: c.kind,
        signed_in_at: c.created_at,
    }
}

/// The refresh grant: rotates the refresh token and issues a new access token. A
/// refresh token that was already rotated away ends its session (reuse detection).
pub async fn refresh(state: &AppState, refresh_token: &str, ip: &str) -> Result<Issued, AppError> {
    let now = state.clock.now();
    let old = hash_token(refresh_token);
    let Some(context) = state.store.session_by_token(&old, SessionKind::Cli).await? else {
        if let Some((account_id, session_id)) = state.store.session_by_retired_refresh(&old).await? {
            let end = SessionEnd {
                at: now,
                by: None,
                reason: EndReason::RefreshTokenReuse,
            };
            if state.store.end_session(account_id, session_id, &end).await? {
                tracing::warn!(session = %session_id, "refresh token reused: session ended");
            }
        }
        return Err(AppError::unauthorized(
            "The refresh token is invalid, expired or revoked",
        ));
    };
    let session_id = context.session_id;
    let account_id = context.account_id;
    let max_end = context.created_at + Duration::seconds(context.settings().max_duration());
    if judge(state, context, ip, now).await?.is_err() {
        return Err(AppError::unauthorized(
            "The refresh token is invalid, expired or revoked",
        ));
    }
    let (token, new) = new_token()?;
    // Retired hashes are kept as long as the session could live, to catch late reuse.
    if !state
        .store
        .rotate_refresh_token(session_id, &old, &new, max_end)
        .await?
    {
        // A concurrent refresh with the same token won: that is reuse too.
        let end = SessionEnd {
            at: now,
            by: None,
            reason: EndReason::RefreshTokenReuse,
        };
        state.store.end_session(account_id, session_id, &end).await?;
        return Err(AppError::unauthorized(
            "The refresh token is invalid, expired or revoked",
        ));
    }
    let access_token = issue_access_token(state, session_id, now).await?;
    let session = state
        .store
        .session(account_id, session_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Issued {
        session,
        token,
        access_token: Some(access_token),
    })
}

/// Ends the session a refresh token belongs to (RFC 7009 revocation). Unknown tokens
/// are not an error: the answer must not reveal which tokens exist.
pub async fn revoke_refresh_token(state: &AppState, refresh_token: &str) -> Result<(), AppError> {
    let hash = hash_token(refresh_token);
    if let Some(context) = state.store.session_by_token(&hash, SessionKind::Cli).await? {
        let end = SessionEnd {
            at: state.clock.now(),
            by: Some(context.user_id),
            reason: EndReason::SignedOut,
        };
        state
            .store
            .end_session(context.account_id, context.session_id, &end)
            .await?;
    }
    Ok(())
}

/// Signs the caller out: ends their current session.
pub async fn sign_out(state: &AppState, caller: &Caller) -> Result<(), AppError> {
    let end = SessionEnd {
        at: state.clock.now(),
        by: Some(caller.user_id),
        reason: EndReason::SignedOut,
    };
    state
        .store
        .end_session(caller.account_id, caller.session_id, &end)
        .await?;
    Ok(())
}

/// Records sessions that expired without a request noticing (at most `max_ends` per
/// run, so one run never floods the database), and deletes sessions ended longer ago
/// than `retention`. Safe to run in several processes at once: every step is idempotent.
pub async fn sweep(state: &AppState, retention: Duration, max_ends: u64) -> Result<u64, AppError> {
    let now = state.clock.now();
    let mut recorded = 0;
    for (account_id, settings) in state.store.accounts_settings().await? {
        while recorded < max_ends {
            let batch = state
                .store
                .unrecorded_expired(account_id, liveness(&settings, now), 500)
                .await?;
            for s in &batch {
                let verdict = session::evaluate(s.created_at, s.last_active_at, None, &settings, now);
                if let Some(reason) = verdict.end_reason() {
                    let end = SessionEnd {
                        at: now,
                        by: None,
                        reason,
                    };
                    recorded += u64::from(state.store.end_session(account_id, s.id, &end).await?);
                }
            }
            if batch.len() < 500 {
                break;
            }
        }
    }
    let purged = state.store.purge(now - retention, now).await?;
    Ok(recorded + purged)
}

fn truncate(s: &str, max_chars: usize) -> String {
    s.chars().take(max_chars).collect()
}

/// Used by tests and the demo: hashes as the store sees them.
pub fn token_hash(token: &str) -> TokenHash {
    hash_token(token)
}

/// Ends every active session of a user in an account, except `keep`. Returns how many
/// this call ended.
pub async fn end_all_of_user(
    state: &AppState,
    account_id: Uuid,
    user_id: Uuid,
    by: &Caller,
    reason: EndReason,
    keep: Option<Uuid>,
) -> Result<u64, AppError> {
    let now = state.clock.now();
    let settings = state.store.login_session_settings(account_id).await?;
    let active = state
        .store
        .sessions_of_user(account_id, user_id, SessionView::Active, liveness(&settings, now))
        .await?;
    let end = SessionEnd {
        at: now,
        by: Some(by.user_id),
        reason,
    };
    let mut ended = 0;
    for listing in active.iter().filter(|l| Some(l.session.id) != keep) {
        ended += u64::from(
            state
                .store
                .end_session(account_id, listing.session.id, &end)
                .await?,
        );
    }
    Ok(ended)
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
