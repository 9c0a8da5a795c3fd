//! One text field of a filter form (a GET form: the filter lives in the URL), with its
//! hint and the message that refused it, tied to the input for screen readers.

use leptos::prelude::*;

#[component]
pub fn FilterTextField(
    /// The query parameter, also the input's `name`; the id is `{prefix}-{name}`.
    name: &'static str,
    prefix: &'static str,
    label: &'static str,
    /// `text` or `search`.
    #[prop(default = "text")]
    kind: &'static str,
    #[prop(default = None)] hint: Option<&'static str>,
    /// The field's text as the URL has it.
    #[prop(into)]
    value: Signal<String>,
    /// Why the field was refused, if it was.
    #[prop(into)]
    error: Signal<Option<String>>,
) -> impl IntoView {
    let id = format!("{prefix}-{name}");
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = match hint {
        Some(_) => format!("{hint_id} {error_id}"),
        None => error_id.clone(),
    };
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                type=kind
                name=name
                maxlength="200"
                aria-describedby=described
                aria-invalid=move || error.get().is_some().to_string()
                prop:value=move || value.get()
            />
            {hint
                .map(|text| {
                    view! {
                        <p id=hint_id.clone() class="field__hint">
                            {text}
                        </p>
                    }
                })}
            <p id=error_id class="field__error">
                {move || error.get()}
            </p>
        </div>
    }
}
