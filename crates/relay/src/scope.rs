//! `Scope`: what a connection may do.

use serde::{Deserialize, Serialize};

/// What a connection may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Receive only: a message that would bring news is refused (close 4403).
    Read,
    /// Read and write.
    Write,
}
