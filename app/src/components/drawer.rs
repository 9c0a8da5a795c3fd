//! A side panel built on the native modal `<dialog>`: the page behind is inert, Escape
//! closes it, and focus returns to whatever opened it.

use leptos::html;
use leptos::prelude::*;

/// Remembers the focused element when a dialog opens and gives focus back on close.
///
/// The element lives in thread-local storage, so it exists only in the browser: made
/// during server rendering, it could be dropped on another runtime thread, which panics.
#[derive(Clone, Copy)]
pub struct FocusReturn(Option<StoredValue<Option<web_sys::HtmlElement>, LocalStorage>>);

impl FocusReturn {
    pub fn new() -> Self {
        FocusReturn(cfg!(feature = "hydrate").then(|| StoredValue::new_local(None)))
    }

    pub fn remember(&self) {
        use wasm_bindgen::JsCast;
        let Some(stored) = self.0 else { return };
        let active = document()
            .active_element()
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        stored.set_value(active);
    }

    /// Focuses the remembered element if it is still on the page; returns whether it was.
    pub fn restore(&self) -> bool {
        match self.0.and_then(|stored| stored.get_value()) {
            Some(element) if element.is_connected() => element.focus().is_ok(),
            _ => false,
        }
    }
}

impl Default for FocusReturn {
    fn default() -> Self {
        Self::new()
    }
}

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
    let focus_return = FocusReturn::new();
    let title_id = format!("{id}-title");

    Effect::new(move |_| {
        let Some(d) = dialog.get() else { return };
        if open.get() {
            if !d.open() {
                focus_return.remember();
                let _ = d.show_modal();
            }
        } else if d.open() {
            d.close();
        }
    });

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
