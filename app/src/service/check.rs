//! The session check, run on every request that presents a credential: one indexed
//! lookup; a write only to record an expiry, or activity close to the inactivity limit
//! (other activity waits in memory for the next batch: see `activity.rs`).

use super::activity;
use super::end::{end_sessions, one};
use crate::domain::session::{self, needs_touch};
use crate::domain::{SessionKind, SessionState, SignInNotice};
use crate::error::AppError;
use crate::model::Caller;
use crate::ssr::crypto::hash_token;
use crate::ssr::AppState;
use crate::store::{SessionContext, SessionEnd, TokenHash};
use chrono::{DateTime, Utc};

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

/// Checks a presented credential: the caller, or why it was refused.
pub async fn check(
    state: &AppState,
    token: &str,
    presented: Presented,
    ip: &str,
) -> Result<Result<Caller, Refusal>, AppError> {
    let now = state.clock.now();
    let Some(context) = lookup(state, token, presented, now).await? else {
        return Ok(Err(Refusal::Unknown));
    };
    judge(state, context, ip, now).await
}

/// The session a credential belongs to, found by its hash (the one indexed lookup).
/// A remembered answer that looks over is read again first: another node may have
/// recorded activity since this one remembered it.
async fn lookup(
    state: &AppState,
    token: &str,
    presented: Presented,
    now: DateTime<Utc>,
) -> Result<Option<SessionContext>, AppError> {
    let hash = hash_token(token);
    let found = find(state, &hash, presented, now).await?;
    match found {
        // An end is final: only a remembered live session is read again.
        Some(context)
            if context.remembered && context.ended_at.is_none() && !looks_active(state, &context, now) =>
        {
            state.store.forget_remembered(&hash);
            find(state, &hash, presented, now).await
        }
        found => Ok(found),
    }
}

async fn find(
    state: &AppState,
    hash: &TokenHash,
    presented: Presented,
    now: DateTime<Utc>,
) -> Result<Option<SessionContext>, AppError> {
    Ok(match presented {
        Presented::Cookie => state.store.session_by_token(hash, SessionKind::Browser).await?,
        Presented::AccessToken => state.store.session_by_access_token(hash, now).await?,
    })
}

fn looks_active(state: &AppState, context: &SessionContext, now: DateTime<Utc>) -> bool {
    let mut times = context.times();
    times.last_active_at = state.activity.latest(context.session_id, times.last_active_at);
    session::evaluate(times, &context.settings, now) == SessionState::Active
}

/// Judges a found session at `now`: records activity when due, records an expiry the
/// sweep has not seen yet, and says why a session is over.
pub async fn judge(
    state: &AppState,
    context: SessionContext,
    ip: &str,
    now: DateTime<Utc>,
) -> Result<Result<Caller, Refusal>, AppError> {
    let stored = context.last_active_at;
    let mut context = context;
    state.activity.merge(&mut context);
    let verdict = session::evaluate(context.times(), &context.settings, now);
    if verdict == SessionState::Active {
        if needs_touch(context.last_active_at, &context.last_ip, now, ip) {
            activity::record(state, &context, stored, now, ip).await?;
        }
        return Ok(Ok(caller(context)));
    }
    Ok(Err(over(state, &context, verdict, now).await?))
}

/// Looks at a presented credential again without counting it as activity (an open
/// event stream is not someone using the console): when its session expires if nothing
/// else happens, or why it is over.
pub async fn peek(
    state: &AppState,
    token: &str,
    presented: Presented,
) -> Result<Result<DateTime<Utc>, Refusal>, AppError> {
    let now = state.clock.now();
    let Some(mut context) = lookup(state, token, presented, now).await? else {
        return Ok(Err(Refusal::Unknown));
    };
    state.activity.merge(&mut context);
    let verdict = session::evaluate(context.times(), &context.settings, now);
    if verdict == SessionState::Active {
        let expiry = session::expires_at(context.created_at, context.last_active_at, &context.settings);
        return Ok(Ok(expiry));
    }
    Ok(Err(over(state, &context, verdict, now).await?))
}

/// Why a session found not active is over; an expiry nobody recorded yet is recorded now.
async fn over(
    state: &AppState,
    context: &SessionContext,
    verdict: SessionState,
    now: DateTime<Utc>,
) -> Result<Refusal, AppError> {
    if let (SessionState::Idle | SessionState::PastMaximum, Some(reason)) = (verdict, verdict.end_reason()) {
        let end = SessionEnd::system(reason, now);
        end_sessions(&*state.store, context.account_id, one(context.session_id), end).await?;
    }
    let notice = SignInNotice::for_state(verdict, &context.settings).unwrap_or(SignInNotice::Ended);
    Ok(Refusal::Over(notice))
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
        settings: c.settings,
        origin: crate::model::Origin::default(),
    }
}
