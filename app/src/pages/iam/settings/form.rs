//! The in-place form that edits one setting. It starts from the value in force, in its
//! largest whole unit; the server parses and checks what is typed.

use super::SettingsContext;
use crate::domain::settings::{DurationUnit, SettingField};
use crate::domain::LoginSessionSettings;
use leptos::prelude::*;

#[component]
pub fn SettingForm(
    field: SettingField,
    current: LoginSessionSettings,
    context: SettingsContext,
    #[prop(into)] error: Signal<Option<String>>,
    editing: RwSignal<bool>,
    labelled_by: String,
    described_by: String,
) -> impl IntoView {
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
    let save = context.save;
    let pending = save.pending();
    let input_id = format!("setting-{}", field.key());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = if field == SettingField::ConcurrentLimit && !limited.get_untracked() {
            "unlimited".to_string()
        } else {
            amount.get_untracked()
        };
        context.request((field, Some((value, unit.get_untracked()))));
    };
    let amount_input = view! {
        <input
            id=input_id.clone()
            class="setting__amount"
            type="text"
            inputmode="numeric"
            autocomplete="off"
            aria-describedby=described_by
            aria-invalid=move || error.get().is_some().to_string()
            prop:value=move || amount.get()
            on:input=move |ev| amount.set(event_target_value(&ev))
            disabled=move || field == SettingField::ConcurrentLimit && !limited.get()
        />
    };
    let inputs = match field {
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
        <form class="setting__form" on:submit=submit aria-labelledby=labelled_by>
            <div class="setting__inputs">{inputs}</div>
            <div class="setting__actions">
                <button type="submit" class="button button--primary" disabled=move || pending.get()>
                    "Save"
                </button>
                <button
                    type="button"
                    class="button button--ghost"
                    on:click=move |_| {
                        save.value().set(None);
                        editing.set(false);
                    }
                >
                    "Cancel"
                </button>
                <button
                    type="button"
                    class="button button--ghost"
                    disabled=move || pending.get()
                    on:click=move |_| {
                        context.request((field, None));
                    }
                >
                    "Reset to default"
                </button>
            </div>
        </form>
    }
}
