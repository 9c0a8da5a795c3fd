//! The one operation that ends sessions. Sign-out, revocation, an administrator, the
//! user, the concurrent limit, reuse detection, expiry, the sweep and the demo data all
//! call [`end_sessions`]: the store ends the selected sessions and writes an audit event
//! for each in one transaction (and drops cached lookups), and this logs what ended.

use crate::error::AppError;
use crate::model::LoginSession;
use crate::store::{SessionEnd, Store};
use uuid::Uuid;

pub use crate::store::SessionSelection as Selection;

/// Ends the selected sessions of an account that have not ended yet. Returns the
/// sessions this call ended; ending an ended session again changes nothing.
pub async fn end_sessions(
    store: &dyn Store,
    account_id: Uuid,
    selection: Selection,
    end: SessionEnd,
) -> Result<Vec<LoginSession>, AppError> {
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
