//! Manage > Access (IAM) > Sessions: every session of the account, searched by holder,
//! address range, device, credential, state and time, and ended in bulk during an
//! incident. Callers have checked that the caller manages the account.

use super::end::{end_sessions, Selection};
use super::liveness;
use super::rows::session_row;
use super::throttle::{confirm_recent_sign_in, must_reauthenticate};
use crate::domain::search::{Cursor, FilterField, FilterInput, FilterProblem, SessionFilter, SessionSort};
use crate::domain::{EndReason, Role, SessionView};
use crate::error::AppError;
use crate::model::{AccountSessionRow, AccountSessionsPage, BulkOutcome, BulkPreview, BulkTarget, Caller};
use crate::ssr::AppState;
use crate::store::{SessionEnd, SessionMatch, SessionQuery};
use chrono::{DateTime, Duration, Utc};
use std::collections::HashSet;
use uuid::Uuid;

pub const PAGE_SIZE: i64 = 50;
pub const MAX_PAGE_SIZE: i64 = 200;
/// Rows a person can pick by hand: more than any page shows.
pub const MAX_PICKED: usize = 500;
pub const MAX_REASON_CHARS: usize = 500;
/// Past this many matches, a page is found by walking the sort order (see
/// `SessionQuery::many_matches`); measured with `make bench`, see docs/performance.md.
const MANY_MATCHES: i64 = 10_000;
/// Up to this many people matched by name or email are looked up once and listed in
/// each statement of a search; a text matching more is matched by each statement.
const MAX_LISTED_PEOPLE: i64 = 200;

/// The one error for refused filter fields, each at its field.
pub fn invalid(problems: Vec<FilterProblem>) -> AppError {
    AppError::fields(problems.into_iter().map(|p| (p.field.key(), p.message)))
}

/// Which page of which search: as typed, checked here.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    pub filter: FilterInput,
    pub sort: String,
    pub cursor: String,
    pub limit: Option<i64>,
}

/// One page of the account's sessions that the filter matches, and how many match.
pub async fn search(
    state: &AppState,
    caller: &Caller,
    request: &PageRequest,
) -> Result<AccountSessionsPage, AppError> {
    let mut problems = Vec::new();
    let filter = request.filter.parse().map_err(|p| problems.extend(p)).ok();
    let sort = SessionSort::parse(&request.sort)
        .map_err(|p| problems.push(p))
        .ok();
    let after = Cursor::parse(&request.cursor).map_err(|p| problems.push(p)).ok();
    let limit = request.limit.unwrap_or(PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&limit) {
        problems.push(FilterProblem {
            field: FilterField::Limit,
            message: format!("Ask for 1 to {MAX_PAGE_SIZE} sessions"),
        });
    }
    let (Some(filter), Some(sort), Some(after)) = (filter, sort, after) else {
        return Err(invalid(problems));
    };
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let now = state.clock.now();
    let settings = &caller.settings;
    let matching = people_found(state, caller, SessionMatch::new(filter, liveness(settings, now))).await?;
    let total = state
        .store
        .count_sessions(caller.account_id, &matching, false)
        .await?
        .sessions;
    let query = SessionQuery {
        matching,
        sort,
        after,
        // One more than shown tells whether another page follows.
        limit: limit + 1,
        many_matches: total > MANY_MATCHES,
    };
    let mut found = state.store.search_sessions(caller.account_id, &query).await?;
    let more = found.len() as i64 > limit;
    found.truncate(usize::try_from(limit).unwrap_or_default());
    let next_cursor = more.then(|| found.last()).flatten().map(|last| {
        let s = &last.listing.session;
        let at = match sort {
            SessionSort::SignedIn => s.created_at,
            SessionSort::LastActive => s.last_active_at,
        };
        Cursor { at, id: s.id }.to_string()
    });
    let sessions = found
        .into_iter()
        .map(|found| AccountSessionRow {
            user_id: found.listing.session.user_id,
            user_name: found.user_name,
            user_email: found.user_email,
            can_end: caller.role.can_end_sessions_of(found.user_role),
            row: session_row(found.listing, settings, now, caller.session_id),
        })
        .collect();
    Ok(AccountSessionsPage {
        sessions,
        total,
        next_cursor,
        now,
    })
}

/// Looks the filter's person text up once: a search runs several statements (the count,
/// a page, a bulk end's counts and its end), and matching the text reads the name of
/// every member of the account.
async fn people_found(
    state: &AppState,
    caller: &Caller,
    mut matching: SessionMatch,
) -> Result<SessionMatch, AppError> {
    if let Some(text) = &matching.filter.user {
        matching.people = state
            .store
            .members_matching(caller.account_id, text, MAX_LISTED_PEOPLE)
            .await?;
    }
    Ok(matching)
}

/// The sessions a bulk end would touch: active ones only, within what the caller may end.
async fn bulk_match(
    state: &AppState,
    caller: &Caller,
    target: &BulkTarget,
    now: DateTime<Utc>,
) -> Result<SessionMatch, AppError> {
    let mut filter = target.filter.parse().map_err(invalid)?;
    // Only what is live can end.
    if filter.state == SessionView::Ended {
        return Err(AppError::invalid(
            FilterField::State.key(),
            "Ended sessions cannot be ended again; choose active or all",
        ));
    }
    filter.state = SessionView::Active;
    let mut matching = people_found(
        state,
        caller,
        SessionMatch::new(filter, liveness(&caller.settings, now)),
    )
    .await?;
    if let Some(ids) = &target.session_ids {
        if ids.is_empty() {
            return Err(AppError::invalid("session_ids", "Select at least one session"));
        }
        if ids.len() > MAX_PICKED {
            return Err(AppError::invalid(
                "session_ids",
                format!("Select at most {MAX_PICKED} sessions, or end all matching sessions"),
            ));
        }
        let unique: Vec<Uuid> = ids.iter().copied().collect::<HashSet<_>>().into_iter().collect();
        // Every id picked must be a session of this account: another account's are
        // "not found", as everywhere, and nothing ends.
        let mut picked = SessionMatch::new(SessionFilter::any(), matching.live);
        picked.ids = Some(unique.clone());
        let found = state
            .store
            .count_sessions(caller.account_id, &picked, false)
            .await?;
        if found.sessions != unique.len() as i64 {
            return Err(AppError::NotFound);
        }
        matching.ids = Some(unique);
    }
    if !caller.role.can_end_sessions_of(Role::Owner) {
        matching.except_user = state.store.owner_of(caller.account_id).await?;
    }
    Ok(matching)
}

/// Counts what a bulk end would do, without ending anything.
pub async fn preview_bulk_end(
    state: &AppState,
    caller: &Caller,
    target: &BulkTarget,
) -> Result<BulkPreview, AppError> {
    let now = state.clock.now();
    let mut matching = bulk_match(state, caller, target, now).await?;
    matching.signed_in_by = Some(now);
    let (preview, includes_current) = counts(state, caller, &matching).await?;
    Ok(BulkPreview {
        sessions: preview.0,
        users: preview.1,
        owner_sessions_skipped: preview.2,
        includes_current,
        as_of: now,
        password_required: must_reauthenticate(state, caller),
    })
}

/// (sessions, users, owner's sessions skipped) of a match, the caller's own session
/// aside, and whether the caller's session matches.
async fn counts(
    state: &AppState,
    caller: &Caller,
    matching: &SessionMatch,
) -> Result<((i64, i64, i64), bool), AppError> {
    let store = &state.store;
    let mut others = matching.clone();
    others.except_session = Some(caller.session_id);
    let count = store.count_sessions(caller.account_id, &others, true).await?;
    let owner_sessions = owner_sessions(state, caller, matching).await?;
    let mut own = matching.clone();
    own.ids = Some(match &matching.ids {
        Some(ids) if !ids.contains(&caller.session_id) => Vec::new(),
        _ => vec![caller.session_id],
    });
    let includes_current = own.ids.as_ref().is_some_and(|ids| !ids.is_empty())
        && store
            .count_sessions(caller.account_id, &own, false)
            .await?
            .sessions
            > 0;
    Ok(((count.sessions, count.users, owner_sessions), includes_current))
}

/// The owner's sessions a match leaves out (an administrator may not end them).
async fn owner_sessions(state: &AppState, caller: &Caller, matching: &SessionMatch) -> Result<i64, AppError> {
    let Some(owner) = matching.except_user else {
        return Ok(0);
    };
    let mut owners = matching.clone();
    owners.except_user = None;
    owners.only_user = Some(owner);
    Ok(state
        .store
        .count_sessions(caller.account_id, &owners, false)
        .await?
        .sessions)
}

/// A confirmed bulk end, as the person or the API client sent it.
#[derive(Debug, Clone)]
pub struct BulkEnd {
    pub target: BulkTarget,
    /// Why, in the person's words; kept with every audit event.
    pub reason: String,
    /// Whether the caller's own current session ends too (signing them out).
    pub include_current: bool,
    /// When the person saw the preview; sessions that signed in later are left.
    pub as_of: Option<DateTime<Utc>>,
    pub password: Option<String>,
}

/// Checks the reason: required, at most 500 characters.
pub fn check_reason(reason: &str) -> Result<String, AppError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::invalid("reason", "Say why these sessions are ended"));
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(AppError::invalid(
            "reason",
            format!("Use at most {MAX_REASON_CHARS} characters"),
        ));
    }
    Ok(reason.to_string())
}

/// Ends every active session the target matches now (re-evaluated here, not taken
/// from the preview), through the one end-session operation, with one audit event per
/// session and one for the bulk end.
pub async fn bulk_end(state: &AppState, caller: &Caller, request: BulkEnd) -> Result<BulkOutcome, AppError> {
    let reason = check_reason(&request.reason)?;
    let now = state.clock.now();
    let mut matching = bulk_match(state, caller, &request.target, now).await?;
    confirm_recent_sign_in(state, caller, request.password).await?;
    let as_of = request.as_of.map_or(now, |at| at.min(now));
    matching.signed_in_by = Some(as_of);
    if !request.include_current {
        matching.except_session = Some(caller.session_id);
    }
    let owner_sessions_skipped = owner_sessions(state, caller, &matching).await?;
    let summary = serde_json::json!({
        "filter": request
            .target
            .filter
            .pairs()
            .into_iter()
            .map(|(k, v)| (k.to_string(), serde_json::Value::from(v)))
            .collect::<serde_json::Map<_, _>>(),
        "picked_sessions": request.target.session_ids.as_ref().map(Vec::len),
        "signed_in_by": as_of,
        "owner_sessions_skipped": owner_sessions_skipped,
        "included_current_session": request.include_current,
    });
    let selection = Selection::Matching {
        matching: Box::new(matching.clone()),
        summary,
    };
    let end = SessionEnd::by_caller(caller, EndReason::EndedByAdministrator, now).with_note(reason);
    let ended = end_sessions(&*state.store, caller.account_id, selection, end).await?;
    let users: HashSet<Uuid> = ended.iter().map(|s| s.user_id).collect();
    // What matches but signed in after the person looked: reported, not ended.
    let mut newer = matching;
    newer.signed_in_by = None;
    newer.except_session = Some(caller.session_id);
    let later = as_of + Duration::milliseconds(1);
    newer.filter.signed_in = newer.filter.signed_in.not_before(later);
    let newer_sessions_left = state
        .store
        .count_sessions(caller.account_id, &newer, false)
        .await?
        .sessions;
    Ok(BulkOutcome {
        ended: ended.len() as u64,
        users: users.len() as u64,
        owner_sessions_skipped,
        newer_sessions_left,
        signed_out: ended.iter().any(|s| s.id == caller.session_id),
    })
}
