//! Manage > Access (IAM) > Settings: the account's login-session limits. One save
//! action serves every setting; the settings are a resource keyed on its version, so
//! they reload after each save. Each row stays on the page across reloads, keeping
//! what is typed in its form and the focus.

mod confirm;
mod form;
mod row;

use super::{IamHeading, LoadError};
use crate::api::settings::{get_settings, reset_setting, update_setting, SettingsView};
use crate::components::{Loading, StatusMessage};
use crate::domain::settings::SettingField;
use crate::domain::Password;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use row::SettingRow;

/// A change to one setting: the typed value and unit, or `None` to restore the default.
type Change = (SettingField, Option<(String, String)>);
/// A change with the password, when the session must confirm it.
type Save = (Change, Option<Password>);
/// Which setting a save was for, and how it went.
type Saved = (SettingField, Result<SettingsView, AppError>);

/// What every row shares: the settings and the one save action.
#[derive(Clone, Copy)]
pub struct SettingsContext {
    settings: Resource<Result<SettingsView, AppError>>,
    save: Action<Save, Saved>,
    status: RwSignal<Option<String>>,
    /// A change waiting for the password (the session signed in long ago).
    confirming: RwSignal<Option<Change>>,
}

impl SettingsContext {
    /// Saves a change, or first asks for the password if the server will want it.
    fn request(&self, change: Change) {
        let must_confirm = self
            .settings
            .get_untracked()
            .and_then(Result::ok)
            .is_some_and(|v| v.reauthenticate);
        if must_confirm {
            self.save.value().set(None);
            self.confirming.set(Some(change));
        } else {
            self.save.dispatch((change, None));
        }
    }
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let save = Action::new(|((field, change), password): &Save| {
        let (field, change, password) = (*field, change.clone(), password.clone());
        async move {
            let result = match change {
                Some((value, unit)) => update_setting(field, value, unit, password).await,
                None => reset_setting(field, password).await,
            };
            (field, result)
        }
    });
    let settings = Resource::new(move || save.version().get(), |_| get_settings());
    let context = SettingsContext {
        settings,
        save,
        status: RwSignal::new(None),
        confirming: RwSignal::new(None),
    };
    view! {
        <Title text="Settings" />
        <IamHeading title="Settings" />
        <section class="card" aria-labelledby="login-session-title">
            <h2 id="login-session-title">"Login session"</h2>
            <p class="muted">
                "These limits apply to every user of this account, to existing sessions at their next request."
            </p>
            <StatusMessage status=context.status />
            <Transition fallback=|| {
                view! { <Loading text="Loading settings…" quiet=true /> }
            }>
                {move || Suspend::new(async move {
                    match settings.await {
                        Ok(view) => {
                            (!view.can_edit)
                                .then(|| {
                                    view! {
                                        <p class="notice">
                                            "Only the account owner and administrators can change these settings."
                                        </p>
                                    }
                                })
                                .into_any()
                        }
                        Err(error) => view! { <LoadError error subject="Settings" /> }.into_any(),
                    }
                })}
            </Transition>
            <dl class="settings">
                {SettingField::ALL
                    .into_iter()
                    .map(|field| view! { <SettingRow field context /> })
                    .collect_view()}
            </dl>
            <confirm::SaveConfirmation context />
        </section>
    }
}
