//! A danger confirmation: an alert dialog that names what will happen, starts on
//! Cancel, cancels on Escape and disables its confirm button while the request runs.

use super::modal::bind_modal;
use leptos::html;
use leptos::prelude::*;

#[component]
pub fn ConfirmDialog(
    #[prop(into)] open: Signal<bool>,
    /// A unique id stem for the dialog, its title and description.
    #[prop(into)]
    id: String,
    #[prop(into)] title: Signal<String>,
    #[prop(into)] confirm_label: Signal<String>,
    #[prop(into)] pending: Signal<bool>,
    /// The confirm button waits (e.g. for a count the description needs); Cancel does not.
    #[prop(into, optional)]
    waiting: MaybeProp<bool>,
    /// Why the last attempt failed; shown in the dialog, which stays open.
    #[prop(into)]
    error: Signal<Option<String>>,
    on_confirm: Callback<()>,
    on_cancel: Callback<()>,
    /// The description: what will happen, and to what.
    children: ChildrenFn,
) -> impl IntoView {
    let dialog = NodeRef::<html::Dialog>::new();
    let cancel_button = NodeRef::<html::Button>::new();
    let title_id = format!("{id}-title");
    let description_id = format!("{id}-description");

    bind_modal(dialog, open, Some(cancel_button));

    let labelled_by = title_id.clone();
    let described_by = description_id.clone();
    view! {
        <dialog
            id=id
            class="confirm"
            role="alertdialog"
            aria-modal="true"
            aria-labelledby=labelled_by
            aria-describedby=described_by
            node_ref=dialog
            on:cancel=move |ev: leptos::ev::Event| {
                ev.prevent_default();
                if !pending.get_untracked() {
                    on_cancel.run(());
                }
            }
        >
            <h2 id=title_id class="confirm__title">
                {title}
            </h2>
            <div id=description_id class="confirm__body">
                {move || open.get().then(|| children())}
            </div>
            {move || {
                error
                    .get()
                    .map(|e| {
                        view! {
                            <p class="notice notice--error" role="alert">
                                {e}
                            </p>
                        }
                    })
            }}
            <div class="confirm__actions">
                <button
                    type="button"
                    class="button button--secondary"
                    node_ref=cancel_button
                    disabled=move || pending.get()
                    on:click=move |_| on_cancel.run(())
                >
                    "Cancel"
                </button>
                <button
                    type="button"
                    class="button button--danger"
                    disabled=move || pending.get() || waiting.get().unwrap_or(false)
                    aria-disabled=move || (pending.get() || waiting.get().unwrap_or(false)).to_string()
                    on:click=move |_| on_confirm.run(())
                >
                    {confirm_label}
                </button>
            </div>
        </dialog>
    }
}
