//! The session list shared by the admin drawer and the profile: a view filter, a table
//! with an Actions menu per row, "End all", confirmations and a status message.

use super::confirm::ConfirmDialog;
use super::menu::{MenuButton, MenuItem};
use super::reload_if_signed_out;
use super::time::{absolute, RelativeTime};
use crate::api::iam::{end_all_user_sessions, end_user_session, user_sessions};
use crate::api::profile::{end_my_session, end_my_sessions, my_sessions};
use crate::domain::device::DeviceKind;
use crate::domain::Password;
use crate::domain::SessionView;
use crate::error::AppError;
use crate::model::{EndOutcome, SessionList, SessionRow};
use leptos::prelude::*;
use uuid::Uuid;

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

/// Ends what the confirmation named; returns the status message and whether this
/// browser was signed out by it.
async fn end(
    scope: SessionScope,
    target: Target,
    password: Option<Password>,
) -> Result<(String, bool), AppError> {
    match (scope, target) {
        (SessionScope::User(user_id), Target::One(row)) => end_user_session(user_id, row.id)
            .await
            .map(|()| ("Session ended".to_string(), row.current)),
        (SessionScope::User(user_id), _) => end_all_user_sessions(user_id)
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

fn device_icon(kind: DeviceKind) -> &'static str {
    // Simple outline glyphs; the text beside them carries the meaning.
    match kind {
        DeviceKind::Desktop => "M3 5h18v11H3zM8 19h8v1H8zm3-3h2v3h-2z",
        DeviceKind::Phone => {
            "M8 2h8a1 1 0 0 1 1 1v18a1 1 0 0 1-1 1H8a1 1 0 0 1-1-1V3a1 1 0 0 1 1-1zm1 2v15h6V4z"
        }
        DeviceKind::Tablet => {
            "M5 2h14a1 1 0 0 1 1 1v18a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V3a1 1 0 0 1 1-1zm1 2v15h12V4z"
        }
        DeviceKind::Cli => "M3 4h18v16H3zm2 4 4 3-4 3v-2l2-1-2-1zm6 6h6v1.5h-6z",
        DeviceKind::Other => "M12 3a9 9 0 1 1 0 18 9 9 0 0 1 0-18zm0 2a7 7 0 1 0 0 14 7 7 0 0 0 0-14z",
    }
}

#[component]
pub fn SessionsPanel(scope: SessionScope, #[prop(into)] id: String) -> impl IntoView {
    let view_filter = RwSignal::new(SessionView::Active);
    let version = RwSignal::new(0u32);
    let sessions = Resource::new(
        move || (view_filter.get(), version.get()),
        move |(view, _)| load(scope, view),
    );
    let status = RwSignal::new(None::<String>);
    // After an end the row that held the focus is gone; the reloaded list puts focus on
    // the status message instead, so keyboard users keep their place.
    let status_ref = NodeRef::<leptos::html::P>::new();
    let refocus = RwSignal::new(false);
    let target = RwSignal::new(None::<Target>);
    let action_error = RwSignal::new(None::<AppError>);
    let password = RwSignal::new(String::new());
    let reauthenticate = RwSignal::new(false);

    let end_action = Action::new(move |(t, password): &(Target, Option<Password>)| {
        let (t, password) = (t.clone(), password.clone());
        async move { end(scope, t, password).await }
    });
    // When an end finishes: close the dialog, announce, reload the list.
    Effect::new(move |_| {
        if let Some(result) = end_action.value().get() {
            match result {
                Ok((_, true)) => go_to_sign_in(),
                Ok((message, false)) => {
                    target.set(None);
                    action_error.set(None);
                    password.set(String::new());
                    status.set(Some(message));
                    refocus.set(true);
                    version.update(|v| *v += 1);
                }
                Err(e) => {
                    reload_if_signed_out(&e);
                    action_error.set(Some(e));
                }
            }
        }
    });
    let confirm_open = Signal::derive(move || target.with(Option::is_some));
    let cancel = Callback::new(move |()| {
        target.set(None);
        action_error.set(None);
        password.set(String::new());
    });
    let confirm = Callback::new(move |()| {
        if let Some(t) = target.get_untracked() {
            status.set(None);
            let typed = password.get_untracked();
            let password = (t.is_many() && !typed.is_empty()).then(|| Password::new(typed));
            end_action.dispatch((t, password));
        }
    });
    let ask_password =
        move || reauthenticate.get() && target.with(|t| t.as_ref().is_some_and(Target::is_many));
    let password_error = move || action_error.with(|e| e.as_ref().and_then(|e| e.field("password")));
    let general_error = Signal::derive(move || {
        action_error.with(|e| {
            e.as_ref()
                .filter(|e| e.field("password").is_none())
                .map(|e| format!("Nothing was ended: {e}"))
        })
    });

    let filter_name = format!("{id}-view");
    let id_for_password = id.clone();
    let filter = SessionView::ALL
        .into_iter()
        .map(|v| {
            let input_id = format!("{filter_name}-{}", v.label().to_lowercase());
            let label_for = input_id.clone();
            view! {
                <label class="segmented__option" for=label_for>
                    <input
                        type="radio"
                        id=input_id
                        name=filter_name.clone()
                        value=v.label()
                        prop:checked=move || view_filter.get() == v
                        on:change=move |_| {
                            status.set(None);
                            view_filter.set(v);
                        }
                    />
                    <span>{v.label()}</span>
                </label>
            }
        })
        .collect_view();

    let table = move |list: SessionList| {
        let now = list.now;
        let can_end = list.can_end;
        reauthenticate.set(list.reauthenticate);
        if refocus.get_untracked() {
            refocus.set(false);
            request_animation_frame(move || {
                if let Some(p) = status_ref.get_untracked() {
                    let _ = p.focus();
                }
            });
        }
        let active: Vec<_> = list
            .sessions
            .iter()
            .filter(|s| s.ended.is_none())
            .cloned()
            .collect();
        let includes_current = active.iter().any(|s| s.current);
        let active_count = active.len();
        let shown = list.sessions.len();
        let user_name = list.user_name.clone();
        let showing = view_filter.get_untracked();
        let others = active.iter().filter(|s| !s.current).count();
        let end_others =
            (scope == SessionScope::Own && others > 0 && showing != SessionView::Ended).then(|| {
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
        let end_all = (can_end && active_count > 0 && showing != SessionView::Ended).then(|| {
            view! {
                <button
                    type="button"
                    class="button button--danger"
                    on:click=move |_| target.set(Some(Target::All { count: active_count, includes_current }))
                >
                    "End all sessions"
                </button>
            }
        });
        let empty = list.sessions.is_empty().then(|| {
            let text = match showing {
                SessionView::Active => format!("{user_name} has no active sessions."),
                SessionView::Ended => format!("{user_name} has no ended sessions."),
                SessionView::All => format!("{user_name} has no sessions."),
            };
            view! { <p class="empty-state">{text}</p> }
        });
        let rows = list
            .sessions
            .into_iter()
            .map(|row| {
                let description = row.short_description();
                let device = row.device.clone();
                let menu_id = format!("session-{}", row.id);
                let actions = (can_end && row.ended.is_none()).then(|| {
                    let chosen = row.clone();
                    let items = vec![MenuItem::run("End session", move || target.set(Some(Target::One(chosen.clone())))).danger()];
                    view! {
                        <MenuButton label=format!("Actions for session {description}") id=menu_id items align_end=true class="overflow">
                            <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
                                <circle cx="8" cy="3" r="1.5" fill="currentColor"/>
                                <circle cx="8" cy="8" r="1.5" fill="currentColor"/>
                                <circle cx="8" cy="13" r="1.5" fill="currentColor"/>
                            </svg>
                        </MenuButton>
                    }
                });
                let status_cell = match &row.ended {
                    None => view! {
                        <td><RelativeTime at=row.expires_at now/></td>
                    }.into_any(),
                    Some(ended) => {
                        let by = ended.by_name.clone().map(|n| format!(" by {n}")).unwrap_or_default();
                        view! {
                            <td>
                                <span class="ended">{format!("{}{by}", ended.reason)}</span>
                                <br/>
                                <RelativeTime at=ended.at now/>
                            </td>
                        }.into_any()
                    }
                };
                view! {
                    <tr>
                        <td>
                            <span class="device">
                                <svg class="device__icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
                                    <path fill="currentColor" d=device_icon(device.kind)/>
                                </svg>
                                <span>
                                    <span class="device__name">{device.summary()}</span>
                                    <span class="device__kind">{device.kind.label()}</span>
                                </span>
                            </span>
                            {row.current.then(|| view! { <span class="badge">{scope.current_badge()}</span> })}
                        </td>
                        <td>
                            {row.ip.clone()}
                            {(row.first_ip != row.ip).then(|| view! { <span class="muted">{format!(" (signed in from {})", row.first_ip)}</span> })}
                        </td>
                        <td>{row.kind.label()}</td>
                        <td><RelativeTime at=row.signed_in_at now/></td>
                        <td><RelativeTime at=row.last_active_at now/></td>
                        {status_cell}
                        <td class="actions-cell">{actions}</td>
                    </tr>
                }
                .into_any()
            })
            .collect_view();
        let expires_heading = if showing == SessionView::Active {
            "Expires"
        } else {
            "Expires / ended"
        };
        if let Some(empty) = empty {
            return view! {
                <div class="toolbar"><span class="toolbar__count">"0 sessions"</span></div>
                {empty}
            }
            .into_any();
        }
        view! {
            <div class="toolbar">
                <span class="toolbar__count">{if shown == 1 { "1 session".to_string() } else { format!("{shown} sessions") }}</span>
                <span class="toolbar__actions">{end_others}{end_all}</span>
            </div>
            <div class="table-wrap">
                <table class="data-table">
                    <caption class="visually-hidden">{format!("{} sessions of {user_name}", showing.label())}</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Device"</th>
                            <th scope="col">"IP address"</th>
                            <th scope="col">"Credential"</th>
                            <th scope="col">"Signed in"</th>
                            <th scope="col">"Last active"</th>
                            <th scope="col">{expires_heading}</th>
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };

    let confirm_title = Signal::derive(move || match target.get() {
        Some(Target::All { .. }) => "End all sessions?".to_string(),
        Some(Target::Others { .. }) => "End all other sessions?".to_string(),
        _ => "End session?".to_string(),
    });
    let confirm_label = Signal::derive(move || match target.get() {
        Some(Target::All { .. }) => "End all sessions".to_string(),
        Some(Target::Others { .. }) => "End other sessions".to_string(),
        _ => "End session".to_string(),
    });
    let description = move || {
        match target.get() {
        Some(Target::One(row)) => view! {
            <p>
                <strong>{row.short_description()}</strong>
                {format!(", {} session, signed in {}.", row.kind.label(), absolute(row.signed_in_at))}
            </p>
            <p>"The holder of this session is signed out at their next request and must enter their credentials again."</p>
            {row.current.then(|| view! {
                <p class="notice notice--warning">"This is your current session: you will be signed out."</p>
            })}
        }
        .into_any(),
        Some(Target::All { count, includes_current }) => {
            let whose = if scope == SessionScope::Own { "your" } else { "this user's" };
            view! {
                <p>{format!("All {count} of {whose} active sessions will end.")}</p>
                <p>"They are signed out everywhere at their next request and must enter credentials again."</p>
                {includes_current.then(|| view! {
                    <p class="notice notice--warning">"This includes your current session: you will be signed out here too."</p>
                })}
            }
            .into_any()
        }
        Some(Target::Others { count }) => view! {
            <p>{format!("Your {count} other active sessions will end. This session stays signed in.")}</p>
            <p>"Wherever they are, they are signed out at their next request and must enter credentials again."</p>
        }
        .into_any(),
        None => ().into_any(),
    }
    };
    let password_field = move || {
        let input_id = format!("{id_for_password}-password");
        let help_id = format!("{id_for_password}-password-help");
        ask_password().then(|| {
            view! {
                <div class="field">
                    <label for=input_id.clone()>"Password"</label>
                    <input
                        id=input_id
                        type="password"
                        autocomplete="current-password"
                        aria-describedby=help_id.clone()
                        aria-invalid=move || password_error().is_some().to_string()
                        prop:value=move || password.get()
                        on:input=move |ev| password.set(event_target_value(&ev))
                    />
                    <p id=help_id class="field__hint">
                        "You signed in more than 15 minutes ago: enter your password to confirm."
                    </p>
                    <p class="field__error">{password_error}</p>
                </div>
            }
        })
    };

    view! {
        <div class="sessions-panel">
            <fieldset class="segmented">
                <legend>"Show"</legend>
                {filter}
            </fieldset>
            <p class="status" role="status" tabindex="-1" node_ref=status_ref>{move || status.get()}</p>
            <Transition fallback=|| view! { <p class="loading">"Loading sessions…"</p> }>
                {move || Suspend::new(async move {
                    match sessions.await {
                        Ok(list) => table(list),
                        Err(e) => {
                            reload_if_signed_out(&e);
                            view! { <p class="notice notice--error" role="alert">{format!("Could not load sessions: {e}")}</p> }.into_any()
                        }
                    }
                })}
            </Transition>
            <ConfirmDialog
                open=confirm_open
                id=format!("{id}-confirm")
                title=confirm_title
                confirm_label=confirm_label
                pending=end_action.pending()
                error=general_error
                on_confirm=confirm
                on_cancel=cancel
            >
                {description}
                {password_field.clone()}
            </ConfirmDialog>
        </div>
    }
}
