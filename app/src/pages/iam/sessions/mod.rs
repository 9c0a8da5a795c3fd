//! Manage > Access (IAM) > Sessions: every session of the account, filtered by holder,
//! address range, device, credential, state and time, with the filter in the URL
//! (shareable; the back button works), keyset pages, and a bulk end for incidents.
//! A filter the browser can tell is wrong is shown at its field and never sent.

mod bulk;
mod filters;
mod list;

use super::{IamHeading, LoadError};
use crate::api::sessions::account_sessions;
use crate::components::live::{
    announce, describe_changes, remember_focus, restore_focus, settled_live_changes,
};
use crate::components::{Loading, StatusMessage};
use crate::domain::search::{FilterField, FilterInput};
use crate::model::{BulkOutcome, BulkTarget};
use bulk::BulkEndDialog;
use filters::FilterForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;
use list::SessionsList;
use uuid::Uuid;

/// What the URL asks for: the filter as typed, the sort and the page's cursor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Request {
    filter: FilterInput,
    sort: String,
    cursor: String,
}

impl Request {
    fn from_query(query: &ParamsMap) -> Self {
        let mut filter = FilterInput::default();
        for field in FilterField::FILTERS {
            if let Some(value) = query.get(field.key()) {
                filter.set(field.key(), value);
            }
        }
        Request {
            filter,
            sort: query.get("sort").unwrap_or_default(),
            cursor: query.get("cursor").unwrap_or_default(),
        }
    }

    /// This search's page that starts at `cursor` (the first page for `None`).
    fn href(&self, cursor: Option<&str>) -> String {
        let mut pairs = self.filter.pairs();
        if !self.sort.is_empty() {
            pairs.push(("sort", self.sort.as_str()));
        }
        if let Some(cursor) = cursor {
            pairs.push(("cursor", cursor));
        }
        super::query_href("/iam/sessions", &pairs)
    }
}

/// What is picked for a bulk end.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
enum Picked {
    #[default]
    Nothing,
    /// Rows picked by hand on this page.
    Rows(Vec<Uuid>),
    /// Every session the filter matches, on any page.
    AllMatching,
}

fn outcome_message(o: &BulkOutcome) -> String {
    let sessions = if o.ended == 1 { "session" } else { "sessions" };
    let users = if o.users == 1 { "user" } else { "users" };
    let mut message = format!("{} {sessions} of {} {users} ended.", o.ended, o.users);
    if o.owner_sessions_skipped > 0 {
        message.push_str(&format!(
            " {} of the owner's sessions were left: only the owner can end them.",
            o.owner_sessions_skipped
        ));
    }
    if o.newer_sessions_left > 0 {
        message.push_str(&format!(
            " {} matching sessions signed in after you confirmed and were not ended; search again to review them.",
            o.newer_sessions_left
        ));
    }
    message
}

#[component]
pub fn AccountSessionsPage() -> impl IntoView {
    let query = use_query_map();
    let request = Memo::new(move |_| query.with(Request::from_query));
    let problems = Memo::new(move |_| request.with(|r| r.filter.parse().err().unwrap_or_default()));
    let picked = RwSignal::new(Picked::Nothing);
    let bulk = RwSignal::new(None::<BulkTarget>);
    let status = RwSignal::new(None::<String>);
    let status_ref = NodeRef::<leptos::html::P>::new();
    let ended = RwSignal::new(0u32);

    // Sessions starting, ending or active elsewhere refetch the page, but not while a
    // menu or the bulk end dialog is open over it.
    let live = settled_live_changes(Signal::derive(move || bulk.get().is_some()));
    let announcement = RwSignal::new(String::new());
    let shown = StoredValue::new(None::<(Request, Vec<(uuid::Uuid, bool)>)>);
    let announced_at = StoredValue::new(f64::MIN);
    let sessions = Resource::new(
        move || (request.get(), ended.get(), live.get()),
        |(r, _, _)| async move {
            // A filter the browser can tell is wrong is not sent at all.
            if r.filter.parse().is_err() {
                return None;
            }
            Some(account_sessions(r.filter, r.sort, r.cursor).await)
        },
    );
    // Another search or page: what was picked no longer applies.
    Effect::new(move |previous: Option<Request>| {
        let now = request.get();
        if previous.is_some_and(|p| p != now) {
            picked.set(Picked::Nothing);
        }
        now
    });

    let on_ended = Callback::new(move |outcome: BulkOutcome| {
        if outcome.signed_out {
            // The caller's own session ended with the rest: this browser is signed out.
            #[cfg(feature = "hydrate")]
            {
                let _ = window().location().assign("/signin?notice=signed_out");
            }
            return;
        }
        bulk.set(None);
        picked.set(Picked::Nothing);
        status.set(Some(outcome_message(&outcome)));
        ended.update(|n| *n += 1);
        request_animation_frame(move || {
            if let Some(p) = status_ref.get_untracked() {
                let _ = p.focus();
            }
        });
    });

    view! {
        <Title text="Sessions" />
        <IamHeading title="Sessions" />
        <FilterForm request problems />
        <StatusMessage status node_ref=status_ref />
        <div class="visually-hidden live-changes" aria-live="polite" aria-atomic="true">
            {move || announcement.get()}
        </div>
        <Transition fallback=|| {
            view! { <Loading text="Loading sessions…" /> }
        }>
            {move || Suspend::new(async move {
                match sessions.await {
                    None => {
                        view! {
                            <p class="notice notice--error" role="alert">
                                "Correct the filters above to see matching sessions."
                            </p>
                        }
                            .into_any()
                    }
                    Some(Ok(page)) => {
                        let now: Vec<_> = page
                            .sessions
                            .iter()
                            .map(|s| (s.row.id, s.row.ended.is_none()))
                            .collect();
                        let searched = request.get_untracked();
                        if let Some((was, before)) = shown.get_value() {
                            if was == searched {
                                announce(announcement, announced_at, describe_changes(&before, &now));
                            }
                        }
                        shown.set_value(Some((searched, now)));
                        restore_focus(remember_focus());
                        // The same search redrawn with other rows: say what changed (at
                        // most once a second) and keep the focus where it was.
                        view! { <SessionsList page request=request.get_untracked() picked bulk status /> }
                            .into_any()
                    }
                    Some(Err(error)) => {
                        let title = if error == crate::AppError::Forbidden {
                            "No access"
                        } else {
                            "Sessions"
                        };
                        view! {
                            <Title text=title />
                            <LoadError error subject="Sessions" />
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
        <BulkEndDialog bulk on_ended />
    }
}
