//! Flow control toward one client: the data messages in flight (sent, their reply
//! not back yet), at most [`WINDOW`], and a full state alone. See PROTOCOL.md, "Flow
//! control".
//!
//! Each message in flight is recorded with the position it brings the client to (the
//! hub's sequence number it was made at). An ack frees every message its position
//! covers, and at least the oldest: a client may answer several messages with one ack
//! (the Rust client delays and coalesces its acks, as TCP does), and one that answers
//! each message with its own ack frees them one by one, oldest first (a WebSocket
//! keeps frames in order).

/// The most data messages in flight to one client.
pub(crate) const WINDOW: usize = 8;

/// The data messages in flight to one client, oldest first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Window {
    /// How many are in flight (at most [`WINDOW`]).
    in_flight: u8,
    /// Bit `i` set: the `i`-th oldest message in flight is a full state.
    full: u8,
    /// The position each message in flight brings the client to, oldest first.
    to: [u64; WINDOW],
}

impl Window {
    /// Whether another data message may be sent now. A full state in flight leaves
    /// no room; so does a full window.
    pub(crate) fn has_room(&self) -> bool {
        usize::from(self.in_flight) < WINDOW && self.full == 0
    }

    /// Whether nothing is in flight.
    pub(crate) fn is_empty(&self) -> bool {
        self.in_flight == 0
    }

    /// How many are in flight.
    pub(crate) fn in_flight(&self) -> usize {
        usize::from(self.in_flight)
    }

    /// A data message was sent (`full`: a full state) that brings the client to
    /// position `to`. Beyond a full window (a caller that did not ask
    /// [`has_room`](Self::has_room)) it is not recorded.
    pub(crate) fn sent(&mut self, full: bool, to: u64) {
        let i = usize::from(self.in_flight);
        if let Some(slot) = self.to.get_mut(i) {
            *slot = to;
            self.full |= u8::from(full) << i;
            self.in_flight += 1;
        }
    }

    /// The client answered the oldest message in flight.
    pub(crate) fn answered(&mut self) {
        if self.in_flight == 0 {
            return;
        }
        self.to.copy_within(1.., 0);
        self.in_flight -= 1;
        self.full >>= 1;
    }

    /// The client acknowledged up to position `acked` (`None`: nothing the hub can
    /// place, such as an ack of another session): frees the messages in flight that
    /// bring it no further, and at least the oldest (the ack answers it).
    pub(crate) fn acked(&mut self, acked: Option<u64>) {
        self.answered();
        while self.in_flight > 0 && acked.is_some_and(|a| self.to[0] <= a) {
            self.answered();
        }
    }

    /// The client said hello: what was in flight no longer counts (the hello says
    /// where it stands) but for `reply`, the hub's answer, if it is a data message
    /// (whether a full state, and the position it brings the client to).
    pub(crate) fn restart(&mut self, reply: Option<(bool, u64)>) {
        *self = Window::default();
        if let Some((full, to)) = reply {
            self.sent(full, to);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_fill_the_window_and_acks_free_it_in_order() {
        let mut w = Window::default();
        for to in 1..=WINDOW as u64 {
            assert!(w.has_room());
            w.sent(false, to);
        }
        assert!(!w.has_room());
        w.acked(Some(1));
        assert!(w.has_room());
        for to in 2..=WINDOW as u64 {
            w.acked(Some(to));
        }
        assert!(w.is_empty());
    }

    #[test]
    fn one_ack_frees_every_message_its_position_covers() {
        let mut w = Window::default();
        for to in [3, 5, 8, 9] {
            w.sent(false, to);
        }
        // A coalesced ack of the first three.
        w.acked(Some(8));
        assert!(!w.is_empty());
        w.acked(Some(9));
        assert!(w.is_empty());
        // An ack the hub cannot place frees the oldest, as one ack per message does.
        w.sent(false, 10);
        w.sent(false, 11);
        w.acked(None);
        w.acked(None);
        assert!(w.is_empty());
    }

    #[test]
    fn a_full_window_stays_full_until_an_ack_and_does_not_record_more() {
        let mut w = Window::default();
        for to in 1..=WINDOW as u64 + 3 {
            w.sent(false, to);
        }
        assert!(!w.has_room());
        w.acked(Some(WINDOW as u64));
        assert!(w.is_empty(), "sends beyond the window are not recorded");
    }

    #[test]
    fn a_full_state_in_flight_leaves_no_room_until_it_is_answered() {
        let mut w = Window::default();
        w.sent(false, 1);
        w.sent(true, 2);
        assert!(!w.has_room());
        w.acked(Some(1)); // the delta
        assert!(!w.has_room(), "the full state is still in flight");
        w.acked(Some(2)); // the full state
        assert!(w.has_room() && w.is_empty());
    }

    #[test]
    fn a_hello_restarts_the_window_with_its_reply() {
        let mut w = Window::default();
        w.sent(false, 1);
        w.sent(false, 2);
        w.restart(Some((true, 3)));
        assert!(!w.has_room());
        w.acked(Some(3));
        assert!(w.is_empty());
        w.restart(None);
        assert!(w.is_empty());
        // Extra answers (to messages sent before the hello) never underflow.
        w.answered();
        w.acked(Some(100));
        assert!(w.is_empty() && w.has_room());
    }
}
