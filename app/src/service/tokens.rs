//! The CLI's credentials (OAuth 2.0 password and refresh grants, RFC 7009 revocation):
//! short-lived access tokens, refresh tokens rotated at every use, and reuse detection.

use super::check::judge;
use super::end::{end_sessions, one};
use super::sign_in::{sign_in, AccountRef, Issued, SignIn, SignInOutcome};
use crate::domain::{EndReason, SessionKind};
use crate::error::AppError;
use crate::model::Origin;
use crate::ssr::crypto::{hash_token, new_token};
use crate::ssr::AppState;
use crate::store::{NewAuditEvent, SessionEnd};
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

/// Access tokens live this long; each use is still checked against its session.
pub const ACCESS_TOKEN_LIFETIME: Duration = Duration::minutes(10);

const INVALID_REFRESH: &str = "The refresh token is invalid, expired or revoked";

pub(super) async fn issue_access_token(
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

/// The password grant: `account` names one of the person's accounts by id or by name.
pub async fn password_grant(
    state: &AppState,
    mut request: SignIn,
    account: Option<&str>,
) -> Result<SignInOutcome, AppError> {
    // Resolved among the person's own accounts once the password is verified, so the
    // answer never tells whether an account of that name exists.
    request.account = account
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| match Uuid::parse_str(a) {
            Ok(id) => AccountRef::Id(id),
            Err(_) => AccountRef::Name(a.to_string()),
        });
    sign_in(state, request).await
}

/// The refresh grant: rotates the refresh token and issues a new access token. A
/// refresh token that was already rotated away ends its session (reuse detection).
pub async fn refresh(state: &AppState, refresh_token: &str, origin: &Origin) -> Result<Issued, AppError> {
    let now = state.clock.now();
    let ip = origin.ip.as_str();
    let old = hash_token(refresh_token);
    let Some(context) = state.store.session_by_token(&old, SessionKind::Cli).await? else {
        if let Some((account_id, session_id)) = state.store.session_by_retired_refresh(&old).await? {
            reuse_detected(state, account_id, session_id, origin, now).await?;
        }
        return Err(AppError::unauthorized(INVALID_REFRESH));
    };
    let session_id = context.session_id;
    let account_id = context.account_id;
    let max_end = context.created_at + Duration::seconds(context.settings.max_duration());
    if judge(state, context, ip, now).await?.is_err() {
        return Err(AppError::unauthorized(INVALID_REFRESH));
    }
    let (token, new) = new_token()?;
    // Retired hashes are kept as long as the session could live, to catch late reuse.
    if !state
        .store
        .rotate_refresh_token(session_id, &old, &new, max_end)
        .await?
    {
        // A concurrent refresh with the same token won: that is reuse too.
        reuse_detected(state, account_id, session_id, origin, now).await?;
        return Err(AppError::unauthorized(INVALID_REFRESH));
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
        device_token: None,
    })
}

/// A retired refresh token came back: the log says so, from where, and the session ends.
async fn reuse_detected(
    state: &AppState,
    account_id: Uuid,
    session_id: Uuid,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if let Some(session) = state.store.session(account_id, session_id).await? {
        let event =
            NewAuditEvent::reuse_detected(account_id, session.user_id, session_id, origin.clone(), now);
        state.store.record_audit_events(&[event]).await?;
    }
    let reuse = SessionEnd::system(EndReason::RefreshTokenReuse, now).from(origin.clone());
    let ended = end_sessions(&*state.store, account_id, one(session_id), reuse).await?;
    if !ended.is_empty() {
        tracing::warn!(session = %session_id, "refresh token reused: session ended");
    }
    Ok(())
}

/// RFC 7009 revocation: ends the session a refresh token or an access token belongs
/// to (revoking a token revokes the session it stands for, and so every token of it).
/// Unknown tokens are not an error: the answer must not reveal which tokens exist.
pub async fn revoke(state: &AppState, token: &str, origin: &Origin) -> Result<(), AppError> {
    let hash = hash_token(token);
    let now = state.clock.now();
    let context = match state.store.session_by_token(&hash, SessionKind::Cli).await? {
        Some(context) => Some(context),
        None => state.store.session_by_access_token(&hash, now).await?,
    };
    if let Some(context) = context {
        let end = SessionEnd::by(context.user_id, EndReason::SignedOut, now).from(origin.clone());
        end_sessions(&*state.store, context.account_id, one(context.session_id), end).await?;
    }
    Ok(())
}
