//! Targeted tests of the sync protocol, one idea per module:
//!
//! - `ordering`: no causal delivery is needed: deltas delivered in reverse order
//!   and with duplicates reach the state in-order delivery reaches;
//! - `idempotence`: receiving any message again, or an old one after newer ones,
//!   changes nothing and does not disturb later sync;
//! - `hostile`: forged, corrupt and mistyped messages, tokens and saved bytes are
//!   rejected with a typed error and leave the replica exactly as it was;
//! - `tokens`: a client resumes with a sync token and gets a small delta interval,
//!   or the full state when the server restarted or no longer buffers that far;
//! - `bounded`: oversized intervals, and intervals larger than the state, fall back
//!   to the full state;
//! - `metrics`: traffic, fallbacks, buffer depth, conflicts and sync lag are counted
//!   exactly;
//! - `types`: every converge type syncs, concurrently written, to the join of the
//!   replicas' states;
//! - `restarts`: replicas restored from saved bytes rejoin, and (pinned bugs) get
//!   back what a crash lost;
//! - `unencodable`: a state holding a value that cannot be encoded is refused with a
//!   typed error, and the replica stays usable.

mod support;

#[path = "protocol/bounded.rs"]
mod bounded;
#[path = "protocol/hostile.rs"]
mod hostile;
#[path = "protocol/idempotence.rs"]
mod idempotence;
#[path = "protocol/metrics.rs"]
mod metrics;
#[path = "protocol/ordering.rs"]
mod ordering;
#[path = "protocol/restarts.rs"]
mod restarts;
#[path = "protocol/tokens.rs"]
mod tokens;
#[path = "protocol/types.rs"]
mod types;
#[path = "protocol/unencodable.rs"]
mod unencodable;
