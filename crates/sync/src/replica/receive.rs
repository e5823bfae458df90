//! Receiving: how a replica applies a peer's message (a delta interval, a full
//! state, an acknowledgement or a hello) and what it answers.

use converge_core::{Codec, CountConflicts, DeltaCrdt, ReplicaId};

use super::Replica;
use crate::message::{Body, Head, Message, Wire};
use crate::peer::Interval;
use crate::{DeadLetter, Error};

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
        let Some(same_session) = self
            .peers
            .entry(sender)
            .or_default()
            .hear(message.epoch, now)
        else {
            // A late message of a session the peer has left: its data is still safe
            // to join, but what it says the peer holds is void.
            if let Body::Delta { delta: value, .. } | Body::Full { state: value, .. } = message.body
            {
                self.join_news(value, Some((sender, message.epoch)), &mut join);
            }
            return Ok(None);
        };
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
                    self.peers.entry(sender).or_default().note_ack(to);
                    self.collect_garbage();
                }
                None
            }
            Body::Hello { have } => {
                let acked = match have {
                    Some((epoch, to)) if epoch == self.epoch => Some(to),
                    _ => None,
                };
                let resumes = (self.external.is_some() && acked.is_some()).then_some(message.epoch);
                self.peers
                    .entry(sender)
                    .or_default()
                    .note_hello(acked, same_session, resumes);
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
        let reply = match self
            .peers
            .entry(sender)
            .or_default()
            .note_data(epoch, from, to)
        {
            Ok(now_held) => Head::Ack {
                epoch,
                to: now_held,
            },
            // A gap: ask the sender to resend from what we hold.
            Err(have) => Head::Hello { have },
        };
        let bytes = self.control(reply)?;
        self.metrics_mut().bytes_sent += bytes.len() as u64;
        Ok(Some(bytes))
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
