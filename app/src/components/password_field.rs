//! The password a sensitive action asks for again, inside its confirmation dialog.

use leptos::prelude::*;

#[component]
pub fn PasswordField(
    /// A unique id stem for the input, its hint and its error.
    #[prop(into)]
    id: String,
    value: RwSignal<String>,
    /// Why the last attempt was refused, shown under the field.
    #[prop(into)]
    error: Signal<Option<String>>,
) -> impl IntoView {
    let input_id = format!("{id}-password");
    let hint_id = format!("{id}-password-hint");
    let error_id = format!("{id}-password-error");
    let described = format!("{hint_id} {error_id}");
    view! {
        <div class="field">
            <label for=input_id.clone()>"Password"</label>
            <input
                id=input_id
                type="password"
                autocomplete="current-password"
                aria-describedby=described
                aria-invalid=move || error.get().is_some().to_string()
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
            <p id=hint_id class="field__hint">
                "You signed in a while ago: enter your password to confirm it is you."
            </p>
            <p id=error_id class="field__error">
                {move || error.get()}
            </p>
        </div>
    }
}
