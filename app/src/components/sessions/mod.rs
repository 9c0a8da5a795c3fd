//! The session list shared by the admin drawer and the profile: a view filter, a
//! toolbar with "End all", a table with an Actions menu per row, an end confirmation
//! and a status message. The list is a resource keyed on the view and on the end
//! action's version, so it reloads after every end without a hand-kept counter.

mod confirm;
mod filter;
mod row;
mod table;
mod toolbar;

use super::{reload_if_signed_out, StatusMessage};
use crate::api::iam::{end_all_user_sessions, end_user_session, user_sessions};
use crate::api::profile::{end_my_session, end_my_sessions, my_sessions};
use crate::components::live::{
    announce, describe_changes, remember_focus, restore_focus, settled_live_changes,
};
use crate::components::Loading;
use crate::domain::{Password, SessionView};
use crate::error::AppError;
use crate::model::{EndOutcome, SessionList, SessionRow};
use confirm::EndConfirmation;
use filter::ViewFilter;
use leptos::prelude::*;
use table::SessionsTable;
use uuid::Uuid;

pub use row::{end_menu, SessionCells};
pub use table::SessionHeadCells;

/// Whose sessions the panel shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionScope {
    /// A user of the viewer's account, as an administrator sees them.
    User(Uuid),
    /// The viewer's own sessions, on their profile.
    Own,
}

impl SessionScope {
    fn current_badge(self) -> &'static str {
        match self {
            SessionScope::User(_) => "Current session",
            SessionScope::Own => "This session",
        }
    }
}

/// What the open confirmation would end.
#[derive(Debug, Clone, PartialEq)]
enum Target {
    One(SessionRow),
    All {
        count: usize,
        includes_current: bool,
    },
    /// Every session but the viewer's current one (own scope only).
    Others {
        count: usize,
    },
}

impl Target {
    fn is_many(&self) -> bool {
        !matches!(self, Target::One(_))
    }
}

/// What an end did: the status message, and whether this browser was signed out.
type Ended = (String, bool);

async fn load(scope: SessionScope, view: SessionView) -> Result<SessionList, AppError> {
    match scope {
        SessionScope::User(user_id) => user_sessions(user_id, view).await,
        SessionScope::Own => my_sessions(view).await,
    }
}

fn ended_message(n: u64) -> String {
    if n == 1 {
        "1 session ended".to_string()
    } else {
        format!("{n} sessions ended")
    }
}

/// Ends what the confirmation named.
async fn end(scope: SessionScope, target: Target, password: Option<Password>) -> Result<Ended, AppError> {
    match (scope, target) {
        (SessionScope::User(user_id), Target::One(row)) => end_user_session(user_id, row.id)
            .await
            .map(|()| ("Session ended".to_string(), row.current)),
        (SessionScope::User(user_id), _) => end_all_user_sessions(user_id, password)
            .await
            .map(|n| (ended_message(n), false)),
        (SessionScope::Own, Target::One(row)) => end_my_session(row.id)
            .await
            .map(|o| ("Session ended".to_string(), o.signed_out)),
        (SessionScope::Own, target) => {
            let keep_current = matches!(target, Target::Others { .. });
            end_my_sessions(keep_current, password)
                .await
                .map(|EndOutcome { ended, signed_out }| (ended_message(ended), signed_out))
        }
    }
}

/// After the viewer ended their own current session: this browser is signed out.
fn go_to_sign_in() {
    #[cfg(feature = "hydrate")]
    {
        let _ = leptos::prelude::window()
            .location()
            .assign("/signin?notice=signed_out");
    }
}

#[component]
pub fn SessionsPanel(scope: SessionScope, #[prop(into)] id: String) -> impl IntoView {
    let view_filter = RwSignal::new(SessionView::Active);
    let target = RwSignal::new(None::<Target>);
    let status = RwSignal::new(None::<String>);
    let status_ref = NodeRef::<leptos::html::P>::new();
    let end_action = Action::new(move |(t, password): &(Target, Option<Password>)| {
        let (t, password) = (t.clone(), password.clone());
        async move {
            let result = end(scope, t, password).await;
            if matches!(result, Ok((_, true))) {
                // This browser is signed out: leave for the sign-in page and never
                // complete, so nothing reloads from a session that is gone.
                go_to_sign_in();
                std::future::pending::<()>().await;
            }
            result
        }
    });
    // Sessions starting, ending or active elsewhere refetch the list, but not while a
    // menu or the confirmation is open over it.
    let live = settled_live_changes(Signal::derive(move || target.get().is_some()));
    let sessions = Resource::new(
        move || (view_filter.get(), end_action.version().get(), live.get()),
        move |(view, _, _)| load(scope, view),
    );
    let announcement = RwSignal::new(String::new());
    let shown = StoredValue::new(None::<(SessionView, Vec<(Uuid, bool)>)>);
    let announced_at = StoredValue::new(f64::MIN);

    // An end finished: close the confirmation and announce it. The row that held the
    // focus is gone after the reload, so focus moves to the status message.
    Effect::new(move |_| match end_action.value().get() {
        Some(Ok((message, _))) => {
            target.set(None);
            status.set(Some(message));
            request_animation_frame(move || {
                if let Some(p) = status_ref.get_untracked() {
                    let _ = p.focus();
                }
            });
        }
        Some(Err(e)) => reload_if_signed_out(&e),
        None => {}
    });

    view! {
        <div class="sessions-panel">
            <ViewFilter name=format!("{id}-view") selected=view_filter status />
            <StatusMessage status node_ref=status_ref />
            <div class="visually-hidden live-changes" aria-live="polite" aria-atomic="true">
                {move || announcement.get()}
            </div>
            <Transition fallback=|| {
                view! { <Loading text="Loading sessions…" quiet=true /> }
            }>
                {move || Suspend::new(async move {
                    match sessions.await {
                        Ok(list) => {
                            let showing = view_filter.get_untracked();
                            let now: Vec<_> = list
                                .sessions
                                .iter()
                                .map(|s| (s.id, s.ended.is_none()))
                                .collect();
                            if let Some((was_showing, before)) = shown.get_value() {
                                if was_showing == showing {
                                    announce(announcement, announced_at, describe_changes(&before, &now));
                                }
                            }
                            shown.set_value(Some((showing, now)));
                            restore_focus(remember_focus());
                            // The same view redrawn with other rows: say what changed
                            // (at most once a second), and keep the focus where it was.
                            view! { <SessionsTable list scope showing target /> }
                                .into_any()
                        }
                        Err(e) => {
                            reload_if_signed_out(&e);
                            view! {
                                <p class="notice notice--error" role="alert">
                                    {format!("Could not load sessions: {e}")}
                                </p>
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
            <EndConfirmation
                id=id
                scope
                target
                end_action
                reauthenticate=Signal::derive(move || {
                    sessions.get().and_then(Result::ok).is_some_and(|l| l.reauthenticate)
                })
            />
        </div>
    }
}
