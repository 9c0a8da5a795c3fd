//! The audit log: appending events that stand alone (most are written inside the
//! transaction of what they record), reading pages of it, and the retention sweep.

use super::{insert_audits, SqlStore};
use crate::domain::audit::AuditAction;
use crate::model::{AuditPerson, AuditRow};
use crate::store::dialect::{args, Dialect};
use crate::store::{sql, AuditQuery, AuditStore, NewAuditEvent, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A row of `sql::audit_page`, or an element of `sql::packed_audit_page`'s array, whose
/// values come in the order of these fields.
#[derive(sqlx::FromRow, serde::Deserialize)]
struct AuditRecord {
    id: Uuid,
    occurred_at: DateTime<Utc>,
    action: AuditAction,
    actor_user_id: Option<Uuid>,
    actor_name: Option<String>,
    actor_email: Option<String>,
    target_user_id: Option<Uuid>,
    target_name: Option<String>,
    target_email: Option<String>,
    session_id: Option<Uuid>,
    actor_ip: Option<String>,
    actor_user_agent: Option<String>,
    details: String,
}

fn person(id: Option<Uuid>, name: Option<String>, email: Option<String>) -> Option<AuditPerson> {
    Some(AuditPerson {
        id: id?,
        name: name.unwrap_or_default(),
        email: email.unwrap_or_default(),
    })
}

impl From<AuditRecord> for AuditRow {
    fn from(r: AuditRecord) -> Self {
        AuditRow {
            id: r.id,
            occurred_at: r.occurred_at,
            event: r.action,
            actor: person(r.actor_user_id, r.actor_name, r.actor_email),
            target_user: person(r.target_user_id, r.target_name, r.target_email),
            session_id: r.session_id,
            ip: r.actor_ip,
            user_agent: r.actor_user_agent,
            // Written by this store as JSON; anything else is shown as the text it is.
            details: serde_json::from_str(&r.details).unwrap_or(serde_json::Value::String(r.details)),
        }
    }
}

#[async_trait]
impl<DB: Dialect> AuditStore for SqlStore<DB> {
    async fn record_audit_events(&self, events: &[NewAuditEvent]) -> StoreResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        let (_turn, mut tx) = self.begin_write().await?;
        insert_audits(&mut tx, events).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audit_events_page(&self, account_id: Uuid, query: &AuditQuery) -> StoreResult<Vec<AuditRow>> {
        let rows: Vec<AuditRecord> = if DB::PACKED_LISTS {
            let (sql, args) = sql::packed_audit_page::<DB>(account_id, query);
            self.packed(&sql, args).await?
        } else {
            let (sql, args) = sql::audit_page::<DB>(account_id, query);
            self.all(&sql, args).await?
        };
        Ok(rows.into_iter().map(AuditRow::from).collect())
    }

    async fn purge_audit_events(&self, before: DateTime<Utc>, most: i64) -> StoreResult<u64> {
        self.run(sql::PURGE_AUDIT_EVENTS, args![before, most]).await
    }
}
