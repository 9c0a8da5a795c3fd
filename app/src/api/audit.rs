//! Manage > Access (IAM) > Audit log: one page of the account's events, for the owner
//! and administrators. The export is a plain download (`/api/v1/account/audit-events/export`).

use crate::domain::audit::AuditFilterInput;
use crate::error::AppError;
use crate::model::AuditPage;
use leptos::prelude::*;

#[server(endpoint = "audit_events")]
pub async fn audit_events(filter: AuditFilterInput, cursor: String) -> Result<AuditPage, AppError> {
    use crate::service::audit::{page, PageRequest};
    use crate::ssr::server_fn::{manager, state, with_status};
    let caller = with_status(manager())?;
    let request = PageRequest {
        filter,
        cursor,
        limit: None,
    };
    with_status(page(&state()?, &caller, &request).await)
}
