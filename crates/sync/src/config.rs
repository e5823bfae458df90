//! `Config`: the limits a replica works within.

/// Limits a replica works within.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// A delta interval that would encode larger than this is replaced by the full
    /// state (so is one larger than the full state, whatever this limit).
    pub max_delta_bytes: usize,
    /// At most this many deltas stay buffered; older ones are dropped, and peers that
    /// had not acknowledged them get the full state instead.
    pub max_buffer: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_delta_bytes: 1 << 20,
            max_buffer: 4096,
        }
    }
}
