//! The WAI-ARIA menu button: a button that opens a menu of actions.
//! Enter, Space or ArrowDown open it on the first item, ArrowUp on the last; arrows,
//! Home and End move; Escape closes it and returns focus to the button; Tab or a
//! click elsewhere closes it.

use leptos::ev::{FocusEvent, KeyboardEvent};
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

#[derive(Clone)]
pub enum MenuAction {
    Link(String),
    Run(Callback<()>),
}

#[derive(Clone)]
pub struct MenuItem {
    pub label: String,
    pub action: MenuAction,
    pub danger: bool,
}

impl MenuItem {
    pub fn link(label: impl Into<String>, href: impl Into<String>) -> Self {
        MenuItem {
            label: label.into(),
            action: MenuAction::Link(href.into()),
            danger: false,
        }
    }

    pub fn run(label: impl Into<String>, f: impl Fn() + Send + Sync + 'static) -> Self {
        MenuItem {
            label: label.into(),
            action: MenuAction::Run(Callback::new(move |()| f())),
            danger: false,
        }
    }

    pub fn danger(mut self) -> Self {
        self.danger = true;
        self
    }
}

/// Which item gets focus when the menu opens.
#[derive(Clone, Copy)]
enum Land {
    First,
    Last,
}

#[component]
pub fn MenuButton(
    /// The trigger's accessible name, e.g. "Actions for session Chrome on Windows".
    #[prop(into)]
    label: String,
    /// A unique id stem for the trigger and the menu.
    #[prop(into)]
    id: String,
    items: Vec<MenuItem>,
    /// Extra classes for the trigger.
    #[prop(into, optional)]
    class: String,
    /// Right-align the menu under the trigger.
    #[prop(optional)]
    align_end: bool,
    /// The trigger's visible content.
    children: Children,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let trigger = NodeRef::<html::Button>::new();
    let menu = NodeRef::<html::Ul>::new();
    let button_id = format!("{id}-button");
    let menu_id = format!("{id}-menu");

    let menu_items = move || -> Vec<web_sys::HtmlElement> {
        let Some(menu) = menu.get_untracked() else {
            return Vec::new();
        };
        let Ok(list) = menu.query_selector_all("[role=menuitem]") else {
            return Vec::new();
        };
        (0..list.length())
            .filter_map(|i| list.item(i))
            .filter_map(|node| node.dyn_into::<web_sys::HtmlElement>().ok())
            .collect()
    };
    let focus_at = move |index: usize| {
        if let Some(item) = menu_items().get(index) {
            let _ = item.focus();
        }
    };
    let open_on = move |land: Land| {
        open.set(true);
        // The menu is shown on the next frame; focus its item then.
        request_animation_frame(move || {
            let count = menu_items().len();
            if count > 0 {
                focus_at(match land {
                    Land::First => 0,
                    Land::Last => count - 1,
                });
            }
        });
    };
    let close = move |refocus: bool| {
        open.set(false);
        if refocus {
            if let Some(button) = trigger.get_untracked() {
                let _ = button.focus();
            }
        }
    };

    let on_trigger_key = move |ev: KeyboardEvent| match ev.key().as_str() {
        "ArrowDown" | "Enter" | " " => {
            ev.prevent_default();
            open_on(Land::First);
        }
        "ArrowUp" => {
            ev.prevent_default();
            open_on(Land::Last);
        }
        _ => {}
    };
    let on_menu_key = move |ev: KeyboardEvent| {
        let items = menu_items();
        let current = document().active_element().and_then(|active| {
            items
                .iter()
                .position(|item| item.is_same_node(Some(active.as_ref())))
        });
        let count = items.len();
        if count == 0 {
            return;
        }
        match ev.key().as_str() {
            "ArrowDown" => {
                ev.prevent_default();
                focus_at(current.map_or(0, |i| (i + 1) % count));
            }
            "ArrowUp" => {
                ev.prevent_default();
                focus_at(current.map_or(count - 1, |i| (i + count - 1) % count));
            }
            "Home" => {
                ev.prevent_default();
                focus_at(0);
            }
            "End" => {
                ev.prevent_default();
                focus_at(count - 1);
            }
            "Escape" => {
                ev.prevent_default();
                close(true);
            }
            "Tab" => close(false),
            _ => {}
        }
    };
    // Focus leaving the whole widget (a click elsewhere, Tab) closes the menu.
    let wrapper = NodeRef::<html::Div>::new();
    let on_focus_out = move |ev: FocusEvent| {
        let inside = ev
            .related_target()
            .and_then(|t| t.dyn_into::<web_sys::Node>().ok())
            .zip(wrapper.get_untracked())
            .is_some_and(|(target, wrapper)| wrapper.contains(Some(&target)));
        if !inside {
            open.set(false);
        }
    };

    let rendered = items
        .into_iter()
        .map(|item| {
            let class = if item.danger {
                "menu__item menu__item--danger"
            } else {
                "menu__item"
            };
            let label = item.label.clone();
            match item.action {
                MenuAction::Link(href) => view! {
                    <li role="none">
                        <a
                            role="menuitem"
                            tabindex="-1"
                            class=class
                            href=href
                            on:click=move |_| open.set(false)
                        >
                            {label}
                        </a>
                    </li>
                }
                .into_any(),
                MenuAction::Run(callback) => view! {
                    <li role="none">
                        <button
                            type="button"
                            role="menuitem"
                            tabindex="-1"
                            class=class
                            on:click=move |_| {
                                close(true);
                                callback.run(());
                            }
                        >
                            {label}
                        </button>
                    </li>
                }
                .into_any(),
            }
        })
        .collect_view();

    let menu_class = if align_end { "menu menu--end" } else { "menu" };
    view! {
        <div class="menu-button" node_ref=wrapper on:focusout=on_focus_out>
            <button
                type="button"
                id=button_id.clone()
                class=format!("menu-button__trigger {class}")
                aria-label=label
                aria-haspopup="menu"
                aria-controls=menu_id.clone()
                aria-expanded=move || open.get().to_string()
                node_ref=trigger
                on:click=move |_| if open.get_untracked() { close(false) } else { open_on(Land::First) }
                on:keydown=on_trigger_key
            >
                {children()}
            </button>
            <ul
                id=menu_id
                role="menu"
                class=menu_class
                aria-labelledby=button_id
                hidden=move || !open.get()
                node_ref=menu
                on:keydown=on_menu_key
            >
                {rendered}
            </ul>
        </div>
    }
}
