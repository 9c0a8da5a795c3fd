//! The console's data table: a scrolling wrapper, a caption for screen readers, a
//! header row and the body rows.

use leptos::prelude::*;

#[component]
pub fn DataTable(
    /// Read by screen readers only.
    #[prop(into)]
    caption: String,
    /// The header row's cells (`<th scope="col">`).
    head: AnyView,
    /// The body's rows.
    children: Children,
) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="data-table">
                <caption class="visually-hidden">{caption}</caption>
                <thead>
                    <tr>{head}</tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}
