//! What the modal `<dialog>`s (the drawer, confirmations) share: opening and closing
//! with a signal, and giving focus back to whatever opened them.

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

/// Shows `dialog` as a modal while `open` is true and closes it when `open` turns false,
/// remembering the focused element on opening; `first_focus` (if any) takes the focus
/// then. Returns the focus memory, for dialogs that can also close themselves (Escape).
pub fn bind_modal(
    dialog: NodeRef<html::Dialog>,
    open: Signal<bool>,
    first_focus: Option<NodeRef<html::Button>>,
) -> FocusReturn {
    let focus_return = FocusReturn::new();
    Effect::new(move |_| {
        let Some(d) = dialog.get() else { return };
        if open.get() {
            if !d.open() {
                focus_return.remember();
                let _ = d.show_modal();
                if let Some(button) = first_focus.and_then(|b| b.get()) {
                    let _ = button.focus();
                }
            }
        } else if d.open() {
            d.close();
            focus_return.restore();
        }
    });
    focus_return
}
