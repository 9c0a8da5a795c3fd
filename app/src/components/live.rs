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
/// The stream stops when the console is left (signing out): a late "ended" event must
/// not navigate a page that already shows the sign-in form.
pub fn provide_live_changes() {
    let changes = RwSignal::new(0u64);
    provide_context(LiveChanges(changes));
    #[cfg(feature = "hydrate")]
    {
        let stream = StoredValue::new_local(browser::Stream::default());
        Effect::new(move |started: Option<()>| {
            if started.is_none() {
                browser::connect(stream, changes, 0);
            }
        });
        on_cleanup(move || {
            stream.try_with_value(browser::Stream::stop);
        });
    }
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

    /// The tab's current connection, and whether the console it served is gone.
    #[derive(Default)]
    pub struct Stream {
        source: std::cell::RefCell<Option<EventSource>>,
        stopped: std::cell::Cell<bool>,
    }

    impl Stream {
        pub fn stop(&self) {
            self.stopped.set(true);
            if let Some(source) = self.source.borrow_mut().take() {
                source.close();
            }
        }
    }

    fn stopped(stream: StoredValue<Stream, LocalStorage>) -> bool {
        stream.try_with_value(|s| s.stopped.get()).unwrap_or(true)
    }

    pub fn connect(stream: StoredValue<Stream, LocalStorage>, changes: RwSignal<u64>, attempt: u32) {
        if stopped(stream) {
            return;
        }
        let Ok(source) = EventSource::new("/api/v1/events") else {
            return;
        };
        stream.with_value(|s| s.source.replace(Some(source.clone())));
        listen(&source, "ended", move |event| {
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
                        if !stopped(stream) {
                            let _ = window().location().replace(&url);
                        }
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
        let closing = source.clone();
        listen(&source, "error", move |_| {
            if closing.ready_state() != EventSource::CLOSED {
                return; // The browser reconnects by itself.
            }
            closing.close();
            if stopped(stream) {
                return;
            }
            // Refused (the session is over while we were away) or unreachable: ask once
            // whether this session still works, then try again later.
            leptos::task::spawn_local(async move {
                if let Err(e) = crate::api::auth::me().await {
                    crate::components::reload_if_signed_out(&e);
                }
                set_timeout(move || connect(stream, changes, attempt + 1), backoff(attempt));
            });
        });
    }
}

/// The live counter as an open list should follow it: it moves only while nothing is
/// open over the list (a menu, a dialog: `busy`), so a refetch never closes what the
/// person is using; a change that arrives meanwhile applies as soon as it closes.
pub fn settled_live_changes(busy: Signal<bool>) -> Signal<u64> {
    let live = live_changes();
    let settled = RwSignal::new(live.get_untracked());
    let retry = RwSignal::new(0u32);
    Effect::new(move |_| {
        let latest = live.get();
        retry.track();
        let blocked = busy.get() || menu_open();
        if latest == settled.get_untracked() {
            return;
        }
        if blocked {
            set_timeout(
                move || retry.update(|n| *n += 1),
                std::time::Duration::from_millis(300),
            );
        } else {
            settled.set(latest);
        }
    });
    settled.into()
}

/// Whether a menu button has its menu open anywhere on the page.
fn menu_open() -> bool {
    #[cfg(feature = "hydrate")]
    {
        document()
            .query_selector("[aria-expanded=\"true\"]")
            .ok()
            .flatten()
            .is_some()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        false
    }
}

/// The focused element's accessible name, to focus its replacement after a list is
/// redrawn (row buttons are named after their session).
pub fn remember_focus() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        document()
            .active_element()
            .and_then(|e| e.get_attribute("aria-label"))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        None
    }
}

/// Focuses the element named `label` once the redrawn list is on the page.
pub fn restore_focus(label: Option<String>) {
    #[cfg(feature = "hydrate")]
    if let Some(label) = label {
        request_animation_frame(move || {
            use wasm_bindgen::JsCast;
            let found = document()
                .query_selector_all("[aria-label]")
                .ok()
                .and_then(|nodes| {
                    (0..nodes.length())
                        .filter_map(|i| nodes.item(i))
                        .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
                        .find(|e| e.get_attribute("aria-label").as_deref() == Some(label.as_str()))
                });
            let already = document()
                .active_element()
                .and_then(|e| e.get_attribute("aria-label"))
                .is_some_and(|l| l == label);
            if let (Some(element), false) = (found, already) {
                let _ = element.focus();
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = label;
}

/// What changed between two versions of a list of sessions (id, active), as one short
/// sentence for a polite live region, or `None` when nothing did.
pub fn describe_changes(before: &[(uuid::Uuid, bool)], after: &[(uuid::Uuid, bool)]) -> Option<String> {
    let active = |list: &[(uuid::Uuid, bool)]| -> std::collections::HashSet<uuid::Uuid> {
        list.iter().filter(|(_, a)| *a).map(|(id, _)| *id).collect()
    };
    let all_before: std::collections::HashSet<_> = before.iter().map(|(id, _)| *id).collect();
    let (was, is) = (active(before), active(after));
    let new = after.iter().filter(|(id, _)| !all_before.contains(id)).count();
    let ended = was.iter().filter(|id| !is.contains(id)).count();
    let plural = |n: usize, one: &str, many: &str| {
        if n == 1 {
            one.to_string()
        } else {
            format!("{n} {many}")
        }
    };
    match (new, ended) {
        (0, 0) => None,
        (n, 0) => Some(plural(n, "1 new session", "new sessions")),
        (0, e) => Some(plural(e, "Session ended", "sessions ended")),
        (n, e) => Some(format!(
            "{}, {}",
            plural(n, "1 new session", "new sessions"),
            plural(e, "1 session ended", "sessions ended")
        )),
    }
}

/// Puts `message` in the polite live region, unless one was put there less than a
/// second ago (a burst of changes is not read out line by line).
pub fn announce(region: RwSignal<String>, at: StoredValue<f64>, message: Option<String>) {
    let Some(message) = message else {
        return;
    };
    #[cfg(feature = "hydrate")]
    {
        let now = js_sys::Date::now();
        if now - at.get_value() < 1000.0 {
            return;
        }
        at.set_value(now);
        region.set(message);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (region, at, message);
}

#[cfg(test)]
mod tests {
    use super::describe_changes;
    use uuid::Uuid;

    #[test]
    fn changes_are_told_in_one_short_sentence() {
        let (a, b, c) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        assert_eq!(describe_changes(&[(a, true)], &[(a, true)]), None);
        assert_eq!(
            describe_changes(&[(a, true)], &[(b, true), (a, true)]).as_deref(),
            Some("1 new session")
        );
        assert_eq!(
            describe_changes(&[(a, true), (b, true)], &[(b, true)]).as_deref(),
            Some("Session ended")
        );
        assert_eq!(
            describe_changes(&[(a, true)], &[(a, false)]).as_deref(),
            Some("Session ended"),
            "moved to Ended in the All view"
        );
        assert_eq!(
            describe_changes(&[(a, true), (b, true)], &[(c, true)]).as_deref(),
            Some("1 new session, 2 sessions ended")
        );
    }
}
