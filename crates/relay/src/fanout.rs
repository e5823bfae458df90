//! Fan-out: what each of a document's clients lacks, encoded once per position.
//!
//! `Replica::message_for(peer)` depends on the peer through what it acked, and through
//! what came from it: the interval leaves out the deltas the peer's own session sent
//! (no echo). Peers at the same position with none of their own deltas in the interval
//! get the same bytes (the hub's id and epoch, the interval from that position, or
//! the full state when it acked nothing). After a write, most of a busy document's
//! clients sit at the same position, so a [`Fanout`] encodes each position's message
//! once and shares it (`Bytes`) among them, instead of encoding the same delta once
//! per connection; the writers whose deltas the interval holds get their own.

use std::collections::HashMap;

use bytes::Bytes;
use converge_core::ReplicaId;
use converge_ormap::Document;
use converge_sync::{MessageHead, MessageKind, Replica};

/// A data message for one peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Outgoing {
    /// The encoded message (shared between the peers at one position).
    pub(crate) bytes: Bytes,
    /// Whether it is the full state (not an interval of deltas).
    pub(crate) full: bool,
}

impl Outgoing {
    fn new(bytes: Vec<u8>) -> Self {
        let full = matches!(
            MessageHead::read::<Document>(&bytes).map(|h| h.kind),
            Ok(MessageKind::Full)
        );
        Outgoing {
            bytes: Bytes::from(bytes),
            full,
        }
    }
}

/// The messages of one fan-out (valid while the replica's state and its peers' acks
/// do not change: make a new one for every batch).
#[derive(Debug, Default)]
pub(crate) struct Fanout {
    /// The message for each acked position already encoded (`None`: nothing to
    /// send). A peer's position is read when it is asked for (not every peer's at
    /// the start: a fan-out to the few clients that just acked must not cost a read
    /// of every peer of a busy document).
    by_position: HashMap<Option<u64>, Option<Outgoing>>,
}

impl Fanout {
    /// What `peer` lacks: `replica.message_for(peer)`, encoded once per position.
    /// A peer the replica does not know yet, or whose own deltas the interval holds
    /// (they are left out of its message only), gets its own `message_for`.
    pub(crate) fn message_for(
        &mut self,
        replica: &mut Replica<Document>,
        peer: ReplicaId,
    ) -> Result<Option<Outgoing>, converge_sync::Error> {
        // (`message_for` changes only the acked position of the peer it is for, and
        // only when the peer's own deltas are in its interval: such a peer does not
        // share. So the positions read here are those of the fan-out's start.)
        let Some(position) = replica.peer(peer).map(|status| status.acked) else {
            return Ok(replica.message_for(peer)?.map(Outgoing::new));
        };
        if replica.holds_own_deltas_for(peer) {
            return Ok(replica.message_for(peer)?.map(Outgoing::new));
        }
        if let Some(message) = self.by_position.get(&position) {
            return Ok(message.clone());
        }
        let message = replica.message_for(peer)?.map(Outgoing::new);
        self.by_position.insert(position, message.clone());
        Ok(message)
    }
}

/// One message for one peer, not shared: what the hub sends when too few peers wait
/// for a shared encoding to pay.
pub(crate) fn message_for(
    replica: &mut Replica<Document>,
    peer: ReplicaId,
) -> Result<Option<Outgoing>, converge_sync::Error> {
    Ok(replica.message_for(peer)?.map(Outgoing::new))
}

#[cfg(test)]
mod tests {
    use super::*;
    use converge_core::Lattice;
    use converge_ormap::Counter;
    use proptest::prelude::*;

    const HUB: ReplicaId = ReplicaId::new(1000);

    /// A step of a random history: client `c` writes (and syncs the write to the hub),
    /// or the hub's news reaches client `c` (and its ack comes back, if `ack`).
    #[derive(Clone, Debug)]
    enum Step {
        Write(usize),
        Sync(usize, bool),
    }

    fn step(clients: usize) -> impl Strategy<Value = Step> {
        prop_oneof![
            (0..clients).prop_map(Step::Write),
            (0..clients, any::<bool>()).prop_map(|(c, a)| Step::Sync(c, a)),
        ]
    }

    fn deliver(to: &mut Replica<Document>, bytes: &[u8]) -> Option<Vec<u8>> {
        to.receive(bytes).ok().flatten()
    }

    proptest! {
        /// The shared encoding is the general path: every client that takes its
        /// fan-out message ends up holding the hub's whole state, and its ack covers
        /// everything the hub has; the same as when each is sent its own
        /// `message_for`.
        #[test]
        fn shared_messages_bring_every_peer_what_its_own_would(
            clients in 1usize..6,
            steps in proptest::collection::vec(step(6), 0..40),
        ) {
            let mut hub = Replica::new(HUB, Document::new()).unwrap();
            let mut peers: Vec<Replica<Document>> = (0..clients)
                .map(|i| Replica::new(ReplicaId::new(i as u64 + 1), Document::new()).unwrap())
                .collect();
            for (i, p) in peers.iter_mut().enumerate() {
                let hello = p.hello(HUB).unwrap();
                if let Some(reply) = deliver(&mut hub, &hello) {
                    if let Some(ack) = deliver(p, &reply) {
                        deliver(&mut hub, &ack);
                    }
                }
                prop_assert!(i < clients);
            }
            for s in steps {
                match s {
                    Step::Write(c) => {
                        let Some(p) = peers.get_mut(c) else { continue };
                        p.update(|doc, id| {
                            doc.update_at(&["n", &c.to_string()], |n: &mut Counter| n.increment(id, 1))
                                .unwrap_or_default()
                        });
                        if let Some(m) = p.message_for(HUB).unwrap() {
                            if let Some(ack) = deliver(&mut hub, &m) {
                                deliver(p, &ack);
                            }
                        }
                    }
                    Step::Sync(c, ack) => {
                        let Some(p) = peers.get_mut(c) else { continue };
                        if let Some(m) = hub.message_for(p.id()).unwrap() {
                            let reply = deliver(p, &m);
                            if let (true, Some(reply)) = (ack, reply) {
                                deliver(&mut hub, &reply);
                            }
                        }
                    }
                }
            }
            let mut fanout = Fanout::default();
            let shared: Vec<Option<Outgoing>> = peers
                .iter()
                .map(|p| fanout.message_for(&mut hub, p.id()).unwrap())
                .collect();
            for (p, message) in peers.iter_mut().zip(shared) {
                let own = hub.message_for(p.id()).unwrap();
                // Nothing to send exactly when the peer's own message is nothing.
                prop_assert_eq!(message.is_none(), own.is_none());
                if let Some(message) = message {
                    let reply = deliver(p, &message.bytes);
                    let mut joined = p.state().clone();
                    joined.join(hub.state().clone());
                    prop_assert_eq!(&joined, p.state(), "the peer lacks some of the hub's state");
                    if let Some(reply) = reply {
                        deliver(&mut hub, &reply);
                    }
                }
            }
            // Every peer's ack now covers all the hub has.
            for p in &peers {
                let own = hub.message_for(p.id()).unwrap();
                prop_assert!(own.is_none(), "a peer still lacks something after its fan-out message");
            }
        }
    }

    /// A writer whose delta the interval holds gets its own message (without its
    /// delta: here nothing), and the peers at its position still share one encoding
    /// that carries the delta.
    #[test]
    fn a_writer_is_not_sent_its_own_delta_and_the_others_share_one() {
        let mut hub = Replica::new(HUB, Document::new()).unwrap();
        let mut peers: Vec<Replica<Document>> = (1..=3)
            .map(|i| Replica::new(ReplicaId::new(i), Document::new()).unwrap())
            .collect();
        for p in &mut peers {
            let hello = p.hello(HUB).unwrap();
            let reply = deliver(&mut hub, &hello).unwrap();
            let ack = deliver(p, &reply).unwrap();
            deliver(&mut hub, &ack);
        }
        let writer = &mut peers[0];
        writer.update(|doc, id| {
            doc.update_at(&["n"], |n: &mut Counter| n.increment(id, 1))
                .unwrap_or_default()
        });
        let m = writer.message_for(HUB).unwrap().unwrap();
        let ack = deliver(&mut hub, &m).unwrap();
        deliver(writer, &ack);
        assert!(hub.holds_own_deltas_for(peers[0].id()));
        let mut fanout = Fanout::default();
        let ids: Vec<ReplicaId> = peers.iter().map(|p| p.id()).collect();
        let to_writer = fanout.message_for(&mut hub, ids[0]).unwrap();
        assert_eq!(to_writer, None, "the writer was sent its own delta");
        let to_b = fanout.message_for(&mut hub, ids[1]).unwrap().unwrap();
        let to_c = fanout.message_for(&mut hub, ids[2]).unwrap().unwrap();
        assert_eq!(
            to_b.bytes.as_ptr(),
            to_c.bytes.as_ptr(),
            "one encoding, shared"
        );
        for p in &mut peers[1..] {
            deliver(p, &to_b.bytes);
            assert_eq!(p.state(), hub.state());
        }
    }

    #[test]
    fn peers_at_one_position_share_one_encoding() {
        let mut hub = Replica::new(HUB, Document::new()).unwrap();
        let (a, b) = (ReplicaId::new(1), ReplicaId::new(2));
        let mut writer = Replica::new(ReplicaId::new(3), Document::new()).unwrap();
        writer.update(|doc, id| {
            doc.update_at(&["n"], |n: &mut Counter| n.increment(id, 1))
                .unwrap_or_default()
        });
        let m = writer.message_for(HUB).unwrap().unwrap();
        hub.receive(&m).unwrap();
        hub.add_peer(a);
        hub.add_peer(b);
        let mut fanout = Fanout::default();
        let for_a = fanout.message_for(&mut hub, a).unwrap().unwrap();
        let for_b = fanout.message_for(&mut hub, b).unwrap().unwrap();
        assert_eq!(
            for_a.bytes.as_ptr(),
            for_b.bytes.as_ptr(),
            "one encoding, shared"
        );
        assert!(for_a.full, "peers that acked nothing get the full state");
    }
}
