//! One page of matching sessions: the count, the selection toolbar, the table with a
//! checkbox and an Actions menu per row, and the links to the next and first pages.

use super::{Picked, Request};
use crate::components::sessions::{end_menu, SessionCells, SessionHeadCells};
use crate::components::{DataTable, KeysetPages};
use crate::model::{AccountSessionRow, AccountSessionsPage, BulkTarget};
use leptos::prelude::*;
use leptos_router::components::A;
use uuid::Uuid;

fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The rows of this page a person may pick: active, and theirs to end.
fn pickable(page: &AccountSessionsPage) -> Vec<Uuid> {
    page.sessions
        .iter()
        .filter(|s| s.can_end && s.row.ended.is_none())
        .map(|s| s.row.id)
        .collect()
}

#[component]
pub fn SessionsList(
    page: AccountSessionsPage,
    request: Request,
    picked: RwSignal<Picked>,
    bulk: RwSignal<Option<BulkTarget>>,
    status: RwSignal<Option<String>>,
) -> impl IntoView {
    let total = page.total;
    let summary = if total == 1 {
        "1 session matches".to_string()
    } else {
        format!("{total} sessions match")
    };
    if page.sessions.is_empty() {
        return view! {
            <p class="table-summary" aria-live="polite">
                {summary}
            </p>
            <p class="empty-state">
                "No sessions match these filters. " <A href="/iam/sessions">"Clear filters"</A>
            </p>
        }
        .into_any();
    }
    let on_page = pickable(&page);
    let filter = request.filter.clone();
    let open_bulk = move |_| {
        let target = match picked.get_untracked() {
            Picked::Nothing => return,
            Picked::Rows(ids) => BulkTarget {
                filter: Default::default(),
                session_ids: Some(ids),
            },
            Picked::AllMatching => BulkTarget {
                filter: filter.clone(),
                session_ids: None,
            },
        };
        status.set(None);
        bulk.set(Some(target));
    };
    let shows_ended = request.filter.state.trim() == "ended";
    let select_all = (!shows_ended && total > 0).then(|| {
        view! {
            <button
                type="button"
                class="button button--ghost"
                aria-pressed=move || (picked.get() == Picked::AllMatching).to_string()
                on:click=move |_| picked.set(Picked::AllMatching)
            >
                {format!("Select all {total} matching sessions")}
            </button>
        }
    });
    let picked_text = move || match picked.get() {
        Picked::Nothing => "No sessions selected".to_string(),
        Picked::Rows(ids) => format!("{} selected", plural(ids.len() as i64, "session", "sessions")),
        Picked::AllMatching => format!("All {total} matching sessions selected"),
    };
    let page_ids = StoredValue::new(on_page.clone());
    let all_on_page = move || {
        page_ids.with_value(|page_ids| {
            !page_ids.is_empty()
                && picked.with(|p| match p {
                    Picked::AllMatching => true,
                    Picked::Rows(ids) => page_ids.iter().all(|id| ids.contains(id)),
                    Picked::Nothing => false,
                })
        })
    };
    let toggle_page = move |_| {
        if all_on_page() {
            picked.set(Picked::Nothing);
        } else {
            picked.set(Picked::Rows(page_ids.get_value()));
        }
    };
    let now = page.now;
    let rows = page
        .sessions
        .into_iter()
        .map(|s| view! { <AccountRow s now picked bulk status /> })
        .collect_view();
    let next = page
        .next_cursor
        .as_deref()
        .map(|cursor| request.href(Some(cursor)));
    let first = (!request.cursor.is_empty()).then(|| request.href(None));
    view! {
        <p class="table-summary" aria-live="polite">
            {summary}
            {format!(
                ", {} on this page",
                plural(on_page.len() as i64, "selectable session", "selectable sessions"),
            )}
        </p>
        <div class="toolbar" role="group" aria-label="Selection">
            <span class="toolbar__count" aria-live="polite">
                {picked_text}
            </span>
            <span class="toolbar__actions">
                {select_all}
                <button
                    type="button"
                    class="button button--ghost"
                    disabled=move || picked.get() == Picked::Nothing
                    on:click=move |_| picked.set(Picked::Nothing)
                >
                    "Clear selection"
                </button>
                <button
                    type="button"
                    class="button button--danger"
                    disabled=move || picked.get() == Picked::Nothing
                    on:click=open_bulk
                >
                    "End sessions"
                </button>
            </span>
        </div>
        <DataTable
            caption="Sessions of this account that match the filters"
            head=view! {
                <th scope="col" class="select-cell">
                    <input
                        type="checkbox"
                        aria-label="Select all sessions on this page"
                        disabled=on_page.is_empty()
                        prop:checked=all_on_page
                        on:change=toggle_page
                    />
                </th>
                <th scope="col">"User"</th>
                <SessionHeadCells expires_heading="Expires / ended" />
            }
                .into_any()
        >
            {rows}
        </DataTable>
        <KeysetPages label="Pages of sessions" first next />
    }
    .into_any()
}

/// One session with its holder, its checkbox and its Actions menu.
#[component]
fn AccountRow(
    s: AccountSessionRow,
    now: chrono::DateTime<chrono::Utc>,
    picked: RwSignal<Picked>,
    bulk: RwSignal<Option<BulkTarget>>,
    status: RwSignal<Option<String>>,
) -> impl IntoView {
    let id = s.row.id;
    let whose = format!(" of {}", s.user_name);
    let endable = s.can_end && s.row.ended.is_none();
    let checkbox = endable.then(|| {
        let label = format!("Select session {}{whose}", s.row.short_description());
        let checked = move || {
            picked.with(|p| match p {
                Picked::AllMatching => true,
                Picked::Rows(ids) => ids.contains(&id),
                Picked::Nothing => false,
            })
        };
        let toggle = move |_| {
            let mut ids = match picked.get_untracked() {
                Picked::Rows(ids) => ids,
                _ => Vec::new(),
            };
            if let Some(at) = ids.iter().position(|x| *x == id) {
                ids.remove(at);
            } else {
                ids.push(id);
            }
            picked.set(if ids.is_empty() {
                Picked::Nothing
            } else {
                Picked::Rows(ids)
            });
        };
        view! { <input type="checkbox" aria-label=label prop:checked=checked on:change=toggle /> }
    });
    let actions = endable.then(|| {
        end_menu(&s.row, &whose, move || {
            status.set(None);
            bulk.set(Some(BulkTarget {
                filter: Default::default(),
                session_ids: Some(vec![id]),
            }));
        })
    });
    let badge = s.row.current.then_some("Your session");
    view! {
        <tr>
            <td class="select-cell">{checkbox}</td>
            <td data-label="User">
                <A href=format!("/iam/users/{}", s.user_id)>{s.user_name.clone()}</A>
                <br />
                <span class="muted">{s.user_email.clone()}</span>
            </td>
            <SessionCells row=s.row now badge />
            <td class="actions-cell">{actions}</td>
        </tr>
    }
}
