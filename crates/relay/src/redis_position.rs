//! Redis stream ids (`ms-seq`) and the `u64` log positions of the [`Storage`] trait.
//!
//! A position packs the id as `ms << 22 | seq`, saturating: 42 bits of milliseconds
//! (until the year 2109) and 22 bits of sequence within one millisecond (Redis only
//! counts that high if the clock steps back for minutes under load). Saturation
//! only ever rounds an id *down*, and a position means "every entry at or below it
//! was delivered", so a rounded position claims less than is true: compacting up to
//! it trims nothing that was not delivered. The Redis backend keeps the exact id
//! strings where it resumes reading; the rounded `u64` is for the hub's bookkeeping.
//!
//! [`Storage`]: crate::Storage

use std::fmt;

/// Bits of the sequence part in a packed position.
const SEQ_BITS: u32 = 22;
/// The largest sequence part a packed position holds.
const MAX_SEQ: u64 = (1 << SEQ_BITS) - 1;
/// The largest milliseconds part a packed position holds.
const MAX_MS: u64 = (1 << (64 - SEQ_BITS)) - 1;

/// A Redis stream id.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct StreamPos {
    /// Milliseconds part.
    pub(crate) ms: u64,
    /// Sequence part.
    pub(crate) seq: u64,
}

impl StreamPos {
    /// Parses `ms-seq` (a bare `ms` means `ms-0`, as Redis reads it).
    pub(crate) fn parse(id: &str) -> Option<StreamPos> {
        let (ms, seq) = id.split_once('-').unwrap_or((id, "0"));
        Some(StreamPos {
            ms: ms.parse().ok()?,
            seq: seq.parse().ok()?,
        })
    }

    /// The packed `u64` position, rounded down when the id does not fit.
    pub(crate) fn pack(self) -> u64 {
        if self.ms > MAX_MS {
            return u64::MAX;
        }
        (self.ms << SEQ_BITS) | self.seq.min(MAX_SEQ)
    }

    /// The id a packed position stands for.
    pub(crate) fn unpack(position: u64) -> StreamPos {
        StreamPos {
            ms: position >> SEQ_BITS,
            seq: position & MAX_SEQ,
        }
    }

    /// The smallest id after this one (for `XTRIM MINID`, which keeps ids `>=` it).
    pub(crate) fn successor(self) -> StreamPos {
        match self.seq.checked_add(1) {
            Some(seq) => StreamPos { ms: self.ms, seq },
            None => StreamPos {
                ms: self.ms.saturating_add(1),
                seq: 0,
            },
        }
    }
}

/// The position `millis` milliseconds before `position` (stream ids count the Redis
/// server's milliseconds, so this needs no clock of the node's).
pub(crate) fn earlier_by(position: u64, millis: u64) -> u64 {
    StreamPos {
        ms: StreamPos::unpack(position).ms.saturating_sub(millis),
        seq: 0,
    }
    .pack()
}

impl fmt::Display for StreamPos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_round_trips_ids_that_fit_and_rounds_others_down() {
        let id = StreamPos::parse("1764529200123-7").unwrap();
        assert_eq!(StreamPos::unpack(id.pack()), id);
        assert_eq!(id.to_string(), "1764529200123-7");
        let crowded = StreamPos {
            ms: 5,
            seq: MAX_SEQ + 10,
        };
        assert!(StreamPos::unpack(crowded.pack()) < crowded);
        let far = StreamPos {
            ms: MAX_MS + 1,
            seq: 0,
        };
        assert!(StreamPos::unpack(far.pack()) < far);
        // Order is kept: a later id never packs below an earlier one.
        assert!(StreamPos { ms: 6, seq: 0 }.pack() > crowded.pack());
    }

    #[test]
    fn earlier_by_goes_back_in_milliseconds_and_stops_at_zero() {
        let id = StreamPos { ms: 5000, seq: 7 }.pack();
        assert_eq!(earlier_by(id, 2000), StreamPos { ms: 3000, seq: 0 }.pack());
        assert_eq!(earlier_by(id, 9000), 0);
    }

    #[test]
    fn parse_rejects_garbage_and_reads_a_bare_millisecond() {
        assert_eq!(StreamPos::parse("x-1"), None);
        assert_eq!(StreamPos::parse("12"), Some(StreamPos { ms: 12, seq: 0 }));
        assert_eq!(
            StreamPos {
                ms: 1,
                seq: u64::MAX
            }
            .successor(),
            StreamPos { ms: 2, seq: 0 }
        );
    }
}
