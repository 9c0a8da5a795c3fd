//! How many event streams each session has open on this process, so that one session
//! cannot hold an unbounded number of them. Per process, like the streams themselves.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;
use uuid::Uuid;

/// Event streams one session may keep open at once on one process.
pub const MOST_STREAMS_PER_SESSION: usize = 10;

#[derive(Clone)]
pub struct OpenStreams(Arc<Mutex<HashMap<Uuid, usize>>>, Arc<watch::Sender<bool>>);

impl Default for OpenStreams {
    fn default() -> Self {
        OpenStreams(Default::default(), Arc::new(watch::channel(false).0))
    }
}

/// One open stream; dropping it (the stream ended) frees its place.
pub struct StreamPermit {
    streams: OpenStreams,
    session: Uuid,
}

impl OpenStreams {
    /// Becomes `true` when the server shuts down: every stream then ends.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.1.subscribe()
    }

    /// Ends every open stream cleanly (at shutdown, before connections are drained).
    pub fn close_all(&self) {
        self.1.send_replace(true);
    }

    /// A place for one more stream of `session`, unless it has the most already.
    pub fn open(&self, session: Uuid) -> Option<StreamPermit> {
        let mut open = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = open.entry(session).or_insert(0);
        if *count >= MOST_STREAMS_PER_SESSION {
            return None;
        }
        *count += 1;
        Some(StreamPermit {
            streams: self.clone(),
            session,
        })
    }
}

impl Drop for StreamPermit {
    fn drop(&mut self) {
        let mut open = self
            .streams
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(count) = open.get_mut(&self.session) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.session);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_opens_at_most_ten_and_closing_one_frees_a_place() {
        let streams = OpenStreams::default();
        let session = Uuid::from_u128(1);
        let permits: Vec<_> = (0..MOST_STREAMS_PER_SESSION)
            .filter_map(|_| streams.open(session))
            .collect();
        assert_eq!(permits.len(), MOST_STREAMS_PER_SESSION);
        assert!(streams.open(session).is_none());
        assert!(
            streams.open(Uuid::from_u128(2)).is_some(),
            "another session is not limited"
        );
        drop(permits);
        assert!(streams.open(session).is_some());
    }
}
