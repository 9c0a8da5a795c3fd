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

/// The links of a keyset-paginated list: back to the first page, on to the next.
#[component]
pub fn KeysetPages(
    /// Names the navigation landmark: "Pages of sessions".
    label: &'static str,
    first: Option<String>,
    next: Option<String>,
) -> impl IntoView {
    let link = |href: String, text: &'static str| {
        view! {
            <leptos_router::components::A href=href attr:class="button button--ghost">
                {text}
            </leptos_router::components::A>
        }
    };
    view! {
        <nav class="pagination" aria-label=label>
            {first.map(|href| link(href, "First page"))}
            {next.map(|href| link(href, "Next page"))}
        </nav>
    }
}
