//! The client's delayed acknowledgements (as TCP's delayed ack): the relay's delta
//! intervals are acknowledged at most every [`ACK_DELAY`], or once [`ACK_EVERY`] of
//! them wait, or together with the next frame the client sends, whichever comes
//! first, with one ack for all of them (an ack says how far the client holds the
//! relay's deltas, so the latest covers every earlier one). A full state is acked at
//! once: it fills the relay's window alone, so a late ack would hold back what comes
//! after it.
//!
//! An ack the client sends is not a durability promise (the relay's acks of the
//! client's writes are, and those the relay sends at once after its commit). What it
//! tells the relay is how far the client holds its deltas, for the relay's flow
//! control (its window frees every message an ack covers: window.rs) and for its
//! buffer, which it collects up to what every client acknowledged. So a fan-out of
//! one write to many clients does not bring as many acks back at once.

use tokio::time::{Duration, Instant};

/// The most data messages one ack waits to answer: half the relay's window, so the
/// relay always has room to send while the ack is on its way.
pub(crate) const ACK_EVERY: u32 = (crate::window::WINDOW / 2) as u32;

/// The longest an ack waits after the first message it answers.
pub(crate) const ACK_DELAY: Duration = Duration::from_millis(250);

/// The ack the client holds back, if any.
#[derive(Debug, Default)]
pub(crate) struct DelayedAck {
    /// The latest ack not sent yet (it covers every earlier one).
    pending: Option<Vec<u8>>,
    /// How many data messages it answers.
    answers: u32,
    /// When it must go at the latest.
    due: Option<Instant>,
}

impl DelayedAck {
    /// Holds `ack`, the reply to one more data message received at `now`, in place
    /// of the one held; returns the ack to send now, when [`ACK_EVERY`] messages
    /// wait.
    pub(crate) fn hold(&mut self, ack: Vec<u8>, now: Instant) -> Option<Vec<u8>> {
        self.pending = Some(ack);
        self.answers += 1;
        self.due.get_or_insert(now + ACK_DELAY);
        match self.answers >= ACK_EVERY {
            true => self.take(),
            false => None,
        }
    }

    /// When the held ack must go (`None`: none is held).
    pub(crate) fn due(&self) -> Option<Instant> {
        self.due
    }

    /// The held ack, to send now (with the next frame, or because it is due).
    pub(crate) fn take(&mut self) -> Option<Vec<u8>> {
        self.answers = 0;
        self.due = None;
        self.pending.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ack_goes_once_enough_messages_wait_and_covers_them_all() {
        let now = Instant::now();
        let mut acks = DelayedAck::default();
        for n in 1..ACK_EVERY {
            assert_eq!(acks.hold(vec![n as u8], now), None);
        }
        assert_eq!(acks.due(), Some(now + ACK_DELAY));
        assert_eq!(
            acks.hold(vec![ACK_EVERY as u8], now),
            Some(vec![ACK_EVERY as u8]),
            "the latest ack goes, for all of them"
        );
        assert_eq!(acks.due(), None);
        assert_eq!(acks.take(), None);
    }

    #[test]
    fn the_deadline_is_set_by_the_first_message_an_ack_answers() {
        let start = Instant::now();
        let mut acks = DelayedAck::default();
        assert_eq!(acks.hold(vec![1], start), None);
        assert_eq!(acks.hold(vec![2], start + Duration::from_millis(100)), None);
        assert_eq!(acks.due(), Some(start + ACK_DELAY));
        assert_eq!(acks.take(), Some(vec![2]));
        assert_eq!(acks.due(), None);
        // The next one starts its own deadline and count.
        let later = start + Duration::from_secs(1);
        assert_eq!(acks.hold(vec![3], later), None);
        assert_eq!(acks.due(), Some(later + ACK_DELAY));
    }
}
