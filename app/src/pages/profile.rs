use crate::components::time::absolute;
use crate::components::{Details, SessionScope, SessionsPanel};
use crate::pages::use_caller;
use leptos::prelude::*;
use leptos_meta::Title;

/// Avatar > Profile: who the viewer is here, and (on the Sessions tab) where they are signed in.
#[component]
pub fn ProfilePage(#[prop(optional)] sessions: bool) -> impl IntoView {
    let caller = use_caller();
    caller.map(|c| {
        let tab = |href: &'static str, label: &'static str, selected: bool| {
            view! {
                <a href=href class="tabs__tab" aria-current=selected.then_some("page")>
                    {label}
                </a>
            }
        };
        let body = if sessions {
            view! {
                <section aria-labelledby="profile-sessions-title">
                    <h2 id="profile-sessions-title">"Sessions"</h2>
                    <p class="muted">
                        "Where you are signed in to this account. End any session you do not recognise."
                    </p>
                    <SessionsPanel scope=SessionScope::Own id="my-sessions" />
                </section>
            }
            .into_any()
        } else {
            view! {
                <section class="card" aria-labelledby="profile-details-title">
                    <h2 id="profile-details-title">"Details"</h2>
                    <Details items=vec![
                        ("Name", c.display_name.clone().into_any()),
                        ("Email", c.email.clone().into_any()),
                        ("Account", c.account_name.clone().into_any()),
                        ("Role", c.role.label().into_any()),
                        ("This session signed in", absolute(c.signed_in_at).into_any()),
                    ] />
                </section>
            }
            .into_any()
        };
        view! {
            <Title text=if sessions { "Sessions" } else { "Profile" } />
            <h1>{c.display_name.clone()}</h1>
            <nav class="tabs" aria-label="Profile">
                {tab("/profile", "Details", !sessions)}
                {tab("/profile/sessions", "Sessions", sessions)}
            </nav>
            {body}
        }
    })
}
