//! Writer lineage: the ids a replica writes under in its later sessions still name
//! the replica, so a policy that trusts a replica (an authority) keeps trusting it
//! after it restores.
//!
//! A new replica writes under its own id. A restored one must write under a fresh id
//! (its saved bytes may be older than writes it made before it stopped, and reusing
//! the id would give two different writes one dot). That fresh id is a *session
//! writer*: its high 24 bits are a tag of the replica id (top bit set, 23 bits of a
//! hash), its low 40 bits random. [`ReplicaId::writes_for`] matches on the tag.
//!
//! The odds, stated plainly: two sessions of one replica share a writer id with
//! probability 2^-40 per pair; an unrelated random id carries a given replica's tag
//! with probability 2^-23, and ids an application numbers itself below 2^63 never do.
//! Writer ids are not credentials: a forged id can claim any lineage.

use crate::ReplicaId;

/// Bits of a session writer id that are random.
const RANDOM_BITS: u32 = 40;

/// SplitMix64's finaliser: a fixed, well-mixed hash of 64 bits.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

impl ReplicaId {
    /// The tag (high 24 bits) that every session writer of this replica carries.
    fn lineage_tag(self) -> u64 {
        (mix(self.get()) >> RANDOM_BITS) | (1 << (63 - RANDOM_BITS))
    }

    /// A writer id for a later session of this replica, from `random` bits (only the
    /// low 40 are used): it [`writes_for`](Self::writes_for) this replica.
    ///
    /// ```
    /// use converge_core::ReplicaId;
    /// let office = ReplicaId::new(0xa);
    /// let session = office.session_writer(0x1234_5678_9a);
    /// assert_ne!(session, office);
    /// assert!(session.writes_for(office));
    /// assert!(!session.writes_for(ReplicaId::new(0xb)));
    /// ```
    pub fn session_writer(self, random: u64) -> ReplicaId {
        let low = random & ((1 << RANDOM_BITS) - 1);
        ReplicaId::new((self.lineage_tag() << RANDOM_BITS) | low)
    }

    /// Whether writes under this id count as writes of `replica`: it is `replica`, or
    /// one of its [session writers](Self::session_writer).
    pub fn writes_for(self, replica: ReplicaId) -> bool {
        self == replica || self.get() >> RANDOM_BITS == replica.lineage_tag()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_writers_keep_their_lineage_and_differ() {
        let a = ReplicaId::new(1);
        let b = ReplicaId::new(2);
        let (w1, w2) = (a.session_writer(1), a.session_writer(2));
        assert_ne!(w1, w2);
        assert!(w1.writes_for(a) && w2.writes_for(a));
        assert!(!w1.writes_for(b));
        assert!(!b.writes_for(a));
        // Small application-numbered ids never look like session writers.
        assert!((0..1000).all(|n| !ReplicaId::new(n).writes_for(a) || n == 1));
    }
}
