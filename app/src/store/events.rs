//! What happened to a session, for the live console: published by the store after the
//! write commits. On SQLite (one process) straight into an in-process broadcast; on
//! Postgres as a `NOTIFY` inside the writing transaction (delivered only if it commits),
//! which every node's listener forwards into its own broadcast. Events carry ids and a
//! reason, never a token; who may see one is decided where it is sent.

use crate::domain::EndReason;
use tokio::sync::broadcast;
use uuid::Uuid;

/// The Postgres channel the events travel on.
pub const CHANNEL: &str = "session_events";

/// Events a slow subscriber may fall behind by before it is told to resynchronise.
const BACKLOG: usize = 4096;

/// A notification payload stays under Postgres' 8000-byte limit.
const MOST_PAYLOAD_BYTES: usize = 7000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Started,
    /// Its last-active time moved (written at most once a minute).
    Active,
    Ended(EndReason),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionEvent {
    pub account_id: Uuid,
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub change: Change,
}

/// What a subscriber receives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feed {
    Event(SessionEvent),
    /// Events may have been missed (the listener lost its connection): refetch.
    Resync,
}

/// The in-process side: every open stream subscribes here.
#[derive(Clone)]
pub struct Bus(broadcast::Sender<Feed>);

impl Default for Bus {
    fn default() -> Self {
        Bus(broadcast::channel(BACKLOG).0)
    }
}

impl Bus {
    pub fn subscribe(&self) -> broadcast::Receiver<Feed> {
        self.0.subscribe()
    }

    pub fn send(&self, feed: Feed) {
        // No subscriber is not an error: nobody is watching.
        let _ = self.0.send(feed);
    }
}

impl SessionEvent {
    fn encode(&self) -> String {
        let change = match self.change {
            Change::Started => "started",
            Change::Active => "active",
            Change::Ended(reason) => reason.as_str(),
        };
        format!(
            "{change} {} {} {}",
            self.account_id, self.user_id, self.session_id
        )
    }

    fn decode(line: &str) -> Option<SessionEvent> {
        let mut parts = line.split(' ');
        let change = match parts.next()? {
            "started" => Change::Started,
            "active" => Change::Active,
            reason => Change::Ended(reason.parse().ok()?),
        };
        let mut id = || parts.next().and_then(|p| Uuid::parse_str(p).ok());
        Some(SessionEvent {
            account_id: id()?,
            user_id: id()?,
            session_id: id()?,
            change,
        })
    }
}

/// Notification payloads for `events`: one line each, as few payloads as fit.
pub fn payloads(events: &[SessionEvent]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for event in events {
        let line = event.encode();
        if !current.is_empty() && current.len() + 1 + line.len() > MOST_PAYLOAD_BYTES {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push('\n');
        }
        current.push_str(&line);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The events in a notification payload; lines it cannot read are skipped.
pub fn parse(payload: &str) -> impl Iterator<Item = SessionEvent> + '_ {
    payload.lines().filter_map(SessionEvent::decode)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: u128, change: Change) -> SessionEvent {
        SessionEvent {
            account_id: Uuid::from_u128(n),
            user_id: Uuid::from_u128(n + 1),
            session_id: Uuid::from_u128(n + 2),
            change,
        }
    }

    #[test]
    fn payloads_round_trip_and_stay_under_the_limit() {
        let events: Vec<_> = (0..500)
            .map(|n| event(n, Change::Ended(EndReason::EndedByAdministrator)))
            .chain([event(7, Change::Started), event(8, Change::Active)])
            .collect();
        let payloads = payloads(&events);
        assert!(payloads.len() > 1);
        assert!(payloads.iter().all(|p| p.len() <= MOST_PAYLOAD_BYTES));
        let back: Vec<_> = payloads.iter().flat_map(|p| parse(p)).collect();
        assert_eq!(back, events);
        assert_eq!(parse("nonsense\nended_by_user x y z").count(), 0);
    }
}
