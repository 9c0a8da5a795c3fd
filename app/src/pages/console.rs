use crate::api::auth::me;
use crate::components::{reload_if_signed_out, ConsoleHeader, Loading};
use crate::model::Caller;
use leptos::prelude::*;
use leptos_router::components::Outlet;

/// Every console page sits in this layout: it loads the caller once, provides it to
/// the pages as context and renders the header. Without a session the server has
/// already redirected page loads; a session ended while the tab was open shows up as
/// a 401 here and the page reloads into the sign-in page.
#[component]
pub fn ConsoleLayout() -> impl IntoView {
    let caller = Resource::new(|| (), |_| me());
    view! {
        <a class="skip-link" href="#main">
            "Skip to content"
        </a>
        <Suspense fallback=|| {
            view! { <Loading text="Loading…" /> }
        }>
            {move || Suspend::new(async move {
                match caller.await {
                    Ok(caller) => {
                        provide_context(caller.clone());
                        crate::components::live::provide_live_changes();
                        view! {
                            <ConsoleHeader caller />
                            <main id="main" class="console-main" tabindex="-1">
                                <Outlet />
                            </main>
                        }
                            .into_any()
                    }
                    Err(error) => {
                        reload_if_signed_out(&error);
                        view! {
                            <main id="main" class="centered-page">
                                <h1>"Something went wrong"</h1>
                                <p role="alert">{error.to_string()}</p>
                            </main>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// The signed-in person, provided by [`ConsoleLayout`].
pub fn use_caller() -> Option<Caller> {
    use_context::<Caller>()
}

/// The console's landing page.
#[component]
pub fn HomePage() -> impl IntoView {
    let caller = use_caller();
    view! {
        <leptos_meta::Title text="Console" />
        {caller
            .map(|c| {
                view! {
                    <h1>"Welcome, " {c.display_name.clone()}</h1>
                    <p class="lead">
                        "You are signed in to " <strong>{c.account_name.clone()}</strong> " as "
                        {c.role.label().to_lowercase()} "."
                    </p>
                    <ul class="links">
                        {c
                            .role
                            .can_manage_account()
                            .then(|| {
                                view! {
                                    <li>
                                        <a href="/iam/users">"Manage users and their sessions"</a>
                                    </li>
                                }
                            })} <li>
                            <a href="/profile/sessions">"Review your own sessions"</a>
                        </li>
                    </ul>
                }
            })}
    }
}
