//! Manage > Access (IAM) > Audit log: pages of the account's events a filter matches,
//! and the same filter exported whole, streamed in keyset batches so memory stays flat
//! however long the log is. Callers have checked that the caller manages the account.

use crate::domain::audit::{AuditField, AuditFilter, AuditFilterInput, AuditProblem, ExportFormat};
use crate::domain::search::Cursor;
use crate::error::AppError;
use crate::model::{AuditPage, AuditRow, Caller};
use crate::ssr::AppState;
use crate::store::AuditQuery;
use futures_util::stream::{self, Stream};

pub const PAGE_SIZE: i64 = 50;
pub const MAX_PAGE_SIZE: i64 = 200;
/// Events read per query while exporting.
const EXPORT_BATCH: i64 = 500;

/// The one error for refused filter fields, each at its field.
fn invalid(problems: Vec<AuditProblem>) -> AppError {
    AppError::fields(problems.into_iter().map(|p| (p.field.key(), p.message)))
}

fn cursor(value: &str) -> Result<Option<Cursor>, AuditProblem> {
    Cursor::parse(value).map_err(|p| AuditProblem {
        field: AuditField::Cursor,
        message: p.message,
    })
}

/// Which page of which filter, as typed; checked here.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    pub filter: AuditFilterInput,
    pub cursor: String,
    pub limit: Option<i64>,
}

/// The filter, checked: a 422 naming each refused field.
pub fn check_filter(input: &AuditFilterInput) -> Result<AuditFilter, AppError> {
    input.parse().map_err(invalid)
}

/// One page of the account's events the filter matches, newest first.
pub async fn page(state: &AppState, caller: &Caller, request: &PageRequest) -> Result<AuditPage, AppError> {
    let mut problems = Vec::new();
    let filter = request.filter.parse().map_err(|p| problems.extend(p)).ok();
    let after = cursor(&request.cursor).map_err(|p| problems.push(p)).ok();
    let limit = request.limit.unwrap_or(PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&limit) {
        problems.push(AuditProblem {
            field: AuditField::Limit,
            message: format!("Ask for 1 to {MAX_PAGE_SIZE} events"),
        });
    }
    let (Some(filter), Some(after), true) = (filter, after, problems.is_empty()) else {
        return Err(invalid(problems));
    };
    // One more than the page: whether there is a next page, without counting.
    let query = AuditQuery {
        filter,
        after,
        limit: limit + 1,
    };
    let mut events = state.store.audit_events_page(caller.account_id, &query).await?;
    let next_cursor = if events.len() as i64 > limit {
        events.truncate(limit as usize);
        events.last().map(|e| {
            Cursor {
                at: e.occurred_at,
                id: e.id,
            }
            .to_string()
        })
    } else {
        None
    };
    Ok(AuditPage {
        events,
        next_cursor,
        now: state.clock.now(),
    })
}

/// The columns of a CSV export, in order.
pub const CSV_HEADER: [&str; 12] = [
    "occurred_at",
    "event",
    "actor_id",
    "actor_name",
    "actor_email",
    "target_user_id",
    "target_name",
    "target_email",
    "session_id",
    "ip",
    "user_agent",
    "details",
];

/// A spreadsheet runs a cell that starts like a formula: text people typed (a user
/// agent, a name) is kept as text by a leading apostrophe.
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

fn csv_record(e: &AuditRow) -> [String; 12] {
    let id = |id: Option<uuid::Uuid>| id.map(|i| i.to_string()).unwrap_or_default();
    let (actor_id, actor_name, actor_email) = match &e.actor {
        Some(p) => (p.id.to_string(), cell(&p.name), cell(&p.email)),
        None => (String::new(), "system".to_string(), String::new()),
    };
    let (target_id, target_name, target_email) = match &e.target_user {
        Some(p) => (p.id.to_string(), cell(&p.name), cell(&p.email)),
        None => Default::default(),
    };
    [
        e.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        e.event.as_str().to_string(),
        actor_id,
        actor_name,
        actor_email,
        target_id,
        target_name,
        target_email,
        id(e.session_id),
        cell(e.ip.as_deref().unwrap_or_default()),
        cell(e.user_agent.as_deref().unwrap_or_default()),
        e.details.to_string(),
    ]
}

/// `rows` written in `format`, with the CSV header first when `header`.
pub fn encode(rows: &[AuditRow], format: ExportFormat, header: bool) -> Result<Vec<u8>, AppError> {
    let failed = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "writing an audit export failed");
        AppError::Internal
    };
    match format {
        ExportFormat::Csv => {
            let mut out = csv::Writer::from_writer(Vec::new());
            if header {
                out.write_record(CSV_HEADER).map_err(|e| failed(&e))?;
            }
            for row in rows {
                out.write_record(csv_record(row)).map_err(|e| failed(&e))?;
            }
            out.into_inner().map_err(|e| failed(&e))
        }
        ExportFormat::JsonLines => {
            let mut out = Vec::new();
            for row in rows {
                serde_json::to_writer(&mut out, row).map_err(|e| failed(&e))?;
                out.push(b'\n');
            }
            Ok(out)
        }
    }
}

/// Every event the filter matches, newest first, as chunks of the file: one query of
/// `EXPORT_BATCH` events per chunk, each starting after the last one read. The next batch
/// is read while this one is encoded and sent, so the database's thread and the request's
/// work at once; at most two batches wait (the channel's one and the one being read).
/// A client that hangs up drops the receiver, and the reader stops at its next batch.
pub fn export(
    state: AppState,
    account_id: uuid::Uuid,
    filter: AuditFilter,
    format: ExportFormat,
) -> impl Stream<Item = Result<Vec<u8>, AppError>> + Send + 'static {
    let (batches, received) = tokio::sync::mpsc::channel::<Result<Vec<AuditRow>, AppError>>(1);
    tokio::spawn(async move {
        let mut after = None;
        loop {
            let query = AuditQuery {
                filter: filter.clone(),
                after,
                limit: EXPORT_BATCH,
            };
            let read = state.store.audit_events_page(account_id, &query).await;
            let (last, next) = match &read {
                Ok(rows) => (
                    (rows.len() as i64) < EXPORT_BATCH,
                    rows.last().map(|e| Cursor {
                        at: e.occurred_at,
                        id: e.id,
                    }),
                ),
                Err(_) => (true, None),
            };
            if batches.send(read.map_err(AppError::from)).await.is_err() || last {
                break;
            }
            after = next;
        }
    });
    // `done` once a short batch or an error came: a channel that closes before that lost
    // its reader (a panic), and the file ends in an error rather than looking whole.
    stream::unfold(
        (received, true, false),
        move |(mut received, first, done)| async move {
            let read = match received.recv().await {
                Some(read) => read,
                None if done => return None,
                None => {
                    tracing::error!("the audit export's reader stopped before the last batch");
                    return Some((Err(AppError::Internal), (received, false, true)));
                }
            };
            let last = read
                .as_ref()
                .map_or(true, |rows| (rows.len() as i64) < EXPORT_BATCH);
            let chunk = read.and_then(|rows| encode(&rows, format, first));
            Some((chunk, (received, false, last)))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::audit::AuditAction;
    use crate::model::AuditPerson;
    use uuid::Uuid;

    fn row(agent: &str, note: &str) -> AuditRow {
        AuditRow {
            id: Uuid::from_u128(1),
            occurred_at: chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
            event: AuditAction::SessionEnded,
            actor: Some(AuditPerson {
                id: Uuid::from_u128(2),
                name: "=HYPERLINK(\"x\")".into(),
                email: "adam@example.com".into(),
            }),
            target_user: None,
            session_id: Some(Uuid::from_u128(3)),
            ip: Some("203.0.113.9".into()),
            user_agent: Some(agent.into()),
            details: serde_json::json!({ "reason": "ended_by_administrator", "note": note }),
        }
    }

    #[test]
    fn csv_quotes_commas_quotes_and_newlines_and_defuses_formulas() {
        let rows = [row(
            "Agent, \"quoted\"\nsecond line",
            "leaked, \"token\"\nin a log",
        )];
        let text = String::from_utf8(encode(&rows, ExportFormat::Csv, true).unwrap()).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), CSV_HEADER);
        let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(records.len(), 1);
        let r = &records[0];
        assert_eq!(&r[1], "session.ended");
        assert_eq!(&r[3], "'=HYPERLINK(\"x\")");
        assert_eq!(&r[10], "Agent, \"quoted\"\nsecond line");
        let details: serde_json::Value = serde_json::from_str(&r[11]).unwrap();
        assert_eq!(details["note"], "leaked, \"token\"\nin a log");
    }

    #[test]
    fn json_lines_are_one_valid_object_per_line() {
        let rows = [row("a\nb", "x"), row("c", "y\nz")];
        let text = String::from_utf8(encode(&rows, ExportFormat::JsonLines, true).unwrap()).unwrap();
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        for line in lines {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(v["event"], "session.ended");
        }
    }
}
