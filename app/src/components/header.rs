use super::{MenuButton, MenuItem};
use crate::api::auth::SignOut;
use crate::model::Caller;
use leptos::prelude::*;

/// The console header: brand, the Manage menu, the account, and the avatar menu.
#[component]
pub fn ConsoleHeader(caller: Caller) -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    let avatar_items = vec![
        MenuItem::link("Profile", "/profile"),
        MenuItem::run("Sign out", move || {
            sign_out.dispatch(SignOut {});
        }),
    ];
    view! {
        <header class="console-header">
            <a class="console-header__brand" href="/">
                "Session Console"
            </a>
            <nav aria-label="Console">
                <MenuButton
                    label="Manage"
                    id="manage"
                    items=vec![MenuItem::link("Access (IAM)", "/iam/users")]
                >
                    "Manage"
                    <svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true" focusable="false">
                        <path fill="currentColor" d="M8 11 3 6l.7-.7L8 9.6l4.3-4.3.7.7z" />
                    </svg>
                </MenuButton>
            </nav>
            <span class="console-header__spacer"></span>
            <span class="console-header__account" title="Account">
                {caller.account_name.clone()}
            </span>
            <MenuButton
                label=format!("Avatar menu for {}", caller.display_name)
                id="avatar"
                items=avatar_items
                class="avatar"
                align_end=true
            >
                <svg
                    class="icon"
                    viewBox="0 0 32 32"
                    width="20"
                    height="20"
                    aria-hidden="true"
                    focusable="false"
                >
                    <path
                        fill="currentColor"
                        d="M16 4a6 6 0 1 1 0 12 6 6 0 0 1 0-12zm0 14c6.6 0 12 3.6 12 8v2H4v-2c0-4.4 5.4-8 12-8z"
                    />
                </svg>
            </MenuButton>
        </header>
    }
}
