//! The audit log's statements: appending events, one keyset page of a filter (also
//! the export's batches), and the retention sweep's bounded delete.

use crate::domain::audit::ActorFilter;
use crate::domain::search::{ip_key, key_range};
use crate::store::dialect::{Args, Dialect, Value};
use crate::store::{AuditQuery, NewAuditEvent};
use uuid::Uuid;

use super::values_rows;

/// Appends audit events, many rows per statement.
pub fn insert_audits<DB: Dialect>(events: &[NewAuditEvent]) -> (String, Args) {
    let sql = format!(
        "INSERT INTO audit_events (id, account_id, actor_user_id, action, target_user_id, session_id, \
         details, occurred_at, actor_ip, actor_ip_key, actor_user_agent) VALUES {}",
        values_rows::<DB>(events.len(), 11)
    );
    let args = events
        .iter()
        .flat_map(|e| {
            let (ip, agent) = match &e.origin {
                Some(o) => (Some(o.ip.clone()), Some(o.user_agent.clone())),
                None => (None, None),
            };
            let key = Value::Bytes(ip_key(ip.as_deref().unwrap_or_default()));
            [
                // Time-ordered: each insert lands at the end of the primary key's index
                // instead of on a random page (a bulk end writes thousands at once).
                Value::from(Uuid::now_v7()),
                Value::from(e.account_id),
                Value::Uuid(e.actor_user_id),
                Value::from(e.action),
                Value::Uuid(e.target_user_id),
                Value::Uuid(e.session_id),
                Value::from(e.details.to_string()),
                Value::from(e.occurred_at),
                Value::Text(ip),
                key,
                Value::Text(agent),
            ]
        })
        .collect();
    (sql, args)
}

fn bind(args: &mut Args, value: impl Into<Value>) -> String {
    args.push(value.into());
    format!("${}", args.len())
}

/// The account's members whose name or email contains the bound pattern.
fn people<DB: Dialect>(column: &str, account: &str, pattern: &str) -> String {
    DB::selective(format!(
        "e.{column} IN ({})",
        super::person_matches::<DB>(account, pattern)
    ))
}

/// One page of an account's events, newest first, with the people they name: the
/// page's ids from the filter's index alone, then its rows.
pub fn audit_page<DB: Dialect>(account_id: Uuid, q: &AuditQuery) -> (String, Args) {
    let mut args = Args::new();
    let account = bind(&mut args, account_id);
    let mut and = vec![format!("e.account_id = {account}")];
    let f = &q.filter;
    if let Some(action) = f.action {
        and.push(format!("e.action = {}", bind(&mut args, action)));
    }
    match &f.actor {
        Some(ActorFilter::System) => and.push("e.actor_user_id IS NULL".into()),
        Some(ActorFilter::Person(text)) => {
            let p = bind(&mut args, crate::store::types::like_pattern(text));
            and.push(people::<DB>("actor_user_id", &account, &p));
        }
        None => {}
    }
    if let Some(text) = &f.target {
        let p = bind(&mut args, crate::store::types::like_pattern(text));
        and.push(people::<DB>("target_user_id", &account, &p));
    }
    if let Some(net) = &f.ip {
        let (lo, hi) = key_range(net);
        let lo = bind(&mut args, Value::Bytes(lo));
        let hi = bind(&mut args, Value::Bytes(hi));
        and.push(format!("e.actor_ip_key >= {lo} AND e.actor_ip_key <= {hi}"));
    }
    if let Some(after) = f.occurred.after {
        and.push(format!("e.occurred_at >= {}", bind(&mut args, after)));
    }
    if let Some(before) = f.occurred.before {
        and.push(format!("e.occurred_at < {}", bind(&mut args, before)));
    }
    if let Some(cursor) = q.after {
        let (at, id) = (bind(&mut args, cursor.at), bind(&mut args, cursor.id));
        and.push(format!("(e.occurred_at, e.id) < ({at}, {id})"));
    }
    let limit = bind(&mut args, q.limit);
    let sql = format!(
        "SELECT e.id, e.occurred_at, e.action, e.actor_user_id, a.display_name AS actor_name, \
         a.email AS actor_email, e.target_user_id, t.display_name AS target_name, \
         t.email AS target_email, e.session_id, e.actor_ip, e.actor_user_agent, e.details \
         FROM (SELECT e.id FROM audit_events e WHERE {} \
               ORDER BY e.occurred_at DESC, e.id DESC LIMIT {limit}) page \
         JOIN audit_events e ON e.id = page.id \
         LEFT JOIN users a ON a.id = e.actor_user_id \
         LEFT JOIN users t ON t.id = e.target_user_id \
         ORDER BY e.occurred_at DESC, e.id DESC",
        and.join(" AND ")
    );
    (sql, args)
}

/// The same page as [`audit_page`], as one JSON array in one row (SQLite; see
/// `Dialect::PACKED_LISTS`): one row at a time, each crossed from the database's thread
/// with a wake-up, and an export reads a million. Ids travel as hex. Each event is an
/// array in the field order of `AuditRecord` (serde reads a struct from an array in
/// declaration order), not an object: no keys to build and parse for every event.
pub fn packed_audit_page<DB: Dialect>(account_id: Uuid, q: &AuditQuery) -> (String, Args) {
    let (page, args) = audit_page::<DB>(account_id, q);
    let id = |column: &str| format!("CASE WHEN {column} IS NULL THEN NULL ELSE lower(hex({column})) END");
    let sql = format!(
        "SELECT json_group_array(json_array(lower(hex(id)), occurred_at, action, {}, actor_name, \
         actor_email, {}, target_name, target_email, {}, actor_ip, actor_user_agent, details) \
         ORDER BY occurred_at DESC, id DESC) AS json FROM ({page})",
        id("actor_user_id"),
        id("target_user_id"),
        id("session_id"),
    );
    (sql, args)
}

/// The retention sweep: the oldest events before `$1`, at most `$2` per statement so
/// that a large backlog never holds the writer for long.
pub const PURGE_AUDIT_EVENTS: &str = "DELETE FROM audit_events WHERE id IN \
     (SELECT id FROM audit_events WHERE occurred_at < $1 ORDER BY occurred_at LIMIT $2)";
