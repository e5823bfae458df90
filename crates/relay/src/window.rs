//! Flow control toward one client: the data messages in flight (sent, their reply
//! not back yet), at most [`WINDOW`], and a full state alone. See PROTOCOL.md, "Flow
//! control".
//!
//! A client answers every data message with exactly one reply (an ack, or a hello
//! when it found a gap) and a WebSocket keeps frames in order, so the n-th reply
//! answers the oldest message in flight: the window is a FIFO of message kinds.

/// The most data messages in flight to one client.
pub(crate) const WINDOW: u8 = 4;

/// The data messages in flight to one client, oldest first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Window {
    /// How many are in flight (at most [`WINDOW`]).
    in_flight: u8,
    /// Bit `i` set: the `i`-th oldest message in flight is a full state.
    full: u8,
}

impl Window {
    /// Whether another data message may be sent now. A full state in flight leaves
    /// no room; so does a full window.
    pub(crate) fn has_room(self) -> bool {
        self.in_flight < WINDOW && self.full == 0
    }

    /// Whether nothing is in flight.
    pub(crate) fn is_empty(self) -> bool {
        self.in_flight == 0
    }

    /// A data message was sent (`full`: a full state).
    pub(crate) fn sent(&mut self, full: bool) {
        if self.in_flight < 8 {
            self.full |= u8::from(full) << self.in_flight;
        }
        self.in_flight = self.in_flight.saturating_add(1);
    }

    /// The client answered the oldest message in flight.
    pub(crate) fn answered(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.full >>= 1;
    }

    /// The client said hello: what was in flight no longer counts (the hello says
    /// where it stands) but for `reply`, the hub's answer, if it is a data message.
    pub(crate) fn restart(&mut self, reply: Option<bool>) {
        *self = Window::default();
        if let Some(full) = reply {
            self.sent(full);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_fill_the_window_and_acks_free_it_in_order() {
        let mut w = Window::default();
        for _ in 0..WINDOW {
            assert!(w.has_room());
            w.sent(false);
        }
        assert!(!w.has_room());
        w.answered();
        assert!(w.has_room());
        for _ in 1..WINDOW {
            w.answered();
        }
        assert!(w.is_empty());
    }

    #[test]
    fn a_full_state_in_flight_leaves_no_room_until_it_is_answered() {
        let mut w = Window::default();
        w.sent(false);
        w.sent(true);
        assert!(!w.has_room());
        w.answered(); // the delta
        assert!(!w.has_room(), "the full state is still in flight");
        w.answered(); // the full state
        assert!(w.has_room() && w.is_empty());
    }

    #[test]
    fn a_hello_restarts_the_window_with_its_reply() {
        let mut w = Window::default();
        w.sent(false);
        w.sent(false);
        w.restart(Some(true));
        assert!(!w.has_room());
        w.answered();
        assert!(w.is_empty());
        w.restart(None);
        assert!(w.is_empty());
        // Extra answers (to messages sent before the hello) never underflow.
        w.answered();
        assert!(w.is_empty() && w.has_room());
    }
}
