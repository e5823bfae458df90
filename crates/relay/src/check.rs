//! The checks on one client frame that need no document state.

use std::time::Instant;

use converge_ormap::Document;
use converge_sync::{MessageHead, MessageKind};

use crate::close_code;
use crate::limits::RateLimiter;

/// The checks on one binary frame that need no document: size, that it is a sync
/// message, rate (acks not counted), and that the sender stays the same. Returns the head, or the close code.
pub fn check_frame(
    bytes: &[u8],
    max_frame_bytes: usize,
    limiter: &mut RateLimiter,
    sender: &mut Option<converge_core::ReplicaId>,
) -> Result<MessageHead, u16> {
    if bytes.len() > max_frame_bytes {
        return Err(close_code::FRAME_TOO_LARGE);
    }
    let head = MessageHead::read::<Document>(bytes).map_err(|_| close_code::BAD_FRAME)?;
    // Acks are not counted: a client acks every message the relay forwards, so their
    // rate follows the document's activity, not the client's.
    if head.kind != MessageKind::Ack && !limiter.allow(Instant::now()) {
        return Err(close_code::RATE_LIMITED);
    }
    match sender {
        Some(s) if *s != head.sender => return Err(close_code::BAD_FRAME),
        Some(_) => {}
        None => *sender = Some(head.sender),
    }
    if head.sender == crate::RELAY_PEER_ID {
        return Err(close_code::BAD_FRAME);
    }
    Ok(head)
}
