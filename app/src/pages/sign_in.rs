use crate::api::auth::{SignIn, SignInResponse};
use crate::domain::SignInNotice;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The sign-in page: email and password, then an account for people in several.
#[component]
pub fn SignInPage() -> impl IntoView {
    let (password_shown, set_password_shown) = signal(false);
    let sign_in = ServerAction::<SignIn>::new();
    let query = use_query_map();
    let notice = move || {
        query.with(|q| {
            q.get("notice")
                .and_then(|n| SignInNotice::from_query(&n, q.get("minutes").as_deref()))
        })
    };
    let result = sign_in.value();
    let error = move || result.get().and_then(|r| r.err());
    let field_error = move |field: &'static str| move || error().and_then(|e| e.field(field));
    let general_error = move || {
        error()
            .filter(|e| !matches!(e, crate::AppError::InvalidInput(_)))
            .map(|e| e.to_string())
    };
    let choices = move || match result.get() {
        Some(Ok(SignInResponse::ChooseAccount(choices))) => Some(choices),
        _ => None,
    };

    view! {
        <Title text="Sign in" />
        <main class="sign-in">
            <section class="sign-in__card" aria-labelledby="sign-in-title">
                <p class="brand">"Session Console"</p>
                <h1 id="sign-in-title">"Sign in"</h1>
                {move || {
                    notice()
                        .map(|n| {
                            view! {
                                <p class="notice" role="status">
                                    {n.message()}
                                </p>
                            }
                        })
                }}
                <div role="alert" class="alert-region">
                    {move || general_error().map(|m| view! { <p class="notice notice--error">{m}</p> })}
                </div>
                <ActionForm action=sign_in attr:class="form" attr:novalidate=true>
                    <div class="field">
                        <label for="email">"Email"</label>
                        <input
                            id="email"
                            name="email"
                            type="email"
                            autocomplete="username"
                            required
                            aria-invalid=move || field_error("email")().is_some().to_string()
                            aria-describedby="email-error"
                        />
                        <p id="email-error" class="field__error">
                            {field_error("email")}
                        </p>
                    </div>
                    <div class="field">
                        <label for="password">"Password"</label>
                        <div class="field__with-button">
                            <input
                                id="password"
                                name="password"
                                type=move || if password_shown.get() { "text" } else { "password" }
                                autocomplete="current-password"
                                required
                                aria-invalid=move || field_error("password")().is_some().to_string()
                                aria-describedby="password-error"
                            />
                            <button
                                type="button"
                                class="button button--ghost"
                                aria-pressed=move || password_shown.get().to_string()
                                aria-controls="password"
                                on:click=move |_| set_password_shown.update(|shown| *shown = !*shown)
                            >
                                "Show password"
                            </button>
                        </div>
                        <p id="password-error" class="field__error">
                            {field_error("password")}
                        </p>
                    </div>
                    {move || {
                        choices()
                            .map(|choices| {
                                view! {
                                    <div class="field">
                                        <label for="account">"Account"</label>
                                        <select id="account" name="account" required>
                                            {choices
                                                .into_iter()
                                                .map(|c| {
                                                    view! {
                                                        <option value=c
                                                            .id
                                                            .to_string()>
                                                            {format!("{} ({})", c.name, c.role.label())}
                                                        </option>
                                                    }
                                                })
                                                .collect_view()}
                                        </select>
                                        <p class="field__hint">
                                            "You belong to several accounts. Choose one to sign in to."
                                        </p>
                                    </div>
                                }
                            })
                    }}
                    <button
                        type="submit"
                        class="button button--primary"
                        disabled=move || sign_in.pending().get()
                    >
                        {move || if sign_in.pending().get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </ActionForm>
            </section>
        </main>
    }
}
