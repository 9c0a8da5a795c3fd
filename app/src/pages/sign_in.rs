use leptos::prelude::*;
use leptos_meta::Title;

/// The sign-in page: email and password.
#[component]
pub fn SignInPage() -> impl IntoView {
    let (password_shown, set_password_shown) = signal(false);

    view! {
        <Title text="Sign in"/>
        <main class="sign-in">
            <section class="sign-in__card" aria-labelledby="sign-in-title">
                <p class="brand">"Session Console"</p>
                <h1 id="sign-in-title">"Sign in"</h1>
                <form method="post" action="/api/sign_in" class="form">
                    <div class="field">
                        <label for="email">"Email"</label>
                        <input id="email" name="email" type="email" autocomplete="username" required/>
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
                    </div>
                    <button type="submit" class="button button--primary">"Sign in"</button>
                </form>
            </section>
        </main>
    }
}
