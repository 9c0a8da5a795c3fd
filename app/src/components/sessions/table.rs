//! The session table, or the empty state when there is nothing to show.

use super::row::SessionRowView;
use super::toolbar::SessionsToolbar;
use super::{SessionScope, Target};
use crate::components::DataTable;
use crate::domain::SessionView;
use crate::model::SessionList;
use leptos::prelude::*;

#[component]
pub fn SessionsTable(
    list: SessionList,
    scope: SessionScope,
    showing: SessionView,
    target: RwSignal<Option<Target>>,
) -> impl IntoView {
    let user_name = list.user_name.clone();
    if list.sessions.is_empty() {
        let text = match showing {
            SessionView::Active => format!("{user_name} has no active sessions."),
            SessionView::Ended => format!("{user_name} has no ended sessions."),
            SessionView::All => format!("{user_name} has no sessions."),
        };
        return view! {
            <SessionsToolbar list scope showing target />
            <p class="empty-state">{text}</p>
        }
        .into_any();
    }
    let (now, can_end) = (list.now, list.can_end);
    let rows = list
        .sessions
        .iter()
        .cloned()
        .map(|row| view! { <SessionRowView row now can_end scope target /> })
        .collect_view();
    let expires_heading = if showing == SessionView::Active {
        "Expires"
    } else {
        "Expires / ended"
    };
    view! {
        <SessionsToolbar list scope showing target />
        <DataTable
            caption=format!("{} sessions of {user_name}", showing.label())
            head=view! { <SessionHeadCells expires_heading /> }.into_any()
        >
            {rows}
        </DataTable>
    }
    .into_any()
}

/// The header cells over [`super::SessionCells`] and the Actions column.
#[component]
pub fn SessionHeadCells(expires_heading: &'static str) -> impl IntoView {
    view! {
        <th scope="col">"Device"</th>
        <th scope="col">"IP address"</th>
        <th scope="col">"Credential"</th>
        <th scope="col">"Signed in"</th>
        <th scope="col">"Last active"</th>
        <th scope="col">{expires_heading}</th>
        <th scope="col">
            <span class="visually-hidden">"Actions"</span>
        </th>
    }
}
