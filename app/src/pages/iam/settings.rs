use super::LoadError;
use crate::api::settings::{get_settings, reset_setting, update_setting, SettingsView};
use crate::components::reload_if_signed_out;
use crate::domain::settings::{DurationUnit, SettingField};
use leptos::prelude::*;
use leptos_meta::Title;

/// Manage > Access (IAM) > Settings: the account's login-session limits.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let settings = Resource::new(move || version.get(), |_| get_settings());
    let status = RwSignal::new(None::<String>);
    view! {
        <Title text="Settings" />
        <nav class="breadcrumb" aria-label="Breadcrumb">
            <ol>
                <li>"Manage"</li>
                <li>"Access (IAM)"</li>
                <li aria-current="page">"Settings"</li>
            </ol>
        </nav>
        <h1>"Settings"</h1>
        <super::IamTabs current="settings" />
        <section class="card" aria-labelledby="login-session-title">
            <h2 id="login-session-title">"Login session"</h2>
            <p class="muted">
                "These limits apply to every user of this account, to existing sessions at their next request."
            </p>
            <p class="status" role="status">
                {move || status.get()}
            </p>
            <Transition fallback=|| {
                view! { <p class="loading">"Loading settings…"</p> }
            }>
                {move || Suspend::new(async move {
                    match settings.await {
                        Ok(view) => {
                            let note = (!view.can_edit)
                                .then(|| {
                                    view! {
                                        <p class="notice">
                                            "Only the account owner and administrators can change these settings."
                                        </p>
                                    }
                                });
                            let rows = SettingField::ALL
                                .into_iter()
                                .map(|field| view! { <SettingRow field view=view.clone() version status /> })
                                .collect_view();
                            view! {
                                {note}
                                <dl class="settings">{rows}</dl>
                            }
                                .into_any()
                        }
                        Err(error) => view! { <LoadError error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// One setting: its value and whether it is the default; Edit opens an in-place form.
#[component]
fn SettingRow(
    field: SettingField,
    view: SettingsView,
    version: RwSignal<u32>,
    status: RwSignal<Option<String>>,
) -> impl IntoView {
    let key = field.key();
    let current = view.settings;
    let is_default = current.get(field).is_none();
    let editing = RwSignal::new(false);
    // `None` restores the default.
    let saving = Action::new(move |change: &Option<(String, String)>| {
        let change = change.clone();
        async move {
            match change {
                Some((value, unit)) => update_setting(field, value, unit).await,
                None => reset_setting(field).await,
            }
        }
    });
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(result) = saving.value().get() {
            match result {
                Ok(_) => {
                    error.set(None);
                    editing.set(false);
                    status.set(Some(format!("{} saved", field.label())));
                    version.update(|v| *v += 1);
                }
                Err(e) => {
                    reload_if_signed_out(&e);
                    error.set(Some(e.field(key).unwrap_or_else(|| e.to_string())));
                }
            }
        }
    });

    // The form starts from the value in force, in its largest whole unit.
    let effective = match field {
        SettingField::Inactivity => current.inactivity(),
        SettingField::MaxDuration => current.max_duration(),
        SettingField::ConcurrentLimit => current.concurrent_limit.unwrap_or(5),
    };
    let start_unit = DurationUnit::best_for(effective);
    let amount = RwSignal::new(match field {
        SettingField::ConcurrentLimit => effective.to_string(),
        _ => (effective / start_unit.seconds()).to_string(),
    });
    let unit = RwSignal::new(start_unit.as_str().to_string());
    let limited = RwSignal::new(current.concurrent_limit.is_some());

    let input_id = format!("setting-{key}");
    let help_id = format!("setting-{key}-help");
    let error_id = format!("setting-{key}-error");
    let label_id = format!("setting-{key}-label");
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = if field == SettingField::ConcurrentLimit && !limited.get_untracked() {
            "unlimited".to_string()
        } else {
            amount.get_untracked()
        };
        saving.dispatch(Some((value, unit.get_untracked())));
    };
    let described = format!("{help_id} {error_id}");

    let form_label = label_id.clone();
    let form = move || {
        let (input_id, described, label_id) = (input_id.clone(), described.clone(), form_label.clone());
        let amount_input = view! {
            <input
                id=input_id.clone()
                class="setting__amount"
                type="text"
                inputmode="numeric"
                autocomplete="off"
                aria-describedby=described.clone()
                aria-invalid=move || error.get().is_some().to_string()
                prop:value=move || amount.get()
                on:input=move |ev| amount.set(event_target_value(&ev))
                disabled=move || field == SettingField::ConcurrentLimit && !limited.get()
            />
        };
        let chooser = match field {
            SettingField::ConcurrentLimit => view! {
                <label class="visually-hidden" for=format!("{input_id}-mode")>
                    {format!("{} mode", field.label())}
                </label>
                <select
                    id=format!("{input_id}-mode")
                    on:change=move |ev| limited.set(event_target_value(&ev) == "limit")
                >
                    <option value="unlimited" selected=move || !limited.get()>
                        "Unlimited"
                    </option>
                    <option value="limit" selected=move || limited.get()>
                        "Limit to"
                    </option>
                </select>
                <label class="visually-hidden" for=input_id.clone()>
                    "Sessions per user"
                </label>
                {amount_input}
                <span>"sessions"</span>
            }
            .into_any(),
            _ => view! {
                <label class="visually-hidden" for=input_id.clone()>
                    {format!("{} amount", field.label())}
                </label>
                {amount_input}
                <label class="visually-hidden" for=format!("{input_id}-unit")>
                    "Unit"
                </label>
                <select id=format!("{input_id}-unit") on:change=move |ev| unit.set(event_target_value(&ev))>
                    {DurationUnit::ALL
                        .into_iter()
                        .map(|u| {
                            view! {
                                <option value=u.as_str() selected=move || unit.get() == u.as_str()>
                                    {u.as_str()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            }
            .into_any(),
        };
        view! {
            <form class="setting__form" on:submit=submit aria-labelledby=label_id>
                <div class="setting__inputs">{chooser}</div>
                <div class="setting__actions">
                    <button
                        type="submit"
                        class="button button--primary"
                        disabled=move || saving.pending().get()
                    >
                        "Save"
                    </button>
                    <button
                        type="button"
                        class="button button--ghost"
                        on:click=move |_| {
                            error.set(None);
                            editing.set(false);
                        }
                    >
                        "Cancel"
                    </button>
                    <button
                        type="button"
                        class="button button--ghost"
                        disabled=move || saving.pending().get()
                        on:click=move |_| {
                            saving.dispatch(None);
                        }
                    >
                        "Reset to default"
                    </button>
                </div>
            </form>
        }
    };

    view! {
        <div class="setting">
            <dt id=label_id class="setting__label">
                {field.label()}
            </dt>
            <dd class="setting__value">
                <span class="setting__current">{current.describe(field)}</span>
                {is_default.then(|| view! { <span class="badge badge--neutral">"Default"</span> })}
                <p id=help_id class="field__hint">
                    {field.help()}
                </p>
                {move || editing.get().then(form.clone())}
                <p id=error_id class="field__error" role="alert">
                    {move || error.get()}
                </p>
                {move || {
                    (view.can_edit && !editing.get())
                        .then(|| {
                            view! {
                                <button
                                    type="button"
                                    class="button button--ghost"
                                    aria-label=format!("Edit {}", field.label())
                                    on:click=move |_| {
                                        status.set(None);
                                        editing.set(true);
                                    }
                                >
                                    "Edit"
                                </button>
                            }
                        })
                }}
            </dd>
        </div>
    }
}
