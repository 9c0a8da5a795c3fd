//! A record's fields as a definition list, as the detail cards show them.

use leptos::prelude::*;

#[component]
pub fn Details(
    /// (label, value) in display order.
    items: Vec<(&'static str, AnyView)>,
) -> impl IntoView {
    let rows = items
        .into_iter()
        .map(|(term, value)| {
            view! {
                <dt>{term}</dt>
                <dd>{value}</dd>
            }
        })
        .collect_view();
    view! { <dl class="details">{rows}</dl> }
}
