//! The bulk end's danger confirmation: the server counts what would end when it opens
//! (sessions, people, the owner's left out, whether it includes the caller's own), the
//! person writes why, and the end ends only what matches at confirm time among sessions
//! that signed in before the count.

use crate::api::sessions::{bulk_end_sessions, preview_bulk_end};
use crate::components::{ConfirmDialog, Loading, PasswordField};
use crate::domain::Password;
use crate::model::{BulkOutcome, BulkPreview, BulkTarget};
use leptos::prelude::*;

const MAX_REASON: usize = 500;

#[derive(Clone)]
struct Confirmed {
    target: BulkTarget,
    reason: String,
    include_current: bool,
    as_of: chrono::DateTime<chrono::Utc>,
    password: Option<Password>,
}

fn counted(p: &BulkPreview) -> AnyView {
    let sessions = if p.sessions == 1 { "session" } else { "sessions" };
    let users = if p.users == 1 { "user" } else { "users" };
    let what = if p.sessions == 0 {
        "No active session you may end matches any more.".to_string()
    } else {
        format!(
            "{} active {sessions} of {} {users} will end.",
            p.sessions, p.users
        )
    };
    let owner = (p.owner_sessions_skipped > 0).then(|| {
        view! {
            <p>
                {format!(
                    "{} of the owner's sessions match but stay: only the owner can end them.",
                    p.owner_sessions_skipped,
                )}
            </p>
        }
    });
    view! {
        <p>
            <strong>{what}</strong>
        </p>
        {owner}
        <p>
            "Each holder is signed out at their next request, in the browser and on the command line, and must sign in again. Sessions that sign in after this count are not included."
        </p>
    }
    .into_any()
}

#[component]
pub fn BulkEndDialog(
    /// What to end; the dialog is open while this is set.
    bulk: RwSignal<Option<BulkTarget>>,
    on_ended: Callback<BulkOutcome>,
) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let include_current = RwSignal::new(false);
    let password = RwSignal::new(String::new());
    let reason_error = RwSignal::new(None::<String>);
    // An action, not a resource: a resource read here would suspend the whole page
    // (the console layout's Suspense) while it loads, dropping the dialog's focus.
    let preview = Action::new(move |target: &BulkTarget| {
        let target = target.clone();
        async move { preview_bulk_end(target).await }
    });
    Effect::new(move |_| {
        preview.value().set(None);
        if let Some(target) = bulk.get() {
            preview.dispatch(target);
        }
    });
    let end_action = Action::new(move |c: &Confirmed| {
        let c = c.clone();
        async move { bulk_end_sessions(c.target, c.reason, c.include_current, Some(c.as_of), c.password).await }
    });
    let error = Signal::derive(move || {
        end_action
            .value()
            .with(|v| v.as_ref().and_then(|r| r.clone().err()))
    });
    let reset = move || {
        reason.set(String::new());
        include_current.set(false);
        password.set(String::new());
        reason_error.set(None);
        end_action.value().set(None);
    };
    Effect::new(move |_| {
        if let Some(Ok(outcome)) = end_action.value().get() {
            reset();
            on_ended.run(outcome);
        }
    });
    let ready = move || preview.value().get().and_then(Result::ok);
    let confirm = Callback::new(move |()| {
        let (Some(target), Some(counted)) = (bulk.get_untracked(), ready()) else {
            return;
        };
        let typed = reason.get_untracked();
        if typed.trim().is_empty() {
            reason_error.set(Some("Say why these sessions are ended".into()));
            return;
        }
        reason_error.set(None);
        let typed_password = password.get_untracked();
        end_action.dispatch(Confirmed {
            target,
            reason: typed,
            include_current: counted.includes_current && include_current.get_untracked(),
            as_of: counted.as_of,
            password: (!typed_password.is_empty()).then(|| Password::new(typed_password)),
        });
    });
    let cancel = Callback::new(move |()| {
        reset();
        bulk.set(None);
    });
    let field_error = move |field: &'static str| {
        Signal::derive(move || {
            error
                .with(|e| e.as_ref().and_then(|e| e.field(field)))
                .or_else(|| {
                    if field == "reason" {
                        reason_error.get()
                    } else {
                        None
                    }
                })
        })
    };
    let general_error = Signal::derive(move || {
        error.with(|e| {
            e.as_ref()
                .filter(|e| e.field("reason").is_none() && e.field("password").is_none())
                .map(|e| format!("Nothing was ended: {e}"))
        })
    });
    let confirm_label = Signal::derive(move || match ready() {
        Some(p) if p.sessions > 0 || p.includes_current => {
            let n = p.sessions + i64::from(p.includes_current && include_current.get());
            if n == 1 {
                "End 1 session".to_string()
            } else {
                format!("End {n} sessions")
            }
        }
        _ => "End sessions".to_string(),
    });
    let reason_message = field_error("reason");
    let password_error = field_error("password");
    let body = move || match preview.value().get() {
        None => view! { <Loading text="Counting matching sessions…" quiet=true /> }.into_any(),
        Some(Err(e)) => view! {
            <p class="notice notice--error" role="alert">
                {format!("Could not count the matching sessions: {e}")}
            </p>
        }
        .into_any(),
        Some(Ok(p)) => {
            let own = p.includes_current.then(|| {
                view! {
                    <div class="field field--check">
                        <input
                            id="bulk-end-current"
                            type="checkbox"
                            prop:checked=move || include_current.get()
                            on:change=move |ev| include_current.set(event_target_checked(&ev))
                        />
                        <label for="bulk-end-current">"Also end my current session (signs me out)"</label>
                    </div>
                }
            });
            view! {
                {counted(&p)}
                {own}
            }
            .into_any()
        }
    };
    view! {
        <ConfirmDialog
            open=Signal::derive(move || bulk.with(Option::is_some))
            id="bulk-end"
            title="End sessions?"
            confirm_label
            pending=end_action.pending()
            waiting=Signal::derive(move || ready().is_none())
            error=general_error
            on_confirm=confirm
            on_cancel=cancel
        >
            {body}
            <div class="field">
                <label for="bulk-end-reason">"Reason"</label>
                <textarea
                    id="bulk-end-reason"
                    maxlength=MAX_REASON.to_string()
                    rows="3"
                    required=true
                    aria-describedby="bulk-end-reason-hint bulk-end-reason-error"
                    aria-invalid=move || reason_message.get().is_some().to_string()
                    prop:value=move || reason.get()
                    on:input=move |ev| reason.set(event_target_value(&ev))
                ></textarea>
                <p id="bulk-end-reason-hint" class="field__hint">
                    {move || {
                        format!(
                            "Kept in the audit log with every session it ends. {} of {MAX_REASON} characters.",
                            reason.with(|r| r.chars().count()),
                        )
                    }}
                </p>
                <p id="bulk-end-reason-error" class="field__error">
                    {move || reason_message.get()}
                </p>
            </div>
            {move || {
                ready()
                    .is_some_and(|p| p.password_required)
                    .then(|| view! { <PasswordField id="bulk-end" value=password error=password_error /> })
            }}
        </ConfirmDialog>
    }
}
