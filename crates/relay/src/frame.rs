//! Applying one client frame to a hub replica: the read-only check, the join, and the
//! news to commit. Pure (no I/O), so the hub and the fuzz target run the same code.

use converge_core::{Codec, Lattice};
use converge_ormap::Document;
use converge_sync::{MessageHead, Replica};

use crate::{close_code, Error, Scope};

/// What applying one frame came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameOutcome {
    /// Applied (or nothing to apply): the reply to send back, if any. Its news, if
    /// any, was pushed to the caller's list and must be committed before the reply
    /// (or anything else) is sent.
    Applied {
        /// The reply for the sender (an ack, a hello, or what a hello asked for).
        reply: Option<Vec<u8>>,
    },
    /// Refused with this close code: the replica's state is unchanged and no news
    /// was pushed.
    Refused(u16),
}

/// Applies the frame `bytes` (whose head is `head`) from a client with `scope` to the
/// hub `replica`. What it brings that is news is pushed to `news`, encoded, one entry
/// per value joined, so the log holds exactly what the state gained.
///
/// A read-only client's frame that would bring news is refused whole (4403); a
/// message the replica rejects is refused with 4400. Fails only when news cannot be
/// encoded: the state then holds news the log lacks, and the caller must drop it.
pub fn apply_frame(
    replica: &mut Replica<Document>,
    scope: Scope,
    head: &MessageHead,
    bytes: &[u8],
    news: &mut Vec<Vec<u8>>,
) -> Result<FrameOutcome, Error> {
    if scope == Scope::Read && head.kind.carries_data() {
        match replica.would_bring_news(bytes) {
            Ok(false) => {}
            Ok(true) => return Ok(FrameOutcome::Refused(close_code::READ_ONLY)),
            Err(_) => return Ok(FrameOutcome::Refused(close_code::BAD_FRAME)),
        }
    }
    let mut encode_failed = None;
    let result = replica.receive_with(bytes, |state, value| {
        match value.encode() {
            Ok(encoded) => news.push(encoded),
            Err(e) => encode_failed = Some(e),
        }
        // A plain join: the relay counts no conflicts (its clients do).
        state.join(value);
        0
    });
    if let Some(e) = encode_failed {
        return Err(e.into());
    }
    Ok(match result {
        Ok(reply) => FrameOutcome::Applied { reply },
        // Applied, but the reply failed to encode (the news stays, and is committed);
        // or rejected unchanged.
        Err(_) => FrameOutcome::Refused(close_code::BAD_FRAME),
    })
}
