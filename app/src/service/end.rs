//! The one operation that ends sessions. Sign-out, revocation, an administrator, the
//! user, the concurrent limit, reuse detection, expiry, the sweep and the demo data all
//! call [`end_sessions`]: the store ends the selected sessions and writes an audit event
//! for each in one transaction (and drops cached lookups), and this logs what ended.

use crate::error::AppError;
use crate::store::{EndedSession, SessionEnd, Store};
use uuid::Uuid;

pub use crate::store::SessionSelection as Selection;

/// Ends the selected sessions of an account that have not ended yet. Returns the
/// sessions this call ended; ending an ended session again changes nothing.
pub async fn end_sessions(
    store: &dyn Store,
    account_id: Uuid,
    selection: Selection,
    end: SessionEnd,
) -> Result<Vec<EndedSession>, AppError> {
    let ended = store.end_sessions(account_id, &selection, &end).await?;
    for session in &ended {
        tracing::info!(
            session = %session.id,
            user = %session.user_id,
            account = %account_id,
            by = ?end.by,
            reason = end.reason.as_str(),
            "session ended"
        );
    }
    Ok(ended)
}

/// One session, by id.
pub fn one(id: Uuid) -> Selection {
    Selection::Ids {
        ids: vec![id],
        user_id: None,
    }
}

/// Ends every live session of `user_id` but `except`, by the caller for `reason`, once
/// the caller has confirmed the password if their session signed in long ago (ending
/// many sessions is a sensitive action). Returns how many ended.
pub async fn end_all_of_user(
    state: &crate::ssr::AppState,
    caller: &crate::model::Caller,
    user_id: Uuid,
    except: Option<Uuid>,
    reason: crate::domain::EndReason,
    password: Option<String>,
) -> Result<u64, AppError> {
    super::throttle::confirm_recent_sign_in(state, caller, password).await?;
    let now = state.clock.now();
    let selection = Selection::LiveOfUser {
        user_id,
        except,
        live: super::liveness(&caller.settings, now),
    };
    let end = SessionEnd::by_caller(caller, reason, now);
    let ended = end_sessions(&*state.store, caller.account_id, selection, end).await?;
    Ok(ended.len() as u64)
}
