//! `/api/v1/account/sessions`: the account-wide session search and bulk end, for the
//! owner's and administrators' automation (bearer token or session cookie). Filters are
//! the query parameters of the console's Sessions page; refused fields answer 422, each
//! with its message.

use super::manager;
use app::domain::search::{FilterField, FilterInput};
use app::error::{AppError, FieldError};
use app::model::{AccountSessionRow, BulkOutcome, BulkPreview, BulkTarget};
use app::service::account_sessions::{bulk_end, preview_bulk_end, search, BulkEnd, PageRequest};
use app::ssr::auth::RequestContext;
use app::ssr::AppState;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;

fn unknown(key: &str, what: &str) -> FieldError {
    FieldError {
        field: key.to_string(),
        message: format!("Unknown {what}"),
    }
}

#[derive(Serialize)]
pub struct SessionsBody {
    sessions: Vec<SessionJson>,
    total: i64,
    next_cursor: Option<String>,
}

#[derive(Serialize)]
struct Holder {
    id: Uuid,
    name: String,
    email: String,
}

#[derive(Serialize)]
struct Ended {
    at: DateTime<Utc>,
    description: String,
}

#[derive(Serialize)]
struct SessionJson {
    id: Uuid,
    user: Holder,
    device: app::domain::device::Device,
    ip: String,
    first_ip: String,
    credential: &'static str,
    signed_in_at: DateTime<Utc>,
    last_active_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    state: &'static str,
    ended: Option<Ended>,
    current: bool,
    can_end: bool,
}

impl From<AccountSessionRow> for SessionJson {
    fn from(s: AccountSessionRow) -> Self {
        let row = s.row;
        SessionJson {
            id: row.id,
            user: Holder {
                id: s.user_id,
                name: s.user_name,
                email: s.user_email,
            },
            device: row.device,
            ip: row.ip,
            first_ip: row.first_ip,
            credential: row.kind.as_str(),
            signed_in_at: row.signed_in_at,
            last_active_at: row.last_active_at,
            expires_at: row.expires_at,
            state: if row.ended.is_some() { "ended" } else { "active" },
            ended: row.ended.map(|e| Ended {
                at: e.at,
                description: e.description,
            }),
            current: row.current,
            can_end: s.can_end,
        }
    }
}

/// `GET /api/v1/account/sessions?ip=…&state=…&sort=…&cursor=…&limit=…`
pub async fn list(
    State(state): State<AppState>,
    Extension(context): Extension<Arc<RequestContext>>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Json<SessionsBody>, AppError> {
    let caller = manager(&context)?;
    let Query(pairs) = query.map_err(|e| AppError::invalid("query", e.body_text()))?;
    let mut request = PageRequest::default();
    let mut refused = Vec::new();
    for (key, value) in pairs {
        match key.as_str() {
            "sort" => request.sort = value,
            "cursor" => request.cursor = value,
            "limit" => match value.parse() {
                Ok(n) => request.limit = Some(n),
                Err(_) => refused.push(FieldError {
                    field: FilterField::Limit.key().into(),
                    message: "Must be a whole number".into(),
                }),
            },
            _ if request.filter.set(&key, value.clone()) => {}
            _ => refused.push(unknown(&key, "query parameter")),
        }
    }
    if !refused.is_empty() {
        return Err(AppError::InvalidInput(refused));
    }
    let page = search(&state, caller, &request).await?;
    Ok(Json(SessionsBody {
        sessions: page.sessions.into_iter().map(SessionJson::from).collect(),
        total: page.total,
        next_cursor: page.next_cursor,
    }))
}

/// The body of `POST /api/v1/account/sessions/end`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndBody {
    /// The search whose active sessions end; `{}` is every session of the account.
    filter: Option<serde_json::Map<String, serde_json::Value>>,
    /// Or these sessions.
    session_ids: Option<Vec<Uuid>>,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    dry_run: bool,
    #[serde(default)]
    include_current_session: bool,
    as_of: Option<DateTime<Utc>>,
    password: Option<String>,
}

#[derive(Serialize)]
#[serde(untagged)]
pub enum EndAnswer {
    Preview(BulkPreview),
    Outcome(BulkOutcome),
}

/// The filter object of a request body: string values under the filter's keys.
fn filter_of(body: serde_json::Map<String, serde_json::Value>) -> Result<FilterInput, AppError> {
    let mut filter = FilterInput::default();
    let mut refused = Vec::new();
    for (key, value) in body {
        let serde_json::Value::String(value) = value else {
            refused.push(FieldError {
                field: key,
                message: "Must be a string".into(),
            });
            continue;
        };
        if !filter.set(&key, value) {
            refused.push(unknown(&key, "filter"));
        }
    }
    if refused.is_empty() {
        Ok(filter)
    } else {
        Err(AppError::InvalidInput(refused))
    }
}

/// `POST /api/v1/account/sessions/end`: ends every active session a filter matches (or
/// the listed ones); with `dry_run`, only counts them.
pub async fn end(
    State(state): State<AppState>,
    Extension(context): Extension<Arc<RequestContext>>,
    body: Result<Json<EndBody>, JsonRejection>,
) -> Result<Response, AppError> {
    let caller = manager(&context)?;
    let Json(body) = body.map_err(|e| AppError::invalid("body", e.body_text()))?;
    let target = match (body.filter, body.session_ids) {
        (Some(filter), None) => BulkTarget {
            filter: filter_of(filter)?,
            session_ids: None,
        },
        (None, Some(ids)) => BulkTarget {
            filter: FilterInput::default(),
            session_ids: Some(ids),
        },
        _ => {
            return Err(AppError::invalid(
                "filter",
                "Send either a filter (an empty one for every session) or session_ids",
            ))
        }
    };
    if body.dry_run {
        let preview = preview_bulk_end(&state, caller, &target).await?;
        return Ok(Json(EndAnswer::Preview(preview)).into_response());
    }
    let request = BulkEnd {
        target,
        reason: body.reason,
        include_current: body.include_current_session,
        as_of: body.as_of,
        password: body.password,
    };
    let outcome = bulk_end(&state, caller, request).await?;
    Ok(Json(EndAnswer::Outcome(outcome)).into_response())
}
