use super::LoadError;
use crate::api::iam::get_user;
use crate::components::time::absolute;
use crate::components::{Details, Drawer, Loading, RelativeTime, SessionScope, SessionsPanel};
use crate::model::UserDetails;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

/// A user of the account: their details, and their sessions in a drawer.
#[component]
pub fn UserDetailsPage() -> impl IntoView {
    let params = use_params_map();
    let user_id = move || params.with(|p| p.get("id").and_then(|id| Uuid::parse_str(&id).ok()));
    let details = Resource::new(user_id, |id| async move {
        match id {
            Some(id) => get_user(id).await,
            None => Err(crate::AppError::NotFound),
        }
    });
    let drawer_open = RwSignal::new(false);

    let page = move |d: UserDetails| {
        let user = d.user;
        let name = user.display_name.clone();
        let drawer_title = format!("Login sessions for {name}");
        let user_id = user.user_id;
        view! {
            <nav class="breadcrumb" aria-label="Breadcrumb">
                <ol>
                    <li>"Manage"</li>
                    <li>"Access (IAM)"</li>
                    <li>
                        <A href="/iam/users">"Users"</A>
                    </li>
                    <li aria-current="page">{name.clone()}</li>
                </ol>
            </nav>
            <h1>{name.clone()}</h1>
            <section class="card" aria-labelledby="user-details-title">
                <h2 id="user-details-title">"User details"</h2>
                <Details items=vec![
                    ("Email", user.email.clone().into_any()),
                    ("Role", user.role.label().into_any()),
                    ("Member since", absolute(user.member_since).into_any()),
                    ("Active sessions", user.active_sessions.to_string().into_any()),
                    (
                        "Last active",
                        match user.last_active_at {
                            Some(at) => view! { <RelativeTime at now=d.now /> }.into_any(),
                            None => "Never".into_any(),
                        },
                    ),
                ] />
                <button type="button" class="button button--primary" on:click=move |_| drawer_open.set(true)>
                    "View sessions"
                </button>
            </section>
            <Drawer open=drawer_open title=drawer_title id="sessions-drawer">
                <SessionsPanel scope=SessionScope::User(user_id) id="user-sessions" />
            </Drawer>
        }
        .into_any()
    };

    let title = move || match details.get() {
        Some(Ok(d)) => d.user.display_name,
        Some(Err(crate::AppError::Forbidden)) => "No access".to_string(),
        _ => "User".to_string(),
    };
    view! {
        <Title text=title />
        <Transition fallback=|| {
            view! { <Loading text="Loading user…" /> }
        }>
            {move || Suspend::new(async move {
                match details.await {
                    Ok(d) => page(d),
                    Err(error) => view! { <LoadError error subject="User" /> }.into_any(),
                }
            })}
        </Transition>
    }
}
