//! A side panel built on the native modal `<dialog>`: the page behind is inert, Escape
//! closes it, and focus returns to whatever opened it.

use super::modal::bind_modal;
use leptos::html;
use leptos::prelude::*;

#[component]
pub fn Drawer(
    open: RwSignal<bool>,
    #[prop(into)] title: Signal<String>,
    /// A unique id stem for the dialog and its title.
    #[prop(into)]
    id: String,
    children: ChildrenFn,
) -> impl IntoView {
    let dialog = NodeRef::<html::Dialog>::new();
    let focus_return = bind_modal(dialog, open.into(), None);
    let title_id = format!("{id}-title");

    let labelled_by = title_id.clone();
    view! {
        <dialog
            id=id
            class="drawer"
            aria-labelledby=labelled_by
            node_ref=dialog
            on:close=move |_| {
                open.set(false);
                focus_return.restore();
            }
        >
            <div class="drawer__header">
                <h2 id=title_id tabindex="-1" class="drawer__title">
                    {title}
                </h2>
                <button
                    type="button"
                    class="icon-button"
                    aria-label="Close"
                    on:click=move |_| open.set(false)
                >
                    <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
                        <path
                            fill="currentColor"
                            d="M12 4.7 11.3 4 8 7.3 4.7 4 4 4.7 7.3 8 4 11.3l.7.7L8 8.7l3.3 3.3.7-.7L8.7 8z"
                        />
                    </svg>
                </button>
            </div>
            <div class="drawer__body">{move || open.get().then(|| children())}</div>
        </dialog>
    }
}
