use crate::pages::{
    AccountSessionsPage, AuditLogPage, ConsoleLayout, HomePage, NotFound, ProfilePage, SettingsPage,
    SignInPage, UserDetailsPage, UsersPage,
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{path, SsrMode};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                // The stylesheet's name is the build's fingerprint (see server/src/assets.rs).
                <link rel="stylesheet" id="leptos" href=format!("/pkg/{}.css", options.output_name) />
                <AutoReload options=options.clone() />
                <HydrationScripts options=entry(options) />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The scripts a page loads: the sign-in page's own small bundle on `/signin`, the
/// console's everywhere else. The two builds share one fingerprint (`make site`).
fn entry(options: LeptosOptions) -> LeptosOptions {
    #[cfg(feature = "ssr")]
    if use_context::<http::request::Parts>().is_some_and(|parts| parts.uri.path() == "/signin") {
        let mut options = options;
        options.output_name = options
            .output_name
            .replacen(crate::OUTPUT_NAME, crate::SIGN_IN_OUTPUT_NAME, 1)
            .into();
        return options;
    }
    options
}

fn title(text: String) -> String {
    format!("{text} | Session Console")
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    mark_hydrated();

    view! {
        <Title formatter=title />
        <Router>
            <Routes fallback=|| view! { <NotFound /> }>
                <Route path=path!("/signin") view=SignInPage />
                <ParentRoute path=path!("") view=ConsoleLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("profile") view=|| view! { <ProfilePage /> } ssr=SsrMode::Async />
                    <Route
                        path=path!("profile/sessions")
                        view=|| view! { <ProfilePage sessions=true /> }
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("iam/users") view=UsersPage ssr=SsrMode::Async />
                    <Route path=path!("iam/sessions") view=AccountSessionsPage ssr=SsrMode::Async />
                    <Route path=path!("iam/audit") view=AuditLogPage ssr=SsrMode::Async />
                    <Route path=path!("iam/settings") view=SettingsPage ssr=SsrMode::Async />
                    <Route path=path!("iam/users/:id") view=UserDetailsPage ssr=SsrMode::Async />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// What the sign-in page's bundle hydrates (`frontend`'s `sign-in` feature): the router
/// with that one route, rendered as [`App`] renders it, so that a first visit downloads
/// the sign-in page's code and not the whole console's (docs/performance.md, "First
/// load"). Every other page is the server's: the redirect after signing in is a full
/// page load, which brings the console's bundle.
#[component]
pub fn SignInApp() -> impl IntoView {
    // Set before the router sets its own (the first hook set is the one kept).
    let _ = leptos::server_fn::redirect::set_redirect_hook(|location: &str| {
        let _ = window().location().set_href(location);
    });
    provide_meta_context();
    mark_hydrated();

    view! {
        <Title formatter=title />
        <Router>
            <Routes fallback=|| view! { <NotFound /> }>
                <Route path=path!("/signin") view=SignInPage />
            </Routes>
        </Router>
    }
}

/// Sets `data-hydrated` on `<body>` once the wasm has taken over the page. Effects run
/// only in the browser, so end-to-end tests wait for this before they click.
fn mark_hydrated() {
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}

/// A strict Content-Security-Policy for this page: only scripts carrying this response's
/// nonce (Leptos puts it on its hydration scripts) and what they load; wasm compiled
/// from the same origin; no frames, plugins, foreign forms or `<base>`.
#[cfg(feature = "ssr")]
fn content_security_policy() {
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    let policy = format!(
        "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
         frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    );
    if let Ok(value) = http::HeaderValue::from_str(&policy) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}
