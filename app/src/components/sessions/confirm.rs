//! The danger confirmation before an end: what will end, a warning when it includes
//! this session, and the password when ending many after 15 minutes.

use super::{Ended, SessionScope, Target};
use crate::components::time::absolute;
use crate::components::{ConfirmDialog, PasswordField};
use crate::domain::Password;
use crate::error::AppError;
use leptos::prelude::*;

#[component]
pub fn EndConfirmation(
    id: String,
    scope: SessionScope,
    target: RwSignal<Option<Target>>,
    end_action: Action<(Target, Option<Password>), Result<Ended, AppError>>,
    /// Whether ending many asks for the password first.
    #[prop(into)]
    reauthenticate: Signal<bool>,
) -> impl IntoView {
    let password = RwSignal::new(String::new());
    // The last attempt's error, shown until the dialog closes or another attempt runs.
    let error = Signal::derive(move || {
        end_action
            .value()
            .with(|v| v.as_ref().and_then(|r| r.clone().err()))
    });
    let close = move || {
        target.set(None);
        password.set(String::new());
        end_action.value().set(None);
    };
    // A successful end closes the dialog from the panel; clear what was typed here too.
    Effect::new(move |_| {
        if target.with(Option::is_none) {
            password.set(String::new());
        }
    });
    let confirm = Callback::new(move |()| {
        if let Some(t) = target.get_untracked() {
            let typed = password.get_untracked();
            let password = (t.is_many() && !typed.is_empty()).then(|| Password::new(typed));
            end_action.dispatch((t, password));
        }
    });
    let ask_password =
        move || reauthenticate.get() && target.with(|t| t.as_ref().is_some_and(Target::is_many));
    let password_error = move || error.with(|e| e.as_ref().and_then(|e| e.field("password")));
    let dialog_id = format!("{id}-confirm");
    let general_error = Signal::derive(move || {
        error.with(|e| {
            e.as_ref()
                .filter(|e| e.field("password").is_none())
                .map(|e| format!("Nothing was ended: {e}"))
        })
    });
    let title = Signal::derive(move || match target.get() {
        Some(Target::All { .. }) => "End all sessions?".to_string(),
        Some(Target::Others { .. }) => "End all other sessions?".to_string(),
        _ => "End session?".to_string(),
    });
    let confirm_label = Signal::derive(move || match target.get() {
        Some(Target::All { .. }) => "End all sessions".to_string(),
        Some(Target::Others { .. }) => "End other sessions".to_string(),
        _ => "End session".to_string(),
    });
    let password_field = move || {
        let error = Signal::derive(password_error);
        ask_password().then(|| view! { <PasswordField id=id.clone() value=password error /> })
    };
    view! {
        <ConfirmDialog
            open=Signal::derive(move || target.with(Option::is_some))
            id=dialog_id
            title
            confirm_label
            pending=end_action.pending()
            error=general_error
            on_confirm=confirm
            on_cancel=Callback::new(move |()| close())
        >
            {move || description(scope, target.get())}
            {password_field.clone()}
        </ConfirmDialog>
    }
}

fn description(scope: SessionScope, target: Option<Target>) -> AnyView {
    match target {
        Some(Target::One(row)) => {
            let detail = format!(", {} session, signed in {}.", row.kind.label(), absolute(row.signed_in_at));
            view! {
                <p>
                    <strong>{row.short_description()}</strong>
                    {detail}
                </p>
                <p>
                    "The holder of this session is signed out at their next request and must enter their credentials again."
                </p>
                {row
                    .current
                    .then(|| {
                        view! {
                            <p class="notice notice--warning">
                                "This is your current session: you will be signed out."
                            </p>
                        }
                    })}
            }
            .into_any()
        }
        Some(Target::All { count, includes_current }) => {
            let whose = if scope == SessionScope::Own { "your" } else { "this user's" };
            view! {
                <p>{format!("All {count} of {whose} active sessions will end.")}</p>
                <p>
                    "They are signed out everywhere at their next request and must enter credentials again."
                </p>
                {includes_current
                    .then(|| {
                        view! {
                            <p class="notice notice--warning">
                                "This includes your current session: you will be signed out here too."
                            </p>
                        }
                    })}
            }
            .into_any()
        }
        Some(Target::Others { count }) => {
            view! {
                <p>{format!("Your {count} other active sessions will end. This session stays signed in.")}</p>
                <p>
                    "Wherever they are, they are signed out at their next request and must enter credentials again."
                </p>
            }
            .into_any()
        }
        None => ().into_any(),
    }
}
