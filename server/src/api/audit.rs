//! `/api/v1/account/audit-events`: the account's audit log for the owner's and
//! administrators' tools (bearer token or session cookie), in pages or exported whole
//! as CSV or JSON Lines. Filters are the query parameters of the console's Audit log
//! page; refused fields answer 422, each with its message.

use super::manager;
use app::domain::audit::{AuditField, AuditFilterInput, ExportFormat};
use app::error::{AppError, FieldError};
use app::model::AuditRow;
use app::service::audit::{check_filter, export as export_events, page, PageRequest};
use app::ssr::auth::RequestContext;
use app::ssr::AppState;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use futures_util::StreamExt;
use serde::Serialize;
use std::sync::Arc;

/// The query's filter, and the other parameters `extra` takes; unknown keys are refused.
fn read_query(
    pairs: Vec<(String, String)>,
    mut extra: impl FnMut(&str, String) -> Option<Result<(), FieldError>>,
) -> Result<AuditFilterInput, AppError> {
    let mut filter = AuditFilterInput::default();
    let mut refused = Vec::new();
    for (key, value) in pairs {
        match extra(&key, value.clone()) {
            Some(Ok(())) => {}
            Some(Err(e)) => refused.push(e),
            None if filter.set(&key, value) => {}
            None => refused.push(FieldError {
                field: key,
                message: "Unknown query parameter".into(),
            }),
        }
    }
    if refused.is_empty() {
        Ok(filter)
    } else {
        Err(AppError::InvalidInput(refused))
    }
}

#[derive(Serialize)]
pub struct EventsBody {
    events: Vec<AuditRow>,
    next_cursor: Option<String>,
}

/// `GET /api/v1/account/audit-events?event=…&actor=…&target=…&ip=…&after=…&before=…&cursor=…&limit=…`
pub async fn list(
    State(state): State<AppState>,
    Extension(context): Extension<Arc<RequestContext>>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Json<EventsBody>, AppError> {
    let caller = manager(&context)?;
    let Query(pairs) = query.map_err(|e| AppError::invalid("query", e.body_text()))?;
    let (mut cursor, mut limit) = (String::new(), None);
    let filter = read_query(pairs, |key, value| match key {
        "cursor" => {
            cursor = value;
            Some(Ok(()))
        }
        "limit" => Some(match value.parse() {
            Ok(n) => {
                limit = Some(n);
                Ok(())
            }
            Err(_) => Err(FieldError {
                field: AuditField::Limit.key().into(),
                message: "Must be a whole number".into(),
            }),
        }),
        _ => None,
    })?;
    let request = PageRequest {
        filter,
        cursor,
        limit,
    };
    let page = page(&state, caller, &request).await?;
    Ok(Json(EventsBody {
        events: page.events,
        next_cursor: page.next_cursor,
    }))
}

/// `GET /api/v1/account/audit-events/export?format=csv|jsonl&…filters`: every matching
/// event, newest first, streamed as a download.
pub async fn export(
    State(state): State<AppState>,
    Extension(context): Extension<Arc<RequestContext>>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, AppError> {
    let caller = manager(&context)?;
    let Query(pairs) = query.map_err(|e| AppError::invalid("query", e.body_text()))?;
    let mut format = Ok(ExportFormat::Csv);
    let input = read_query(pairs, |key, value| {
        (key == "format").then(|| {
            format = ExportFormat::parse(&value);
            Ok(())
        })
    })?;
    let format = format.map_err(|p| AppError::invalid(p.field.key(), p.message))?;
    let filter = check_filter(&input)?;
    let now = state.clock.now();
    let filename = format!(
        "audit-events-{}.{}",
        now.format("%Y%m%dT%H%M%SZ"),
        format.extension()
    );
    // Fused: a compressing body polls once more after the end, which `unfold` forbids.
    let mut chunks = Box::pin(export_events(state, caller.account_id, filter, format).fuse());
    // The first batch is read before answering, so a database that fails at once gets
    // its 5xx; a failure later can only cut the download short (the status is sent).
    let first = chunks.next().await.transpose()?;
    let chunks = futures_util::stream::iter(first.map(Ok))
        .chain(chunks)
        .map(|chunk| chunk.map_err(|e| std::io::Error::other(e.to_string())));
    let mut response = Body::from_stream(chunks).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
