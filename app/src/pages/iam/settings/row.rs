//! One setting: its value, whether it is the default, and Edit for those who may.

use super::form::SettingForm;
use super::SettingsContext;
use crate::domain::settings::SettingField;
use leptos::prelude::*;

#[component]
pub fn SettingRow(field: SettingField, context: SettingsContext) -> impl IntoView {
    let SettingsContext {
        settings,
        save,
        status,
        confirming,
    } = context;
    let key = field.key();
    let editing = RwSignal::new(false);
    // The last save of this setting, if it failed: shown at the field.
    let error = Signal::derive(move || {
        save.value().with(|saved| match saved {
            // A wrong password is said in the confirmation dialog.
            Some((f, Err(e))) if *f == field && e.field("password").is_none() => {
                Some(e.field(key).unwrap_or_else(|| e.to_string()))
            }
            _ => None,
        })
    });
    // A save of this setting went through: close the form and say so.
    Effect::new(move |_| {
        if save
            .value()
            .with(|saved| matches!(saved, Some((f, Ok(_))) if *f == field))
        {
            editing.set(false);
            confirming.set(None);
            status.set(Some(format!("{} saved", field.label())));
        }
    });
    let label_id = format!("setting-{key}-label");
    let help_id = format!("setting-{key}-help");
    let error_id = format!("setting-{key}-error");
    let described_by = format!("{help_id} {error_id}");
    let form_label = label_id.clone();
    view! {
        <div class="setting">
            <dt id=label_id class="setting__label">
                {field.label()}
            </dt>
            <dd class="setting__value">
                // Inside a transition: reloads after a save replace the value, not the form.
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        settings
                            .await
                            .ok()
                            .map(|v| {
                                let is_default = v.settings.get(field).is_none();
                                view! {
                                    <span class="setting__current">{v.settings.describe(field)}</span>
                                    {is_default
                                        .then(|| {
                                            view! { <span class="badge badge--neutral">"Default"</span> }
                                        })}
                                }
                            })
                    })}
                </Transition>
                <p id=help_id class="field__hint">
                    {field.help()}
                </p>
                {move || {
                    let current = settings.get_untracked()?.ok()?.settings;
                    editing
                        .get()
                        .then(|| {
                            // Opened by a click, so the settings have loaded by then.
                            view! {
                                <SettingForm
                                    field
                                    current
                                    context
                                    error
                                    editing
                                    labelled_by=form_label.clone()
                                    described_by=described_by.clone()
                                />
                            }
                        })
                }}
                <p id=error_id class="field__error" role="alert">
                    {error}
                </p>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let can_edit = settings.await.is_ok_and(|v| v.can_edit);
                        move || {
                            (can_edit && !editing.get())
                                .then(|| {
                                    view! {
                                        <button
                                            type="button"
                                            class="button button--ghost"
                                            aria-label=format!("Edit {}", field.label())
                                            on:click=move |_| {
                                                status.set(None);
                                                save.value().set(None);
                                                editing.set(true);
                                            }
                                        >
                                            "Edit"
                                        </button>
                                    }
                                })
                        }
                    })}
                </Transition>
            </dd>
        </div>
    }
}
