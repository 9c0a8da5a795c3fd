//! The loading state of a page or a list while its data is on the way.

use leptos::prelude::*;

/// "Loading users…". A page's loading message is a status for screen readers; inside a
/// panel that has its own status message, `quiet` keeps it from being a second one.
#[component]
pub fn Loading(text: &'static str, #[prop(optional)] quiet: bool) -> impl IntoView {
    view! {
        <p class="loading" role=(!quiet).then_some("status")>
            {text}
        </p>
    }
}
