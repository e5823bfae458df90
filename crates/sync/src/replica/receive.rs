//! Receiving: how a replica applies a peer's message (a delta interval, a full
//! state, an acknowledgement or a hello) and what it answers.

use converge_core::{Codec, CountConflicts, DeltaCrdt, ReplicaId};

use super::Replica;
use crate::message::{Body, Message, Wire};
use crate::peer::incarnation;
use crate::{DeadLetter, Error};

/// What a data message holds of the sender's deltas.
#[derive(Clone, Copy)]
enum Interval {
    /// Its full state: everything up to the message's `to`.
    Full,
    /// Its deltas from this sequence number to the message's `to`; `None` when the
    /// interval was made for another session of this replica (it left out what that
    /// session sent), so it proves nothing to this one.
    Deltas(Option<u64>),
}

impl<T: DeltaCrdt + Codec + CountConflicts> Replica<T> {
    /// Applies a message from a peer and returns the reply to send back to it, if any.
    /// On error the replica is unchanged (apart from the rejection counters), except
    /// for [`Error::Encode`]: the message was applied and only the reply could not be
    /// encoded (the state holds a value that does not serialize); the peer will
    /// resend, and receiving a message again is harmless.
    /// A rejected message is also recorded in the [dead letters](Self::dead_letters).
    pub fn receive(&mut self, bytes: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        self.receive_with(bytes, |state, value| state.join_counting(value))
    }

    /// [`receive`](Self::receive) with the join given, as in
    /// [`merge_with`](Self::merge_with): `join` runs once for each value in the
    /// message that brings news (at most once per message).
    pub fn receive_with(
        &mut self,
        bytes: &[u8],
        mut join: impl FnMut(&mut T, T) -> u64,
    ) -> Result<Option<Vec<u8>>, Error> {
        self.metrics_mut().bytes_received += bytes.len() as u64;
        let checked = self.check(bytes);
        let message = match checked {
            Ok(message) => message,
            Err(e) => {
                self.metrics_mut().rejected += 1;
                self.record_dead_letter(DeadLetter::rejected_message(&e, bytes.len()));
                return Err(e);
            }
        };
        let now = self.clock.now_millis();
        let sender = message.sender;
        let peer = self.peers.entry(sender).or_default();
        peer.last_heard_ms = Some(now);
        let same_session = peer.session == Some(message.epoch);
        match peer.session {
            Some(current) if current == message.epoch => {}
            Some(current) if incarnation(message.epoch) < incarnation(current) => {
                // A late message of a session the peer has left: its data is still
                // safe to join, but what it says the peer holds is void.
                if let Body::Delta { delta: value, .. } | Body::Full { state: value, .. } =
                    message.body
                {
                    self.join_news(value, Some((sender, message.epoch)), &mut join);
                }
                return Ok(None);
            }
            Some(_) => {
                // The peer restarted: it may have lost what it acknowledged.
                peer.session = Some(message.epoch);
                peer.acked = None;
                peer.confirmed = None;
            }
            None => peer.session = Some(message.epoch),
        }
        let reply = match message.body {
            Body::Delta {
                from,
                to,
                delta,
                for_session,
            } => {
                self.metrics_mut().deltas_received += 1;
                // An interval made for another session of ours left out what that
                // session sent, which this one may lack: join it, but claim nothing.
                let whole = for_session.map_or(true, |session| session == self.epoch);
                let from = Some(from).filter(|_| whole);
                self.apply(
                    sender,
                    message.epoch,
                    Interval::Deltas(from),
                    to,
                    delta,
                    &mut join,
                )?
            }
            Body::Full { to, state } => {
                self.metrics_mut().full_states_received += 1;
                self.apply(sender, message.epoch, Interval::Full, to, state, &mut join)?
            }
            Body::Ack { epoch, to } => {
                if epoch == self.epoch {
                    let peer = self.peers.entry(sender).or_default();
                    peer.acked = Some(peer.acked.map_or(to, |a| a.max(to)));
                    peer.confirmed = Some(peer.confirmed.map_or(to, |c| c.max(to)));
                    self.collect_garbage();
                }
                None
            }
            Body::Hello { have } => {
                let acked = match have {
                    Some((epoch, to)) if epoch == self.epoch => Some(to),
                    _ => None,
                };
                let resumes = self.external.is_some() && acked.is_some();
                let peer = self.peers.entry(sender).or_default();
                // The same session still holds its own deltas past what it confirmed,
                // counted acknowledged (and maybe collected since): keep them so when
                // it holds all it confirmed (else a gap: resend from what it holds).
                peer.acked = match (acked, peer.acked, peer.confirmed) {
                    (Some(have), Some(old), Some(confirmed))
                        if same_session && have >= confirmed =>
                    {
                        Some(have.max(old))
                    }
                    _ => acked,
                };
                peer.confirmed = acked;
                // Its deltas continue what the session acknowledged (external.rs).
                peer.resumed_session = resumes.then_some(message.epoch);
                self.message_for(sender)?
            }
        };
        Ok(reply)
    }

    /// Decodes and validates a message without touching the replica.
    fn check(&self, bytes: &[u8]) -> Result<Message<T>, Error> {
        let message = Wire::<T>::decode(bytes)?.0;
        if message.sender == self.id {
            return Err(Error::OwnId(message.sender));
        }
        match &message.body {
            Body::Delta { from, to, .. } if from > to => {
                return Err(Error::BackwardsInterval {
                    from: *from,
                    to: *to,
                })
            }
            Body::Ack { epoch, to }
            | Body::Hello {
                have: Some((epoch, to)),
            } if *epoch == self.epoch && *to > self.next_seq && self.external.is_none() => {
                return Err(Error::AckBeyondSent {
                    peer: message.sender,
                    seq: *to,
                    next: self.next_seq,
                })
            }
            _ => {}
        }
        Ok(message)
    }

    /// Joins what `sender` sent (deltas `from..to`, or its full state up to `to`) and
    /// returns the acknowledgement, or a hello when a gap means the sender should
    /// resend from further back.
    fn apply(
        &mut self,
        sender: ReplicaId,
        epoch: u64,
        from: Interval,
        to: u64,
        value: T,
        join: &mut dyn FnMut(&mut T, T) -> u64,
    ) -> Result<Option<Vec<u8>>, Error> {
        self.join_news(value, Some((sender, epoch)), join);
        let peer = self.peers.entry(sender).or_default();
        let held = peer.have.filter(|(e, _)| *e == epoch).map(|(_, t)| t);
        // An interval from 0 is no exception: a session starts from the state the
        // sender had (restored, or given to `new`), which none of its deltas carry.
        let contiguous = match (from, held) {
            (Interval::Full, _) => true, // a full state holds everything up to `to`
            (Interval::Deltas(Some(f)), Some(h)) => f <= h, // continues what we hold
            // A peer that resumed our session sequenced externally: another replica
            // of it acknowledged what comes before `from` (external.rs).
            (Interval::Deltas(Some(_)), None) => peer.resumed_session == Some(epoch),
            // (else a gap: we hold nothing of this session; or an interval made for
            // another session of ours)
            (Interval::Deltas(None), _) => false,
        };
        if !contiguous {
            // Joining was safe (any order is), but we cannot claim the gap: ask the
            // sender to resend from what we hold.
            let have = peer.have.filter(|(e, _)| *e == epoch);
            let hello = self.wrap(Body::Hello { have })?;
            self.metrics_mut().bytes_sent += hello.len() as u64;
            return Ok(Some(hello));
        }
        let now_held = held.map_or(to, |h| h.max(to));
        peer.have = Some((epoch, now_held));
        let ack = self.wrap(Body::Ack {
            epoch,
            to: now_held,
        })?;
        self.metrics_mut().bytes_sent += ack.len() as u64;
        Ok(Some(ack))
    }

    /// Joins what a peer sent (its session `origin`); buffers it to relay if it was
    /// news.
    fn join_news(
        &mut self,
        value: T,
        origin: Option<(ReplicaId, u64)>,
        join: &mut dyn FnMut(&mut T, T) -> u64,
    ) {
        if !value.is_subsumed_by(&self.state) {
            let clashes = converge_core::dot_value_clashes();
            self.metrics_mut().conflicts += join(&mut self.state, value.clone());
            self.metrics_mut().dot_value_clashes += converge_core::dot_value_clashes() - clashes;
            // Relay what was news to us to the other peers.
            self.push_from(value, origin);
        }
    }
}
