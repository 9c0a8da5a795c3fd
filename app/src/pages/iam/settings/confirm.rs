//! The password a settings change asks for when the session signed in long ago: the
//! same confirmation dialog as ending many sessions.

use super::SettingsContext;
use crate::components::{ConfirmDialog, PasswordField};
use crate::domain::Password;
use leptos::prelude::*;

#[component]
pub fn SaveConfirmation(context: SettingsContext) -> impl IntoView {
    let SettingsContext { save, confirming, .. } = context;
    let password = RwSignal::new(String::new());
    let password_error = Signal::derive(move || {
        save.value().with(|saved| {
            saved
                .as_ref()
                .and_then(|(_, r)| r.as_ref().err())
                .and_then(|e| e.field("password"))
        })
    });
    let close = Callback::new(move |()| {
        confirming.set(None);
        password.set(String::new());
    });
    let confirm = Callback::new(move |()| {
        if let Some(change) = confirming.get_untracked() {
            let typed = password.get_untracked();
            save.dispatch((change, (!typed.is_empty()).then(|| Password::new(typed))));
        }
    });
    // Closed after a save went through; what was typed goes with it.
    Effect::new(move |_| {
        if confirming.with(Option::is_none) {
            password.set(String::new());
        }
    });
    view! {
        <ConfirmDialog
            open=Signal::derive(move || confirming.with(Option::is_some))
            id="settings-confirm"
            title="Confirm it is you"
            confirm_label="Save change"
            pending=save.pending()
            error=Signal::derive(|| None::<String>)
            on_confirm=confirm
            on_cancel=close
        >
            <p>"Changing the account's login-session limits affects every user's sessions."</p>
            <PasswordField id="settings" value=password error=password_error />
        </ConfirmDialog>
    }
}
