//! What a replica knows of each peer (what it acknowledged of ours, what we hold of
//! its, which of its sessions we last heard), and how sessions are named and ordered.

use converge_core::ReplicaId;

use crate::Error;

/// What a replica knows of one peer.
#[derive(Clone, Debug, Default)]
pub(crate) struct Peer {
    /// Up to which sequence number (exclusive) the peer acknowledged our deltas, in
    /// our current epoch.
    pub(crate) acked: Option<u64>,
    /// Up to where the peer itself acknowledged our deltas (its acks and hellos, in
    /// our current epoch), which its hold of ours continues from. `acked` may be
    /// further, past deltas that came from the peer's current session and were not
    /// sent back (it holds them): everything between is the peer's own.
    pub(crate) confirmed: Option<u64>,
    /// `(epoch, to)`: we hold the peer's deltas up to `to` of its session `epoch`.
    pub(crate) have: Option<(u64, u64)>,
    /// When the peer was last heard from (the replica's clock).
    pub(crate) last_heard_ms: Option<u64>,
    /// The peer's newest session (epoch) heard from. A newer one means the peer
    /// restarted, maybe from older bytes: what it acknowledged before counts no more.
    /// Acks and hellos of older sessions are void.
    pub(crate) session: Option<u64>,
    /// With a replica sequenced externally: the peer's session that resumed ours (its
    /// hello named our epoch), whose deltas continue from what it says the session
    /// acknowledged, though this replica holds none of them (replica/external.rs).
    pub(crate) resumed_session: Option<u64>,
}

/// What a data message holds of the sender's deltas.
#[derive(Clone, Copy)]
pub(crate) enum Interval {
    /// Its full state: everything up to the message's `to`.
    Full,
    /// Its deltas from this sequence number to the message's `to`; `None` when the
    /// interval was made for another session of this replica (it left out what that
    /// session sent), so it proves nothing to this one.
    Deltas(Option<u64>),
}

/// What a peer's messages change in what a replica knows of it. Not generic (the
/// replica is, once per CRDT type): one copy serves every type.
impl Peer {
    /// Notes a message of the peer's session `epoch`, heard at `now`. `None` when it
    /// is a late message of a session the peer has left (its data is still safe to
    /// join, but what it says the peer holds is void); else whether it is of the
    /// session heard last. A newer session means the peer restarted: it may have lost
    /// what it acknowledged.
    #[inline(never)]
    pub(crate) fn hear(&mut self, epoch: u64, now: u64) -> Option<bool> {
        self.last_heard_ms = Some(now);
        let same_session = self.session == Some(epoch);
        match self.session {
            Some(current) if current == epoch => {}
            Some(current) if incarnation(epoch) < incarnation(current) => return None,
            Some(_) => {
                self.session = Some(epoch);
                self.acked = None;
                self.confirmed = None;
            }
            None => self.session = Some(epoch),
        }
        Some(same_session)
    }

    /// Notes the peer's acknowledgement of our deltas up to `to` (of our session).
    pub(crate) fn note_ack(&mut self, to: u64) {
        self.acked = Some(self.acked.map_or(to, |a| a.max(to)));
        self.confirmed = Some(self.confirmed.map_or(to, |c| c.max(to)));
    }

    /// Notes the peer's hello: `acked` is what it holds of our current session, if it
    /// named it; `same_session` whether the hello came from the session heard before;
    /// `resumes` the peer's session, when it resumed ours sequenced externally.
    #[inline(never)]
    pub(crate) fn note_hello(
        &mut self,
        acked: Option<u64>,
        same_session: bool,
        resumes: Option<u64>,
    ) {
        // The same session still holds its own deltas past what it confirmed,
        // counted acknowledged (and maybe collected since): keep them so when
        // it holds all it confirmed (else a gap: resend from what it holds).
        self.acked = match (acked, self.acked, self.confirmed) {
            (Some(have), Some(old), Some(confirmed)) if same_session && have >= confirmed => {
                Some(have.max(old))
            }
            _ => acked,
        };
        self.confirmed = acked;
        // Its deltas continue what the session acknowledged (external.rs).
        self.resumed_session = resumes;
    }

    /// Notes the peer's data message of its session `epoch` (deltas `from`..`to`, or
    /// its full state up to `to`), already joined: `Ok` with how far we now hold the
    /// session's deltas (to acknowledge), or `Err` with what we hold of it when a gap
    /// means the peer should resend from further back (to say in a hello).
    #[inline(never)]
    pub(crate) fn note_data(
        &mut self,
        epoch: u64,
        from: Interval,
        to: u64,
    ) -> Result<u64, Option<(u64, u64)>> {
        let held = self.have.filter(|(e, _)| *e == epoch).map(|(_, t)| t);
        // An interval from 0 is no exception: a session starts from the state the
        // sender had (restored, or given to `new`), which none of its deltas carry.
        let contiguous = match (from, held) {
            (Interval::Full, _) => true, // a full state holds everything up to `to`
            (Interval::Deltas(Some(f)), Some(h)) => f <= h, // continues what we hold
            // A peer that resumed our session sequenced externally: another replica
            // of it acknowledged what comes before `from` (external.rs).
            (Interval::Deltas(Some(_)), None) => self.resumed_session == Some(epoch),
            // (else a gap: we hold nothing of this session; or an interval made for
            // another session of ours)
            (Interval::Deltas(None), _) => false,
        };
        if !contiguous {
            // Joining was safe (any order is), but we cannot claim the gap.
            return Err(self.have.filter(|(e, _)| *e == epoch));
        }
        let now_held = held.map_or(to, |h| h.max(to));
        self.have = Some((epoch, now_held));
        Ok(now_held)
    }
}

/// Sessions are ordered by incarnation, the high 32 bits of the epoch: 0 for a new
/// replica, one more than the saved one for each restore.
pub(crate) fn incarnation(epoch: u64) -> u64 {
    epoch >> 32
}

/// A session epoch: the incarnation in the high 32 bits, random bits below.
pub(crate) fn new_epoch(incarnation: u64) -> Result<u64, Error> {
    let high = incarnation.min(u64::from(u32::MAX)) << 32;
    ReplicaId::random()
        .map(|r| high | (r.get() & 0xffff_ffff))
        .map_err(|e| Error::NoRandomSource(e.to_string()))
}
