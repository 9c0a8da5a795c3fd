//! Which sessions the list shows: Active, Ended or All, as a segmented radio group.

use crate::domain::SessionView;
use leptos::prelude::*;

#[component]
pub fn ViewFilter(
    /// The radio group's name, unique on the page.
    name: String,
    selected: RwSignal<SessionView>,
    /// Cleared when the view changes: the last end's message no longer applies.
    status: RwSignal<Option<String>>,
) -> impl IntoView {
    let options = SessionView::ALL
        .into_iter()
        .map(|v| {
            let input_id = format!("{name}-{}", v.label().to_lowercase());
            let label_for = input_id.clone();
            view! {
                <label class="segmented__option" for=label_for>
                    <input
                        type="radio"
                        id=input_id
                        name=name.clone()
                        value=v.label()
                        prop:checked=move || selected.get() == v
                        on:change=move |_| {
                            status.set(None);
                            selected.set(v);
                        }
                    />
                    <span>{v.label()}</span>
                </label>
            }
        })
        .collect_view();
    view! {
        <fieldset class="segmented">
            <legend>"Show"</legend>
            {options}
        </fieldset>
    }
}
