//! `Replica<T>`: a CRDT state plus the bookkeeping of delta-interval anti-entropy.

mod durable;
mod external;
mod receive;
mod restored_session;
mod unkept;

use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};
use std::convert::Infallible;
use std::fmt;
use std::sync::LazyLock;

use converge_core::{Clock, Codec, CountConflicts, DeltaCrdt, ReplicaId};
use external::ExternalSequence;
use restored_session::RestoredSession;

use crate::config::Config;
use crate::durable_writer::Durability;
use crate::message::{encode_control, Body, Head, Message, Wire};
use crate::peer::{new_epoch, Peer};
use crate::saved::Saved;
use crate::{DeadLetter, DeadLetters, Error, Metrics, PeerStatus, SyncToken};

/// A replica of a CRDT of type `T` that syncs with any number of peers by exchanging
/// byte messages over any transport (delta-interval anti-entropy, Almeida et al.,
/// 2018, algorithm 2).
///
/// - [`update`](Self::update) applies a local write and buffers its delta under the
///   next sequence number.
/// - [`message_for`](Self::message_for) produces what a peer lacks: the join of the
///   deltas it has not acknowledged, or the full state if it is new, behind the
///   buffer, or the interval would be larger than the state.
/// - [`receive`](Self::receive) applies a message and returns the reply to send back
///   (an acknowledgement, or the interval a reconnecting peer needs).
/// - Deltas every peer acknowledged are dropped. Received deltas that brought news
///   are buffered too, so a replica relays writes between peers that never meet.
///
/// Every message is idempotent: duplicates, replays and reordering change nothing, and
/// no causal delivery is assumed (delta exactness makes any order safe). A malformed
/// or hostile message is rejected with an error and leaves the replica unchanged.
pub struct Replica<T> {
    id: ReplicaId,
    writer: ReplicaId,
    epoch: u64,
    /// How many restores led to this session (saved, so sessions are ordered).
    incarnation: u64,
    /// The encoded size of the state when last measured: a cheap bound that spares
    /// encoding the whole state to judge every small interval.
    full_len_hint: usize,
    /// Whether the state changed since `full_len_hint` was measured (it may have
    /// shrunk). A stale hint is measured anew only for an interval of at least
    /// 1/[`MEASURE_RATIO`] of it, so measuring costs at most that many times the
    /// interval it judges, and a small message to a large state costs no encoding of
    /// the whole state.
    hint_is_stale: bool,
    state: T,
    next_seq: u64,
    /// Local writes and the news received from peers, by sequence number.
    buffer: VecDeque<Buffered<T>>,
    peers: BTreeMap<ReplicaId, Peer>,
    /// The counters, made by the first event counted (a replica that only writes
    /// locally, as most documents in a list do, counts nothing and holds none).
    metrics: Option<Box<Metrics>>,
    config: Config,
    clock: Box<dyn Clock + Send>,
    /// Writes and messages refused, bounded; made by the first one (or by a
    /// capacity set).
    dead_letters: Option<Box<DeadLetters>>,
    /// Whether local writes wait for their save before they are sent
    /// (durable_writer.rs).
    durable: Durability,
    /// Set when sequence numbers come from outside (external.rs): then local joins
    /// are not buffered, only what [`buffer_at`](Self::buffer_at) is given. Boxed:
    /// only relay hubs have one, and a replica that has none pays one word.
    external: Option<Box<ExternalSequence>>,
}

/// A buffered delta: its sequence number, the delta, and the peer session it came
/// from.
struct Buffered<T> {
    seq: u64,
    delta: T,
    /// `(peer, its epoch)` when the delta is news a peer sent (that session holds
    /// it, so it is not sent back to it); `None` for local writes and merges.
    origin: Option<(ReplicaId, u64)>,
}

/// Below which sequence number no buffered delta is needed: what every peer that
/// acknowledged anything acknowledged (peers with no acknowledgement get the full
/// state anyway; with none, `next_seq`), and at most `keep_from`.
fn low_water(acked: impl Iterator<Item = Option<u64>>, next_seq: u64, keep_from: u64) -> u64 {
    acked.flatten().min().unwrap_or(next_seq).min(keep_from)
}

/// Whether buffered delta `seq` (below `next_seq`) is below the
/// [`low_water`] mark, stopping at the first peer that lacks it.
fn below_low_water(seq: u64, mut acked: impl Iterator<Item = Option<u64>>, keep_from: u64) -> bool {
    seq < keep_from && !acked.any(|a| a.is_some_and(|a| a <= seq))
}

/// What `metrics()` reads before anything was counted.
static NO_METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::default);

/// What `dead_letters()` reads before anything was refused.
static NO_DEAD_LETTERS: LazyLock<DeadLetters> = LazyLock::new(DeadLetters::default);

/// How much larger than an interval a stale size of the state may be for the state to
/// be measured anew before the interval is sent (see `Replica::hint_is_stale`).
const MEASURE_RATIO: usize = 64;

/// About the most bytes a message adds to the state it carries (envelope, sender,
/// epoch, kind, interval bounds, session, and the payload's own framing; a 315-byte
/// document state went out in a 410-byte full-state message): an interval message up
/// to the state's size plus this is sent rather than the full state.
const MESSAGE_HEAD_MAX: usize = 128;

/// How many sequence numbers a peer may lag behind, in what it confirmed it holds
/// of ours, while all it lacks is its own deltas (which are not sent back): beyond
/// this, an empty interval tells it it holds everything, so its sync token stays
/// recent (see `Peer::confirmed`).
const UNCONFIRMED_OWN_MAX: u64 = 32;

/// A clock that reads 0, for replicas that were given none.
fn no_clock() -> u64 {
    0
}

impl<T: DeltaCrdt + Codec + CountConflicts> Replica<T> {
    /// A replica `id` holding `state`, in a fresh session (epoch).
    pub fn new(id: ReplicaId, state: T) -> Result<Self, Error> {
        Ok(Replica {
            id,
            writer: id,
            epoch: new_epoch(0)?,
            incarnation: 0,
            full_len_hint: 0,
            hint_is_stale: false,
            state,
            next_seq: 0,
            buffer: VecDeque::new(),
            peers: BTreeMap::new(),
            metrics: None,
            config: Config::default(),
            clock: Box::new(no_clock),
            dead_letters: None,
            durable: Durability::default(),
            external: None,
        })
    }

    /// Sets the limits.
    pub fn with_config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Keeps at most `capacity` [dead letters](Self::dead_letters) (default
    /// [`DEFAULT_DEAD_LETTER_CAPACITY`](crate::DEFAULT_DEAD_LETTER_CAPACITY)); the
    /// oldest drop first, and are counted.
    pub fn with_dead_letter_capacity(mut self, capacity: usize) -> Self {
        self.dead_letters = Some(Box::new(DeadLetters::with_capacity(capacity)));
        self
    }

    /// The writes and messages this replica refused, oldest first (bounded; see
    /// [`DeadLetters::dropped`] for how many fell out).
    pub fn dead_letters(&self) -> &DeadLetters {
        self.dead_letters.as_deref().unwrap_or(&NO_DEAD_LETTERS)
    }

    /// Records a refusal of the application's own (say, a write its checks refused).
    pub fn record_dead_letter(&mut self, letter: DeadLetter) {
        self.dead_letters
            .get_or_insert_with(Box::default)
            .push(letter);
    }

    /// Empties the dead-letter list (the entries count as dropped).
    pub fn clear_dead_letters(&mut self) {
        if let Some(letters) = &mut self.dead_letters {
            letters.clear();
        }
    }

    /// The state to read and the metrics to count in, at once.
    pub(crate) fn state_and_metrics(&mut self) -> (&T, &mut Metrics) {
        (&self.state, self.metrics.get_or_insert_with(Box::default))
    }

    /// The metrics to count in (made on the first count).
    pub(crate) fn metrics_mut(&mut self) -> &mut Metrics {
        self.metrics.get_or_insert_with(Box::default)
    }

    /// Sets the clock that stamps when peers were last heard from (sync lag).
    pub fn with_clock(mut self, clock: impl Clock + Send + 'static) -> Self {
        self.clock = Box::new(clock);
        self
    }

    /// Testing and fuzzing only (feature `testing`): replaces the random parts of the
    /// session, the low 32 bits of the epoch and the writer id, so a run replays
    /// byte for byte. Give every session of a replica different bits.
    #[cfg(feature = "testing")]
    pub fn with_session(mut self, epoch_bits: u32, writer: ReplicaId) -> Self {
        self.epoch = (self.epoch & !0xffff_ffff) | u64::from(epoch_bits);
        self.writer = writer;
        self
    }

    /// This replica's id: its name as a peer.
    pub fn id(&self) -> ReplicaId {
        self.id
    }

    /// The id to write under ([`update`](Self::update) passes it to the mutator). It
    /// is [`id`](Self::id) for a new replica, and a fresh
    /// [session writer](ReplicaId::session_writer) of it after
    /// [`restore`](Self::restore) (random, yet [`writes_for`](ReplicaId::writes_for)
    /// this replica, so authority policies still recognise it): saved bytes may be older than writes
    /// the replica made before it stopped, and writing on under the old id would give
    /// a new write the name (dot) of one of those, so two different writes would share
    /// a name and replicas could never agree.
    pub fn writer(&self) -> ReplicaId {
        self.writer
    }

    /// The current state.
    pub fn state(&self) -> &T {
        &self.state
    }

    /// The traffic and conflict counters.
    pub fn metrics(&self) -> &Metrics {
        self.metrics.as_deref().unwrap_or(&NO_METRICS)
    }

    /// How many deltas are buffered (the queue depth).
    pub fn buffer_depth(&self) -> usize {
        self.buffer.len()
    }

    /// Applies a local write: `mutate` gets the state and the id to write under
    /// ([`writer`](Self::writer)), runs one of the state's mutators with that id and
    /// returns its delta, which is buffered for the peers. Returns the delta's
    /// sequence number.
    ///
    /// Write with the id passed in, not with [`id`](Self::id): after
    /// [`restore`](Self::restore) they differ, and writing under the old id can give
    /// a new write the name of one the replica lost, so one of the two is lost.
    ///
    /// ```
    /// use converge_core::ReplicaId;
    /// use converge_orset::OrSet;
    /// use converge_sync::Replica;
    ///
    /// let mut replica = Replica::new(ReplicaId::new(1), OrSet::new())?;
    /// replica.update(|set, writer| set.add(writer, "milk".to_string()));
    /// assert!(replica.state().contains(&"milk".to_string()));
    /// # Ok::<(), converge_sync::Error>(())
    /// ```
    pub fn update(&mut self, mutate: impl FnOnce(&mut T, ReplicaId) -> T) -> u64 {
        let Ok(seq) = self.try_update(|state, writer| Ok::<T, Infallible>(mutate(state, writer)));
        seq
    }

    /// Joins a state or delta that reached this replica some other way (a file, a
    /// copy made by the application) and returns the concurrent writes it met. What
    /// it brings is buffered for the peers like a local write.
    pub fn merge(&mut self, other: T) -> u64 {
        self.merge_with(other, |state, value| state.join_counting(value))
    }

    /// [`merge`](Self::merge) with the join given: `join` must join `value` into
    /// `state` (the lattice join) and return the concurrent writes it met; it may
    /// report more on the side (a document's
    /// [`MergeReport`](converge_ormap::MergeReport), say). It is not called when
    /// `other` brings nothing new.
    pub fn merge_with(&mut self, other: T, join: impl FnOnce(&mut T, T) -> u64) -> u64 {
        if other.is_subsumed_by(&self.state) {
            return 0;
        }
        let clashes = converge_core::dot_value_clashes();
        // A replica with no peer (and sequence numbers of its own) drops a buffered
        // delta at once: then `other` is joined as it is, not copied for the buffer
        // (a copy of the whole incoming document for a merge of a full state).
        let kept = self.keeps_deltas().then(|| other.clone());
        let conflicts = join(&mut self.state, other);
        self.metrics_mut().conflicts += conflicts;
        self.metrics_mut().dot_value_clashes += converge_core::dot_value_clashes() - clashes;
        self.number_write(kept);
        conflicts
    }

    /// [`update`](Self::update) for fallible mutators: on error nothing is applied or
    /// buffered (the mutator must leave the state unchanged when it fails).
    pub fn try_update<E>(
        &mut self,
        mutate: impl FnOnce(&mut T, ReplicaId) -> Result<T, E>,
    ) -> Result<u64, E> {
        self.try_update_then(mutate, |_| {})
    }

    /// [`try_update`](Self::try_update) that also hands the write's delta to `then`
    /// (to keep it elsewhere: a queue of deltas to send, say): by value when this
    /// replica does not keep it (no peer, not [sequenced
    /// externally](Self::sequenced_externally)), so it is not copied; else by
    /// reference, before it is buffered. `then` is not called when `mutate` fails.
    ///
    /// ```
    /// use std::borrow::Cow;
    /// use converge_core::ReplicaId;
    /// use converge_orset::OrSet;
    /// use converge_sync::Replica;
    ///
    /// let mut replica = Replica::new(ReplicaId::new(1), OrSet::new())?;
    /// let mut outbox = Vec::new();
    /// replica.try_update_then(
    ///     |set, writer| Ok::<_, converge_sync::Error>(set.add(writer, "milk".to_string())),
    ///     |delta| outbox.push(delta.into_owned()),
    /// )?;
    /// assert!(outbox[0].contains(&"milk".to_string()));
    /// # Ok::<(), converge_sync::Error>(())
    /// ```
    pub fn try_update_then<E>(
        &mut self,
        mutate: impl FnOnce(&mut T, ReplicaId) -> Result<T, E>,
        then: impl FnOnce(Cow<'_, T>),
    ) -> Result<u64, E> {
        let delta = mutate(&mut self.state, self.writer)?;
        let kept = if self.keeps_deltas() {
            then(Cow::Borrowed(&delta));
            Some(delta)
        } else {
            then(Cow::Owned(delta));
            None
        };
        Ok(self.number_write(kept))
    }

    /// Numbers a change to the state (a local write, or a merge) whose delta is
    /// `kept` (`None` when this replica does not keep it, see
    /// [`push_kept`](Self::push_kept)), and notes it for the durable writer.
    fn number_write(&mut self, kept: Option<T>) -> u64 {
        let seq = self.push_kept(kept);
        self.durable.note_write(seq);
        seq
    }

    /// Whether a delta buffered now may stay in the buffer: a peer may lack it, or
    /// the replica is sequenced externally. When not, buffering it would drop it at
    /// once ([`collect_garbage`](Self::collect_garbage)), so it is only numbered (see
    /// [`push_kept`](Self::push_kept)) and need not be copied for the buffer.
    fn keeps_deltas(&self) -> bool {
        self.external.is_some() || !self.peers.is_empty()
    }

    /// [`push`](Self::push) of a local delta, `None` when this replica does not keep
    /// it (see [`keeps_deltas`](Self::keeps_deltas)): then it is only numbered.
    fn push_kept(&mut self, kept: Option<T>) -> u64 {
        match kept {
            Some(delta) => self.push(delta),
            None => self.next_number(),
        }
    }

    /// Takes the next sequence number for a delta (buffered by the caller, or not
    /// kept), then collects the buffer's garbage.
    fn next_number(&mut self) -> u64 {
        let seq = self.next_seq;
        self.hint_is_stale = true;
        self.next_seq += 1;
        self.collect_garbage();
        seq
    }

    fn push(&mut self, delta: T) -> u64 {
        self.push_from(delta, None)
    }

    /// Buffers `delta` (from `origin`, see [`Buffered::origin`]) under the next
    /// sequence number.
    fn push_from(&mut self, delta: T, origin: Option<(ReplicaId, u64)>) -> u64 {
        if self.external.is_some() {
            // Joined already; buffered when it comes back at its position.
            self.hint_is_stale = true;
            return self.next_seq;
        }
        let seq = self.next_seq;
        self.buffer.push_back(Buffered { seq, delta, origin });
        self.next_number()
    }

    /// Makes `peer` known: it will be sent deltas, and buffered deltas are kept until
    /// it acknowledges them.
    pub fn add_peer(&mut self, peer: ReplicaId) {
        if peer != self.id {
            self.peers.entry(peer).or_default();
        }
    }

    /// Forgets `peer` (it no longer holds back the buffer).
    pub fn remove_peer(&mut self, peer: ReplicaId) {
        self.peers.remove(&peer);
        self.collect_garbage();
    }

    /// The known peers and what this replica knows of them.
    pub fn peers(&self) -> impl Iterator<Item = (ReplicaId, PeerStatus)> + '_ {
        self.peers.iter().map(|(id, p)| (*id, self.status(p)))
    }

    /// What this replica knows of `peer`, if it knows it (one of
    /// [`peers`](Self::peers), found without reading the others).
    pub fn peer(&self, peer: ReplicaId) -> Option<PeerStatus> {
        self.peers.get(&peer).map(|p| self.status(p))
    }

    fn status(&self, p: &Peer) -> PeerStatus {
        let pending = match p.acked {
            Some(acked) => self.next_seq.saturating_sub(acked),
            None => self.next_seq,
        };
        PeerStatus {
            acked: p.acked,
            pending,
            last_heard_ms: p.last_heard_ms,
        }
    }

    /// The message `peer` needs now, or `None` if it has acknowledged everything. The
    /// peer becomes known if it was not.
    ///
    /// Fails with [`Error::Encode`] when the state holds a value that cannot be
    /// encoded; then nothing is sent and the state is unchanged.
    pub fn message_for(&mut self, peer: ReplicaId) -> Result<Option<Vec<u8>>, Error> {
        if peer == self.id {
            return Ok(None);
        }
        let acked = self.peers.entry(peer).or_default().acked;
        let first_buffered = self.first_buffered();
        // In durable mode, writes not yet saved wait (durable_writer.rs).
        let limit = self.send_limit();
        // Whether the full state replaces an interval (counted once it is sent).
        let fallback = match acked {
            Some(a) if a >= limit => return Ok(None),
            Some(a) if a >= first_buffered => {
                // Everything from `a` on but what came from the peer's current session,
                // which holds it (no echo). A session of the peer that restarted from
                // bytes saved before it sent a delta is another session, and gets it;
                // and such an interval says which session it is for (wire kind 4), so
                // no other session takes it as whole (receive.rs).
                let status = self.peers.get(&peer);
                let own = status.and_then(|p| p.session).map(|s| (peer, s));
                // Where the peer's hold of ours continues: between it and `a` lies
                // only what came from it (`Peer::confirmed`).
                let from = status.and_then(|p| p.confirmed).map_or(a, |c| c.min(a));
                let mut interval = T::default();
                let mut own_left_out = false;
                let mut others = 0usize;
                for b in self.buffer.iter().filter(|b| b.seq >= a && b.seq < limit) {
                    if own.is_some() && b.origin == own {
                        own_left_out = true;
                    } else {
                        interval.join(b.delta.clone());
                        others += 1;
                    }
                }
                if own_left_out && others == 0 && limit - from <= UNCONFIRMED_OWN_MAX {
                    // The interval is all the peer's own: its session holds it.
                    self.peers.entry(peer).or_default().acked = Some(limit);
                    self.collect_garbage();
                    return Ok(None);
                }
                let left_out = own_left_out || from < a;
                let bytes = self.wrap(Body::Delta {
                    from,
                    to: limit,
                    delta: interval,
                    for_session: own.filter(|_| left_out).map(|(_, session)| session),
                })?;
                // Measure the state only when the interval might rival it.
                let rivals_state = bytes.len() * 2 > self.full_len_hint;
                let may_have_shrunk =
                    self.hint_is_stale && bytes.len() * MEASURE_RATIO > self.full_len_hint;
                if bytes.len() > 64 && (rivals_state || may_have_shrunk) {
                    self.full_len_hint = self.state.encode()?.len();
                    self.hint_is_stale = false;
                }
                // (The hint is the state's size without a message head: an interval
                // as large as the state plus a head carries no more than a full state
                // would, and is the better message: it keeps the peer's position, and
                // a relay's flow control lets a full state in flight alone.)
                let small =
                    bytes.len() <= 64 || bytes.len() <= self.full_len_hint + MESSAGE_HEAD_MAX;
                if small && bytes.len() <= self.config.max_delta_bytes {
                    self.metrics_mut().deltas_sent += 1;
                    self.metrics_mut().bytes_sent += bytes.len() as u64;
                    return Ok(Some(bytes));
                }
                true
            }
            Some(_) => true,
            None => false,
        };
        if self.durable.holds_back() {
            return Ok(None);
        }
        let bytes = self.wrap(Body::Full {
            to: self.next_seq,
            state: self.state.clone(),
        })?;
        self.metrics_mut().fallbacks += u64::from(fallback);
        self.full_len_hint = bytes.len();
        self.hint_is_stale = false;
        self.metrics_mut().full_states_sent += 1;
        self.metrics_mut().bytes_sent += bytes.len() as u64;
        Ok(Some(bytes))
    }

    /// Whether the deltas `peer` has not acknowledged include some that came from its
    /// current session, which [`message_for`](Self::message_for) leaves out (the
    /// peer holds them): then its message differs from that of another peer that
    /// acknowledged as much. `false` for a peer that acknowledged nothing (it gets the
    /// full state).
    pub fn holds_own_deltas_for(&self, peer: ReplicaId) -> bool {
        let Some(status) = self.peers.get(&peer) else {
            return false;
        };
        let (Some(acked), Some(session)) = (status.acked, status.session) else {
            return false;
        };
        if status.confirmed != Some(acked) {
            return true;
        }
        let own = Some((peer, session));
        self.buffer
            .iter()
            .rev()
            .take_while(|b| b.seq >= acked)
            .any(|b| b.origin == own)
    }

    /// An ack or a hello of this replica, encoded (by code that is not generic, see
    /// [`encode_control`]).
    fn control(&self, head: Head) -> Result<Vec<u8>, Error> {
        Ok(encode_control(T::TAG, self.id, self.epoch, head)?)
    }

    fn wrap(&self, body: Body<T>) -> Result<Vec<u8>, Error> {
        Ok(Wire(Message {
            sender: self.id,
            epoch: self.epoch,
            body,
        })
        .encode()?)
    }

    /// The message that (re)connects to `peer`: it says which of the peer's deltas this
    /// replica holds, so the peer answers with just the rest.
    ///
    /// A hello holds only numbers; it returns a `Result` because it is written by the
    /// message encoder, which reports failures rather than hiding them.
    pub fn hello(&mut self, peer: ReplicaId) -> Result<Vec<u8>, Error> {
        let have = self.peers.entry(peer).or_default().have;
        let bytes = self.control(Head::Hello { have })?;
        self.metrics_mut().bytes_sent += bytes.len() as u64;
        Ok(bytes)
    }

    /// The token to persist for resuming with `peer` after a restart, if this replica
    /// holds any of its deltas. (A token holds only numbers; see
    /// [`hello`](Self::hello) for why this is a `Result`.)
    pub fn sync_token(&self, peer: ReplicaId) -> Result<Option<Vec<u8>>, Error> {
        let Some((epoch, to)) = self.peers.get(&peer).and_then(|p| p.have) else {
            return Ok(None);
        };
        Ok(Some(SyncToken { peer, epoch, to }.encode()?))
    }

    /// Presents a persisted token: records what it says this replica holds of its
    /// peer and returns the hello to send that peer. A token refused is recorded in
    /// the [dead letters](Self::dead_letters), as a rejected message is.
    pub fn resume(&mut self, token: &[u8]) -> Result<Vec<u8>, Error> {
        let checked =
            SyncToken::decode(token)
                .map_err(Error::from)
                .and_then(|t| match t.peer == self.id {
                    true => Err(Error::OwnId(t.peer)),
                    false => Ok(t),
                });
        let parsed = match checked {
            Ok(parsed) => parsed,
            Err(e) => {
                self.record_dead_letter(DeadLetter::rejected_message(&e, token.len()));
                return Err(e);
            }
        };
        self.peers.entry(parsed.peer).or_default().have = Some((parsed.epoch, parsed.to));
        self.hello(parsed.peer)
    }

    /// Drops deltas every peer that acknowledged anything has acknowledged (peers
    /// with no acknowledgement get the full state anyway), and the oldest beyond the
    /// buffer limit.
    fn collect_garbage(&mut self) {
        // Most calls (an ack from one of many peers) find a peer that has not acked
        // the oldest delta and stop there; the low-water mark (every peer read) is
        // computed only when something goes. A hub's peers ack each delta one by
        // one: reading every peer on every ack cost it time in the square of its
        // peers per delta.
        let acked = || self.peers.values().map(|p| p.acked);
        if let Some(front) = self.buffer.front() {
            if below_low_water(front.seq, acked(), self.keep_from()) {
                let low = low_water(acked(), self.next_seq, self.keep_from());
                while self.buffer.front().is_some_and(|b| b.seq < low) {
                    self.drop_oldest();
                }
            }
        }
        while self.buffer.len() > self.config.max_buffer {
            self.drop_oldest();
        }
        // An empty buffer gives its capacity back: a replica with no peer behind
        // (most documents, most of the time) holds no slots for deltas.
        if self.buffer.is_empty() && self.buffer.capacity() > 0 {
            self.buffer = VecDeque::new();
        }
    }

    /// The replica as bytes, to restore after a restart: the state and what it holds
    /// of each peer. The buffer is not saved: a restored replica starts a new session,
    /// and its peers get its full state once.
    ///
    /// Fails with [`Error::Encode`] when the state holds a value that cannot be
    /// encoded; the replica is unchanged and stays usable.
    pub fn save(&self) -> Result<Vec<u8>, Error> {
        Ok(Saved {
            id: self.id,
            incarnation: self.incarnation,
            writer: self.durable.is_on().then_some(self.writer),
            state: self.state.clone(),
            have: self
                .peers
                .iter()
                .filter_map(|(p, s)| s.have.map(|(e, t)| (*p, e, t)))
                .collect(),
        }
        .encode()?)
    }

    /// Restores a replica saved by [`save`](Self::save), in a fresh session and with a
    /// fresh [`writer`](Self::writer) id (see there why).
    pub fn restore(bytes: &[u8]) -> Result<Self, Error> {
        Self::restore_saved(Saved::<T>::decode(bytes)?)
    }

    /// [`restore`](Self::restore) from decoded bytes.
    pub(crate) fn restore_saved(saved: Saved<T>) -> Result<Self, Error> {
        let session = RestoredSession::new(saved.id, saved.incarnation, saved.have)?;
        let mut replica = Replica::new(saved.id, saved.state)?;
        replica.incarnation = session.incarnation;
        replica.epoch = session.epoch;
        replica.writer = session.writer;
        replica.peers = session.peers;
        Ok(replica)
    }
}

impl<T: fmt::Debug> fmt::Debug for Replica<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Replica")
            .field("id", &self.id)
            .field("epoch", &self.epoch)
            .field("next_seq", &self.next_seq)
            .field("buffered", &self.buffer.len())
            .field("peers", &self.peers)
            .field("metrics", &self.metrics.as_deref().unwrap_or(&NO_METRICS))
            .field("state", &self.state)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use converge_orset::OrSet;
    use proptest::prelude::*;

    proptest! {
        /// The early-exit test of garbage collection says what comparing with the
        /// low-water mark says.
        #[test]
        fn below_low_water_agrees_with_the_low_water_mark(
            acked in proptest::collection::vec(proptest::option::of(0u64..20), 0..8),
            seq in 0u64..20,
            above in 1u64..5,
            keep_from in prop_oneof![0u64..25, Just(u64::MAX)],
        ) {
            let next_seq = seq + above;
            prop_assert_eq!(
                below_low_water(seq, acked.iter().copied(), keep_from),
                seq < low_water(acked.iter().copied(), next_seq, keep_from)
            );
        }
    }

    /// A replica with no peer hands a write's delta over by value and buffers nothing;
    /// with a peer it lends the delta (the buffer's garbage collection then decides
    /// what stays). Sequence numbers run on alike.
    #[test]
    fn try_update_then_lends_the_delta_only_when_it_keeps_it() -> Result<(), Error> {
        let (a, b) = (ReplicaId::new(1), ReplicaId::new(2));
        let mut alice = Replica::new(a, OrSet::<String>::new())?;
        let mut owned = None;
        let first = alice.try_update_then(
            |set, writer| Ok::<_, Error>(set.add(writer, "milk".to_string())),
            |delta| owned = Some(matches!(delta, Cow::Owned(_))),
        )?;
        assert_eq!(owned, Some(true));
        assert!(alice.buffer.is_empty());
        alice.add_peer(b);
        let second = alice.try_update_then(
            |set, writer| Ok::<_, Error>(set.add(writer, "eggs".to_string())),
            |delta| owned = Some(matches!(delta, Cow::Owned(_))),
        )?;
        assert_eq!(owned, Some(false));
        assert_eq!(second, first + 1);
        Ok(())
    }

    /// An interval that holds the whole state (a peer acked the empty state, then one
    /// write came) is sent as an interval, though its message is a little larger than
    /// the state: it carries no more, and keeps the peer's position, where a full
    /// state fills a relay's window alone. (Before: the full state.)
    #[test]
    fn an_interval_as_large_as_the_state_is_sent_as_an_interval() -> Result<(), Error> {
        use crate::{MessageHead, MessageKind};
        let (a, b) = (ReplicaId::new(1), ReplicaId::new(2));
        let mut alice = Replica::new(a, OrSet::<String>::new())?;
        let mut bob = Replica::new(b, OrSet::<String>::new())?;
        let first = alice.message_for(b)?.ok_or(Error::OwnId(a))?;
        let ack = bob.receive(&first)?.ok_or(Error::OwnId(b))?;
        alice.receive(&ack)?;
        alice.update(|set, writer| set.add(writer, "x".repeat(200)));
        let message = alice.message_for(b)?.ok_or(Error::OwnId(a))?;
        assert_eq!(
            MessageHead::read::<OrSet<String>>(&message)?.kind,
            MessageKind::Delta
        );
        assert!(message.len() > alice.state().encode()?.len());
        bob.receive(&message)?;
        assert_eq!(bob.state(), alice.state());
        Ok(())
    }

    /// A replica that only writes locally holds no metrics and no dead letters (each
    /// is made by its first use), and reads them as empty.
    #[test]
    fn counters_and_dead_letters_are_made_by_their_first_use() -> Result<(), Error> {
        let mut replica = Replica::new(ReplicaId::new(1), OrSet::new())?;
        replica.update(|set, writer| set.add(writer, "milk".to_string()));
        assert!(replica.metrics.is_none() && replica.dead_letters.is_none());
        assert_eq!(replica.metrics(), &Metrics::default());
        assert!(replica.dead_letters().is_empty());
        assert!(replica.receive(b"not a message").is_err());
        assert_eq!(replica.metrics().rejected, 1);
        assert_eq!(replica.dead_letters().len(), 1);
        Ok(())
    }
}
