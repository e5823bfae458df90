//! The WebSocket close codes the relay sends (see PROTOCOL.md), and which of them
//! a client should not retry.

/// Normal close.
pub const NORMAL: u16 = 1000;
/// The relay is restarting or draining: reconnect with backoff.
pub const RESTARTING: u16 = 1012;
/// A text frame, an undecodable or rejected sync message, a changed sender, or a
/// connection replaced by a newer one of the same client id.
pub const BAD_FRAME: u16 = 4400;
/// A missing, malformed, badly signed or expired token, or one that does not cover
/// the document.
pub const BAD_TOKEN: u16 = 4401;
/// A write on a read-only token: nothing of it was applied.
pub const READ_ONLY: u16 = 4403;
/// An unknown or invalid document name.
pub const BAD_DOCUMENT: u16 = 4404;
/// The connection's send queue was full (a slow consumer): reconnect and resync.
pub const SLOW_CONSUMER: u16 = 4408;
/// A frame larger than the relay accepts.
pub const FRAME_TOO_LARGE: u16 = 4413;
/// Too many messages per second on this connection.
pub const RATE_LIMITED: u16 = 4429;
/// Too many connections to the relay.
pub const TOO_MANY_CONNECTIONS: u16 = 4430;
/// Too many documents (loaded on the relay; v1 carries one document per connection).
pub const TOO_MANY_DOCUMENTS: u16 = 4431;
/// The durable log refused a commit: nothing of the batch was acknowledged.
pub const STORAGE_UNAVAILABLE: u16 = 4503;

/// Whether a client should give up rather than reconnect after this close code: the
/// request itself is wrong (bad frame, token, scope, document or size).
pub fn is_fatal(code: u16) -> bool {
    matches!(
        code,
        BAD_FRAME | BAD_TOKEN | READ_ONLY | BAD_DOCUMENT | FRAME_TOO_LARGE
    )
}

/// A short name for the code, as metrics label rejections.
pub fn reason(code: u16) -> &'static str {
    match code {
        NORMAL => "normal",
        RESTARTING => "restarting",
        BAD_FRAME => "bad_frame",
        BAD_TOKEN => "bad_token",
        READ_ONLY => "read_only",
        BAD_DOCUMENT => "bad_document",
        SLOW_CONSUMER => "slow_consumer",
        FRAME_TOO_LARGE => "frame_too_large",
        RATE_LIMITED => "rate_limited",
        TOO_MANY_CONNECTIONS => "too_many_connections",
        TOO_MANY_DOCUMENTS => "too_many_documents",
        STORAGE_UNAVAILABLE => "storage_unavailable",
        _ => "other",
    }
}

/// Every code the relay sends with a reason, in the order metrics list them.
pub const REJECTIONS: [u16; 10] = [
    BAD_FRAME,
    BAD_TOKEN,
    READ_ONLY,
    BAD_DOCUMENT,
    SLOW_CONSUMER,
    FRAME_TOO_LARGE,
    RATE_LIMITED,
    TOO_MANY_CONNECTIONS,
    TOO_MANY_DOCUMENTS,
    STORAGE_UNAVAILABLE,
];
