//! The relay's frame handling: a connection's frames (the first byte picks the
//! scope, then frames as `[u16 little-endian length][bytes]`) through `check_frame`
//! and `apply_frame` on a hub replica, as the relay's hub runs them. No panic; a
//! refused frame changes nothing and yields no news; and the hub's state is always
//! exactly the join of the news it handed out to commit (what the durable log holds).
#![no_main]

use converge::{Codec, Document, Lattice};
use converge_core::DeltaCrdt;
use converge_relay::{apply_frame, check_frame, FrameOutcome, RateLimiter, Scope, RELAY_PEER_ID};
use converge_sync::Replica;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((flags, mut rest)) = data.split_first() else {
        return;
    };
    let scope = if flags & 1 == 1 { Scope::Read } else { Scope::Write };
    let Ok(hub) = Replica::new(RELAY_PEER_ID, Document::default()) else {
        return;
    };
    let mut hub = hub.with_session(converge_fuzz::RECEIVER_EPOCH, RELAY_PEER_ID);
    let mut log = Document::default();
    let mut limiter = RateLimiter::new(1_000_000);
    let mut sender = None;
    while rest.len() >= 2 {
        let len = usize::from(u16::from_le_bytes([rest[0], rest[1]]));
        let frame = &rest[2..(2 + len).min(rest.len())];
        rest = &rest[(2 + len).min(rest.len())..];
        // A frame check failing closes the connection.
        let Ok(head) = check_frame(frame, 1 << 16, &mut limiter, &mut sender) else {
            return;
        };
        let before = hub.state().clone();
        let mut news = Vec::new();
        match apply_frame(&mut hub, scope, &head, frame, &mut news) {
            Ok(FrameOutcome::Refused(code)) => {
                assert!(converge_relay::close_code::reason(code) != "other");
                if code == converge_relay::close_code::READ_ONLY {
                    assert!(news.is_empty(), "a refused write yielded news");
                    assert!(hub.state() == &before, "a refused write changed the state");
                }
                for entry in news {
                    log.join(Document::decode(&entry).expect("news decodes"));
                }
                return;
            }
            Ok(FrameOutcome::Applied { .. }) => {
                if scope == Scope::Read {
                    assert!(news.is_empty(), "a read-only client's frame yielded news");
                }
                for entry in news {
                    log.join(Document::decode(&entry).expect("news decodes"));
                }
            }
            Err(_) => return,
        }
        assert!(
            hub.state().is_subsumed_by(&log) && log.is_subsumed_by(hub.state()),
            "the hub's state differs from its log"
        );
    }
});
