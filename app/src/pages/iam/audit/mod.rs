//! Manage > Access (IAM) > Audit log: who signed in, failed to, ended a session or
//! changed a limit, when and from where. The filter lives in the URL (shareable; the
//! back button works), pages are keyset pages, each row opens to its details, and the
//! current filter exports as CSV or JSON Lines.

mod filters;
mod rows;

use super::{IamHeading, LoadError};
use crate::api::audit::audit_events;
use crate::components::Loading;
use crate::domain::audit::{AuditField, AuditFilterInput};
use filters::AuditFilterForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;
use rows::AuditList;

/// What the URL asks for: the filter as typed and the page's cursor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Request {
    filter: AuditFilterInput,
    cursor: String,
}

impl Request {
    fn from_query(query: &ParamsMap) -> Self {
        let mut filter = AuditFilterInput::default();
        for field in AuditField::FILTERS {
            if let Some(value) = query.get(field.key()) {
                filter.set(field.key(), value);
            }
        }
        Request {
            filter,
            cursor: query.get("cursor").unwrap_or_default(),
        }
    }

    /// This filter's page that starts at `cursor` (the first page for `None`).
    fn href(&self, cursor: Option<&str>) -> String {
        let mut pairs = self.filter.pairs();
        if let Some(cursor) = cursor {
            pairs.push(("cursor", cursor));
        }
        super::query_href("/iam/audit", &pairs)
    }

    /// The download of every event this filter matches.
    fn export_href(&self, format: &str) -> String {
        let mut pairs = vec![("format", format)];
        pairs.extend(self.filter.pairs());
        super::query_href("/api/v1/account/audit-events/export", &pairs)
    }
}

#[component]
pub fn AuditLogPage() -> impl IntoView {
    let query = use_query_map();
    let request = Memo::new(move |_| query.with(Request::from_query));
    let problems = Memo::new(move |_| request.with(|r| r.filter.parse().err().unwrap_or_default()));
    let events = Resource::new(
        move || request.get(),
        |r| async move {
            // A filter the browser can tell is wrong is not sent at all.
            if r.filter.parse().is_err() {
                return None;
            }
            Some(audit_events(r.filter, r.cursor).await)
        },
    );
    let export = move |format: &'static str, label: &'static str| {
        view! {
            <a
                class="button button--ghost"
                href=move || request.with(|r| r.export_href(format))
                download=""
                rel="external"
            >
                {label}
            </a>
        }
    };
    view! {
        <Title text="Audit log" />
        <IamHeading title="Audit log" />
        <AuditFilterForm request problems />
        <div class="toolbar" role="group" aria-label="Export">
            <span class="toolbar__count">"Export the events these filters match"</span>
            <span class="toolbar__actions">
                {export("csv", "Export CSV")} {export("jsonl", "Export JSON Lines")}
            </span>
        </div>
        <Transition fallback=|| {
            view! { <Loading text="Loading audit events…" /> }
        }>
            {move || Suspend::new(async move {
                match events.await {
                    None => {
                        view! {
                            <p class="notice notice--error" role="alert">
                                "Correct the filters above to see matching events."
                            </p>
                        }
                            .into_any()
                    }
                    Some(Ok(page)) => {
                        let r = request.get_untracked();
                        let next = page.next_cursor.as_deref().map(|c| r.href(Some(c)));
                        let first = (!r.cursor.is_empty()).then(|| r.href(None));
                        view! { <AuditList page next first /> }.into_any()
                    }
                    Some(Err(error)) => {
                        let title = if error == crate::AppError::Forbidden {
                            "No access"
                        } else {
                            "Audit log"
                        };
                        view! {
                            <Title text=title />
                            <LoadError error subject="Audit log" />
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}
