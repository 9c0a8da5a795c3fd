#![recursion_limit = "512"]
//! The browser entry point: hydrates the server-rendered page.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Two builds of this crate: the console, and the sign-in page alone (a first visit's
    // download; see docs/performance.md, "First load").
    #[cfg(not(feature = "sign-in"))]
    leptos::mount::hydrate_body(app::App);
    #[cfg(feature = "sign-in")]
    leptos::mount::hydrate_body(app::SignInApp);
}
