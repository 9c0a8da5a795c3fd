//! Manage > Access (IAM): the owner and administrators list the account's users and end
//! their sessions. Callers have checked that the caller manages the account; these
//! resolve ids only within the caller's account, so nothing of another is reachable.

use super::end::{end_all_of_user, end_sessions, Selection};
use super::liveness;
use super::rows::session_row;
use super::throttle::must_reauthenticate;
use crate::domain::{EndReason, SessionView};
use crate::error::AppError;
use crate::model::{Caller, SessionList, UserDetails, UserListing, UsersPage};
use crate::ssr::AppState;
use crate::store::{SessionEnd, UserQuery};
use uuid::Uuid;

pub const PAGE_SIZE: u32 = 50;

/// One page of the account's users.
pub async fn list_users(
    state: &AppState,
    caller: &Caller,
    search: String,
    sort: crate::model::UserSort,
    page: u32,
) -> Result<UsersPage, AppError> {
    if search.chars().count() > 200 {
        return Err(AppError::invalid("search", "Search for at most 200 characters"));
    }
    let page = page.max(1);
    let now = state.clock.now();
    let query = UserQuery {
        search,
        sort,
        offset: i64::from(page - 1) * i64::from(PAGE_SIZE),
        limit: i64::from(PAGE_SIZE),
    };
    let found = state
        .store
        .list_users(caller.account_id, &query, liveness(&caller.settings, now))
        .await?;
    Ok(UsersPage {
        users: found.users,
        total: found.total,
        page,
        page_size: PAGE_SIZE,
        now,
    })
}

/// A member of the caller's own account; any other id is "not found".
async fn member(state: &AppState, caller: &Caller, user_id: Uuid) -> Result<UserListing, AppError> {
    let live = liveness(&caller.settings, state.clock.now());
    state
        .store
        .member(caller.account_id, user_id, live)
        .await?
        .ok_or(AppError::NotFound)
}

/// A member the caller may sign out: an administrator may not end the owner's sessions.
async fn member_to_end(state: &AppState, caller: &Caller, user_id: Uuid) -> Result<UserListing, AppError> {
    let user = member(state, caller, user_id).await?;
    if caller.role.can_end_sessions_of(user.role) {
        Ok(user)
    } else {
        Err(AppError::Forbidden)
    }
}

pub async fn user_details(state: &AppState, caller: &Caller, user_id: Uuid) -> Result<UserDetails, AppError> {
    let user = member(state, caller, user_id).await?;
    Ok(UserDetails {
        can_end_sessions: caller.role.can_end_sessions_of(user.role),
        user,
        now: state.clock.now(),
    })
}

pub async fn user_sessions(
    state: &AppState,
    caller: &Caller,
    user_id: Uuid,
    view: SessionView,
) -> Result<SessionList, AppError> {
    let user = member(state, caller, user_id).await?;
    let now = state.clock.now();
    let settings = &caller.settings;
    let listings = state
        .store
        .sessions_of_user(caller.account_id, user_id, view, liveness(settings, now))
        .await?;
    Ok(SessionList {
        user_name: user.display_name,
        sessions: listings
            .into_iter()
            .map(|l| session_row(l, settings, now, caller.session_id))
            .collect(),
        can_end: caller.role.can_end_sessions_of(user.role),
        reauthenticate: must_reauthenticate(state, caller),
        now,
    })
}

fn by_administrator(state: &AppState, caller: &Caller) -> SessionEnd {
    SessionEnd::by_caller(caller, EndReason::EndedByAdministrator, state.clock.now())
}

/// Ends one session of a user. Already ended (by someone else a moment ago) is fine:
/// the outcome is the same. A session of another user is "not found".
pub async fn end_user_session(
    state: &AppState,
    caller: &Caller,
    user_id: Uuid,
    session_id: Uuid,
) -> Result<(), AppError> {
    member_to_end(state, caller, user_id).await?;
    let selection = Selection::Ids {
        ids: vec![session_id],
        user_id: Some(user_id),
    };
    let end = by_administrator(state, caller);
    let ended = end_sessions(&*state.store, caller.account_id, selection, end).await?;
    if ended.is_empty() {
        let found = state.store.session(caller.account_id, session_id).await?;
        if found.is_none_or(|s| s.user_id != user_id) {
            return Err(AppError::NotFound);
        }
    }
    Ok(())
}

/// Ends every live session of a user, after the password when the caller signed in
/// long ago. Returns how many ended.
pub async fn end_all_user_sessions(
    state: &AppState,
    caller: &Caller,
    user_id: Uuid,
    password: Option<String>,
) -> Result<u64, AppError> {
    member_to_end(state, caller, user_id).await?;
    let reason = EndReason::EndedByAdministrator;
    end_all_of_user(state, caller, user_id, None, reason, password).await
}
