//! The polite status message that announces what an action did ("Session ended").

use leptos::html;
use leptos::prelude::*;

#[component]
pub fn StatusMessage(
    status: RwSignal<Option<String>>,
    /// For moving focus to the message when the element that held it is gone.
    #[prop(optional)]
    node_ref: NodeRef<html::P>,
) -> impl IntoView {
    view! {
        <p class="status" role="status" tabindex="-1" node_ref=node_ref>
            {move || status.get()}
        </p>
    }
}
