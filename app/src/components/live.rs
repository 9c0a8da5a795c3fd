//! The live console in the browser: each tab keeps one event stream
//! (`GET /api/v1/events`). When the tab's session ends — anywhere, for any reason, or at
//! its expiry — the tab goes to the sign-in page with the reason, without any click.
//! Changes to sessions the viewer may see bump a counter that open session lists
//! refetch on. A dropped stream reconnects with backoff and counts as a change (what
//! happened meanwhile is fetched again).

use leptos::prelude::*;

/// How many times sessions the viewer may see changed (or events may have been
/// missed) since the page loaded. Session lists read it to refetch.
#[derive(Clone, Copy)]
pub struct LiveChanges(pub RwSignal<u64>);

/// The counter, where the console layout provides it.
pub fn live_changes() -> Signal<u64> {
    let changes = use_context::<LiveChanges>().map(|l| l.0);
    Signal::derive(move || changes.map_or(0, |c| c.get()))
}

/// Starts the tab's event stream (in the browser only) and provides [`LiveChanges`].
pub fn provide_live_changes() {
    let changes = RwSignal::new(0u64);
    provide_context(LiveChanges(changes));
    #[cfg(feature = "hydrate")]
    Effect::new(move |started: Option<()>| {
        if started.is_none() {
            browser::connect(changes, 0);
        }
    });
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::*;
    use serde::Deserialize;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    use web_sys::{EventSource, MessageEvent};

    #[derive(Deserialize)]
    struct Ended {
        sign_in_url: String,
    }

    /// Waits before reconnecting: 1 s, 2 s, 4 s … at most 30 s.
    fn backoff(attempt: u32) -> std::time::Duration {
        std::time::Duration::from_secs((1u64 << attempt.min(5)).min(30))
    }

    fn listen(source: &EventSource, kind: &str, handler: impl FnMut(MessageEvent) + 'static) {
        let closure = Closure::<dyn FnMut(MessageEvent)>::new(handler);
        let _ = source.add_event_listener_with_callback(kind, closure.as_ref().unchecked_ref());
        // Lives as long as the stream, which lives as long as the tab.
        closure.forget();
    }

    pub fn connect(changes: RwSignal<u64>, attempt: u32) {
        let Ok(source) = EventSource::new("/api/v1/events") else {
            return;
        };
        listen(&source, "ended", |event| {
            let url = event
                .data()
                .as_string()
                .and_then(|data| serde_json::from_str::<Ended>(&data).ok())
                .map_or_else(|| "/signin?notice=ended".to_string(), |e| e.sign_in_url);
            // Only ever a path on this site. A moment's grace: when this tab ended its own
            // session, its own navigation (with its own notice) wins.
            if url.starts_with('/') && !url.starts_with("//") {
                set_timeout(
                    move || {
                        let _ = window().location().replace(&url);
                    },
                    std::time::Duration::from_millis(250),
                );
            }
        });
        listen(&source, "session", move |_| changes.update(|n| *n += 1));
        listen(&source, "resync", move |_| changes.update(|n| *n += 1));
        // Opened again (by the browser's own retry, or ours): what happened in the gap
        // is fetched again.
        let opened = std::rc::Rc::new(std::cell::Cell::new(attempt > 0));
        listen(&source, "open", move |_| {
            if opened.replace(true) {
                changes.update(|n| *n += 1);
            }
        });
        let stream = source.clone();
        listen(&source, "error", move |_| {
            if stream.ready_state() != EventSource::CLOSED {
                return; // The browser reconnects by itself.
            }
            stream.close();
            // Refused (the session is over while we were away) or unreachable: ask once
            // whether this session still works, then try again later.
            leptos::task::spawn_local(async move {
                if let Err(e) = crate::api::auth::me().await {
                    crate::components::reload_if_signed_out(&e);
                }
                set_timeout(move || connect(changes, attempt + 1), backoff(attempt));
            });
        });
    }
}
