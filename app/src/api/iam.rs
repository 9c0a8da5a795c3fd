//! Manage > Access (IAM): the account's users and their sessions, for the owner and
//! administrators. Every function checks the caller's role in their own account and
//! resolves ids only within it, so nothing of another account is ever reachable.

use crate::domain::SessionView;
use crate::error::AppError;
use crate::model::{SessionList, UserDetails, UserSort, UsersPage};
use leptos::prelude::*;
use uuid::Uuid;

pub const PAGE_SIZE: u32 = 50;

#[cfg(feature = "ssr")]
mod guard {
    use crate::error::AppError;
    use crate::model::{Caller, UserListing};
    use crate::ssr::sessions::liveness;
    use crate::ssr::AppState;
    use uuid::Uuid;

    /// The caller, if they may manage their account's users.
    pub fn manager() -> Result<Caller, AppError> {
        let caller = crate::ssr::server_fn::caller()?;
        if caller.role.can_manage_account() {
            Ok(caller)
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// The caller, if they may end the sessions of `user_id`: a member of their own
    /// account ("not found" otherwise) whom their role lets them sign out.
    pub async fn may_end_sessions_of(state: &AppState, user_id: Uuid) -> Result<Caller, AppError> {
        let caller = manager()?;
        let user = member_of_callers_account(state, &caller, user_id).await?;
        if caller.role.can_end_sessions_of(user.role) {
            Ok(caller)
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// A member of the caller's own account; any other id is "not found".
    pub async fn member_of_callers_account(
        state: &AppState,
        caller: &Caller,
        user_id: Uuid,
    ) -> Result<UserListing, AppError> {
        let settings = state.store.login_session_settings(caller.account_id).await?;
        let live = liveness(&settings, state.clock.now());
        state
            .store
            .member(caller.account_id, user_id, live)
            .await?
            .ok_or(AppError::NotFound)
    }
}

#[server(endpoint = "iam_list_users")]
pub async fn list_users(search: String, sort: UserSort, page: u32) -> Result<UsersPage, AppError> {
    use crate::ssr::server_fn::{respond, state};
    use crate::ssr::sessions::liveness;
    use crate::store::UserQuery;
    respond(
        async move {
            let caller = guard::manager()?;
            let state = state()?;
            if search.chars().count() > 200 {
                return Err(AppError::invalid("search", "Search for at most 200 characters"));
            }
            let page = page.max(1);
            let now = state.clock.now();
            let settings = state.store.login_session_settings(caller.account_id).await?;
            let query = UserQuery {
                search,
                sort,
                offset: i64::from(page - 1) * i64::from(PAGE_SIZE),
                limit: i64::from(PAGE_SIZE),
            };
            let found = state
                .store
                .list_users(caller.account_id, &query, liveness(&settings, now))
                .await?;
            Ok(UsersPage {
                users: found.users,
                total: found.total,
                page,
                page_size: PAGE_SIZE,
                now,
            })
        }
        .await,
    )
}

#[server(endpoint = "iam_user")]
pub async fn get_user(user_id: Uuid) -> Result<UserDetails, AppError> {
    use crate::ssr::server_fn::{respond, state};
    respond(
        async move {
            let caller = guard::manager()?;
            let state = state()?;
            let user = guard::member_of_callers_account(&state, &caller, user_id).await?;
            let can_end_sessions = caller.role.can_end_sessions_of(user.role);
            Ok(UserDetails {
                user,
                can_end_sessions,
                now: state.clock.now(),
            })
        }
        .await,
    )
}

#[server(endpoint = "iam_user_sessions")]
pub async fn user_sessions(user_id: Uuid, view: SessionView) -> Result<SessionList, AppError> {
    use crate::ssr::server_fn::{respond, state};
    use crate::ssr::sessions::liveness;
    use crate::ssr::views::session_row;
    respond(
        async move {
            let caller = guard::manager()?;
            let state = state()?;
            let user = guard::member_of_callers_account(&state, &caller, user_id).await?;
            let now = state.clock.now();
            let settings = state.store.login_session_settings(caller.account_id).await?;
            let listings = state
                .store
                .sessions_of_user(caller.account_id, user_id, view, liveness(&settings, now))
                .await?;
            let sessions = listings
                .into_iter()
                .map(|l| session_row(l, &settings, now, caller.session_id))
                .collect();
            Ok(SessionList {
                user_name: user.display_name,
                sessions,
                can_end: caller.role.can_end_sessions_of(user.role),
                reauthenticate: false,
                now,
            })
        }
        .await,
    )
}

/// Ends one session of a user of the caller's account.
#[server(endpoint = "iam_end_session")]
pub async fn end_user_session(user_id: Uuid, session_id: Uuid) -> Result<(), AppError> {
    use crate::domain::EndReason;
    use crate::ssr::server_fn::{respond, state};
    use crate::store::SessionEnd;
    respond(
        async move {
            let state = state()?;
            let caller = guard::may_end_sessions_of(&state, user_id).await?;
            let session = state.store.session(caller.account_id, session_id).await?;
            if session.is_none_or(|s| s.user_id != user_id) {
                return Err(AppError::NotFound);
            }
            let end = SessionEnd {
                at: state.clock.now(),
                by: Some(caller.user_id),
                reason: EndReason::EndedByAdministrator,
            };
            // Already ended (by someone else a moment ago) is fine: the outcome is the same.
            state
                .store
                .end_session(caller.account_id, session_id, &end)
                .await?;
            tracing::info!(by = %caller.user_id, session = %session_id, "session ended by an administrator");
            Ok(())
        }
        .await,
    )
}

/// Ends every active session of a user of the caller's account. Returns how many ended.
#[server(endpoint = "iam_end_all_sessions")]
pub async fn end_all_user_sessions(user_id: Uuid) -> Result<u64, AppError> {
    use crate::domain::EndReason;
    use crate::ssr::server_fn::{respond, state};
    use crate::ssr::sessions::end_all_of_user;
    respond(
        async move {
            let state = state()?;
            let caller = guard::may_end_sessions_of(&state, user_id).await?;
            end_all_of_user(
                &state,
                caller.account_id,
                user_id,
                &caller,
                EndReason::EndedByAdministrator,
                None,
            )
            .await
        }
        .await,
    )
}
