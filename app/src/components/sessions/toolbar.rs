//! Above the table: how many sessions are shown, and the actions on many of them.

use super::{SessionScope, Target};
use crate::domain::SessionView;
use crate::model::SessionList;
use leptos::prelude::*;

#[component]
pub fn SessionsToolbar(
    list: SessionList,
    scope: SessionScope,
    showing: SessionView,
    target: RwSignal<Option<Target>>,
) -> impl IntoView {
    let active: Vec<_> = list.sessions.iter().filter(|s| s.ended.is_none()).collect();
    let active_count = active.len();
    let includes_current = active.iter().any(|s| s.current);
    let others = active.iter().filter(|s| !s.current).count();
    let shown = list.sessions.len();
    let may_end_many = showing != SessionView::Ended;
    let end_others = (scope == SessionScope::Own && others > 0 && may_end_many).then(|| {
        view! {
            <button
                type="button"
                class="button button--ghost"
                on:click=move |_| target.set(Some(Target::Others { count: others }))
            >
                "End all other sessions"
            </button>
        }
    });
    let end_all = (list.can_end && active_count > 0 && may_end_many).then(|| {
        let all = Target::All {
            count: active_count,
            includes_current,
        };
        view! {
            <button
                type="button"
                class="button button--danger"
                on:click=move |_| target.set(Some(all.clone()))
            >
                "End all sessions"
            </button>
        }
    });
    let count = if shown == 1 {
        "1 session".to_string()
    } else {
        format!("{shown} sessions")
    };
    view! {
        <div class="toolbar">
            <span class="toolbar__count">{count}</span>
            <span class="toolbar__actions">{end_others} {end_all}</span>
        </div>
    }
}
