//! One page of audit events: a table whose rows open to their details, and the links
//! to the next and first pages.

use crate::components::time::absolute;
use crate::components::{DataTable, Details, KeysetPages, RelativeTime};
use crate::domain::EndReason;
use crate::model::{AuditPage, AuditPerson, AuditRow};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_router::components::A;

fn person(p: Option<AuditPerson>, nobody: &'static str) -> AnyView {
    match p {
        Some(AuditPerson { id, name, email }) => view! {
            <A href=format!("/iam/users/{id}")>{name}</A>
            <br />
            <span class="muted">{email}</span>
        }
        .into_any(),
        None => view! { <span class="muted">{nobody}</span> }.into_any(),
    }
}

/// A detail's value as a person reads it: a reason's words, text as is, the rest as JSON.
fn readable(key: &str, value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) if key == "reason" => s
            .parse::<EndReason>()
            .map(|r| r.label().to_string())
            .unwrap_or_else(|_| s.replace('_', " ")),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "—".to_string(),
        other => other.to_string(),
    }
}

/// "reason" → "Reason", "ended" → "Ended": the details' keys as labels.
fn label(key: &str) -> String {
    let spaced = key.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => spaced,
    }
}

#[component]
pub fn AuditList(page: AuditPage, next: Option<String>, first: Option<String>) -> impl IntoView {
    if page.events.is_empty() {
        return view! {
            <p class="table-summary" aria-live="polite">
                "No events"
            </p>
            <p class="empty-state">
                "No events match these filters. " <A href="/iam/audit">"Clear filters"</A>
            </p>
        }
        .into_any();
    }
    let shown = page.events.len();
    let now = page.now;
    let rows = page
        .events
        .into_iter()
        .map(|e| view! { <AuditEventRow e now /> })
        .collect_view();
    view! {
        <p class="table-summary" aria-live="polite">
            {if shown == 1 {
                "1 event on this page".to_string()
            } else {
                format!("{shown} events on this page")
            }}
            {if next.is_some() { ", newest first; more on the next page" } else { ", newest first" }}
        </p>
        <DataTable
            caption="Audit events of this account that match the filters, newest first"
            head=view! {
                <th scope="col">"Time"</th>
                <th scope="col">"Event"</th>
                <th scope="col">"Actor"</th>
                <th scope="col">"Target user"</th>
                <th scope="col">"IP address"</th>
                <th scope="col">
                    <span class="visually-hidden">"Details"</span>
                </th>
            }
                .into_any()
        >
            {rows}
        </DataTable>
        <KeysetPages label="Pages of audit events" first next />
    }
    .into_any()
}

/// One event, and the row under it that shows its details when opened.
#[component]
fn AuditEventRow(e: AuditRow, now: DateTime<Utc>) -> impl IntoView {
    let open = RwSignal::new(false);
    let details_id = format!("audit-details-{}", e.id.simple());
    // Visible "Details"; read as "Details of Signed in at 2026-11-29 17:08 UTC".
    let button_label = format!(" of {} at {}", e.event.label(), absolute(e.occurred_at));
    let mut items: Vec<(&'static str, AnyView)> = Vec::new();
    if let Some(id) = e.session_id {
        items.push(("Session", view! { <code>{id.to_string()}</code> }.into_any()));
    }
    if let Some(agent) = e.user_agent.clone().filter(|a| !a.is_empty()) {
        items.push((
            "User agent",
            view! { <span class="wrap-anywhere">{agent}</span> }.into_any(),
        ));
    }
    let particulars = match &e.details {
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                view! {
                    <dt>{label(k)}</dt>
                    <dd class="wrap-anywhere">{readable(k, v)}</dd>
                }
            })
            .collect_view()
            .into_any(),
        other => view! {
            <dt>"Details"</dt>
            <dd>{other.to_string()}</dd>
        }
        .into_any(),
    };
    view! {
        <tr>
            <td data-label="Time">
                <RelativeTime at=e.occurred_at now />
            </td>
            <td data-label="Event">{e.event.label()}</td>
            <td data-label="Actor">{person(e.actor.clone(), "System")}</td>
            <td data-label="Target user">{person(e.target_user.clone(), "—")}</td>
            <td data-label="IP address">
                {e.ip.clone().filter(|ip| !ip.is_empty()).unwrap_or_else(|| "—".into())}
            </td>
            <td class="actions-cell">
                <button
                    type="button"
                    class="button button--ghost"
                    aria-expanded=move || open.get().to_string()
                    aria-controls=details_id.clone()
                    on:click=move |_| open.update(|o| *o = !*o)
                >
                    "Details"
                    <span class="visually-hidden">{button_label}</span>
                </button>
            </td>
        </tr>
        <tr id=details_id class="details-row" hidden=move || !open.get()>
            <td colspan="6">
                <Details items />
                <dl class="details">{particulars}</dl>
            </td>
        </tr>
    }
}
