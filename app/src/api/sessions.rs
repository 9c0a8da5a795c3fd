//! Manage > Access (IAM) > Sessions: the account-wide search and the bulk end, for the
//! owner and administrators. Each authenticates, checks that the caller manages the
//! account, and makes one call into `service::account_sessions`.

use crate::domain::search::FilterInput;
use crate::domain::Password;
use crate::error::AppError;
use crate::model::{AccountSessionsPage, BulkOutcome, BulkPreview, BulkTarget};
use chrono::{DateTime, Utc};
use leptos::prelude::*;

#[server(endpoint = "account_sessions")]
pub async fn account_sessions(
    filter: FilterInput,
    sort: String,
    cursor: String,
) -> Result<AccountSessionsPage, AppError> {
    use crate::service::account_sessions::{search, PageRequest};
    use crate::ssr::server_fn::{manager, state, with_status};
    let caller = with_status(manager())?;
    let request = PageRequest {
        filter,
        sort,
        cursor,
        limit: None,
    };
    with_status(search(&state()?, &caller, &request).await)
}

/// Counts what ending `target` would end, ending nothing.
#[server(endpoint = "account_sessions_preview_end")]
pub async fn preview_bulk_end(target: BulkTarget) -> Result<BulkPreview, AppError> {
    use crate::service::account_sessions::preview_bulk_end;
    use crate::ssr::server_fn::{manager, state, with_status};
    let caller = with_status(manager())?;
    with_status(preview_bulk_end(&state()?, &caller, &target).await)
}

/// Ends every active session `target` matches now that signed in by `as_of`.
#[server(endpoint = "account_sessions_end")]
pub async fn bulk_end_sessions(
    target: BulkTarget,
    reason: String,
    include_current: bool,
    as_of: Option<DateTime<Utc>>,
    password: Option<Password>,
) -> Result<BulkOutcome, AppError> {
    use crate::service::account_sessions::{bulk_end, BulkEnd};
    use crate::ssr::server_fn::{manager, state, with_status};
    let caller = with_status(manager())?;
    let request = BulkEnd {
        target,
        reason,
        include_current,
        as_of,
        password: password.map(Password::into_inner),
    };
    with_status(bulk_end(&state()?, &caller, request).await)
}
