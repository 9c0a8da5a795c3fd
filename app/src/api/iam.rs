//! Manage > Access (IAM): the account's users and their sessions, for the owner and
//! administrators. Each function authenticates, checks that the caller manages the
//! account, and makes one call into `service::iam`.

use crate::domain::{Password, SessionView};
use crate::error::AppError;
use crate::model::{SessionList, UserDetails, UserSort, UsersPage};
use leptos::prelude::*;
use uuid::Uuid;

#[server(endpoint = "iam_list_users")]
pub async fn list_users(search: String, sort: UserSort, page: u32) -> Result<UsersPage, AppError> {
    use crate::ssr::server_fn::{manager, state, with_status};
    let caller = with_status(manager())?;
    with_status(crate::service::iam::list_users(&state()?, &caller, search, sort, page).await)
}

#[server(endpoint = "iam_user")]
pub async fn get_user(user_id: Uuid) -> Result<UserDetails, AppError> {
    use crate::ssr::server_fn::{manager, state, with_status};
    let caller = with_status(manager())?;
    with_status(crate::service::iam::user_details(&state()?, &caller, user_id).await)
}

#[server(endpoint = "iam_user_sessions")]
pub async fn user_sessions(user_id: Uuid, view: SessionView) -> Result<SessionList, AppError> {
    use crate::ssr::server_fn::{manager, state, with_status};
    let caller = with_status(manager())?;
    with_status(crate::service::iam::user_sessions(&state()?, &caller, user_id, view).await)
}

/// Ends one session of a user of the caller's account.
#[server(endpoint = "iam_end_session")]
pub async fn end_user_session(user_id: Uuid, session_id: Uuid) -> Result<(), AppError> {
    use crate::ssr::server_fn::{manager, state, with_status};
    let caller = with_status(manager())?;
    with_status(crate::service::iam::end_user_session(&state()?, &caller, user_id, session_id).await)
}

/// Ends every active session of a user of the caller's account. Returns how many ended.
/// A caller signed in long ago confirms with the password.
#[server(endpoint = "iam_end_all_sessions")]
pub async fn end_all_user_sessions(user_id: Uuid, password: Option<Password>) -> Result<u64, AppError> {
    use crate::service::iam::end_all_user_sessions;
    use crate::ssr::server_fn::{manager, state, with_status};
    let caller = with_status(manager())?;
    let password = password.map(Password::into_inner);
    with_status(end_all_user_sessions(&state()?, &caller, user_id, password).await)
}
