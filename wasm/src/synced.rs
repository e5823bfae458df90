//! `Synced<T>`: what every JavaScript class holds: a sync replica of one converge
//! type, plus the local deltas not yet taken by `takeDelta()`.

#[cfg(feature = "standalone-types")]
use std::convert::Infallible;

use converge::ormap::{Error as WriteError, LeafDelta};
use converge::sync::{DeadLetters, Metrics, PeerStatus, SaveMark};
use converge::{
    Codec, CountConflicts, DeadLetterKind, DeltaCrdt, Document, FieldVersion, MergeReport,
    Policies, PolicyMetrics, Replica, ReplicaId, SystemClock, VersionVector, WriteGuard,
};
use js_sys::{Array, Object, Uint8Array};
use wasm_bindgen::JsValue;

#[cfg(feature = "standalone-types")]
use crate::error::Coded;
use crate::error::{fail, invalid};
use crate::headroom::keep_headroom;
use crate::ids::{parse_replica, replica_or_random, version_to_js};
use crate::pending_deltas::{written_by, FromWrittenPaths, PendingDeltas};
use crate::value::{define, merge_bytes};
use crate::write_policies::refusal_js;

/// A type whose writes can be summarised in a version vector for `version()`.
pub(crate) trait Versioned {
    /// Replica → a count that grows with each of its writes seen.
    fn version_vector(&self) -> VersionVector;
}

pub(crate) struct Synced<T> {
    replica: Replica<T>,
    pending: PendingDeltas<T>,
}

impl<T: DeltaCrdt + Codec + CountConflicts + Versioned + FromWrittenPaths> Synced<T> {
    pub(crate) fn new(replica_id: Option<String>, state: T) -> Result<Self, JsValue> {
        let id = replica_or_random(replica_id)?;
        let replica = Replica::new(id, state)
            .map_err(fail)?
            .with_clock(SystemClock);
        Ok(Synced {
            replica,
            pending: PendingDeltas::default(),
        })
    }

    pub(crate) fn state(&self) -> &T {
        self.replica.state()
    }

    pub(crate) fn replica_id(&self) -> String {
        self.replica.id().to_string()
    }

    pub(crate) fn writer_id(&self) -> String {
        self.replica.writer().to_string()
    }

    /// Applies a local write (the mutator gets the id to write under) and keeps its
    /// delta for `takeDelta()` and the peers.
    #[cfg(feature = "standalone-types")]
    pub(crate) fn write(
        &mut self,
        mutate: impl FnOnce(&mut T, ReplicaId) -> T,
    ) -> Result<(), JsValue> {
        keep_headroom()?;
        let pending = &mut self.pending;
        let Ok(_) = self.replica.try_update_then(
            |state, writer| Ok::<T, Infallible>(mutate(state, writer)),
            |delta| pending.push(delta),
        );
        Ok(())
    }

    /// [`write`](Self::write) for fallible mutators; on error nothing changes.
    #[cfg(feature = "standalone-types")]
    pub(crate) fn try_write<E: Coded>(
        &mut self,
        mutate: impl FnOnce(&mut T, ReplicaId) -> Result<T, E>,
    ) -> Result<(), JsValue> {
        keep_headroom()?;
        let pending = &mut self.pending;
        self.replica
            .try_update_then(mutate, |delta| pending.push(delta))
            .map_err(fail)?;
        Ok(())
    }

    pub(crate) fn encode(&self) -> Result<Uint8Array, JsValue> {
        let bytes = self.replica.state().encode().map_err(fail)?;
        Ok(Uint8Array::from(bytes.as_slice()))
    }

    pub(crate) fn decode(bytes: &[u8], replica_id: Option<String>) -> Result<Self, JsValue> {
        let state = T::decode(bytes).map_err(fail)?;
        Synced::new(replica_id, state)
    }

    /// Joins an encoded state or delta, or another instance of the same class (whose
    /// `encode()` is called); returns the concurrent writes met.
    #[cfg(feature = "standalone-types")]
    pub(crate) fn merge(&mut self, other: &JsValue) -> Result<u32, JsValue> {
        let bytes = merge_bytes(other)?;
        keep_headroom()?;
        let value = T::decode(&bytes).map_err(fail)?;
        let met = self.replica.merge(value);
        Ok(u32::try_from(met).unwrap_or(u32::MAX))
    }

    /// The pending deltas, encoded; they stay pending if they cannot be encoded.
    pub(crate) fn take_delta(&mut self) -> Result<Option<Uint8Array>, JsValue> {
        let bytes = self.pending.take(self.replica.state())?;
        Ok(bytes.map(|b| Uint8Array::from(b.as_slice())))
    }

    pub(crate) fn version(&self) -> JsValue {
        version_to_js(&self.replica.state().version_vector())
    }

    pub(crate) fn message_for(&mut self, peer: &str) -> Result<Option<Uint8Array>, JsValue> {
        let peer = parse_replica(peer)?;
        Ok(self
            .replica
            .message_for(peer)
            .map_err(fail)?
            .map(|b| Uint8Array::from(b.as_slice())))
    }

    #[cfg(feature = "standalone-types")]
    pub(crate) fn receive(&mut self, bytes: &[u8]) -> Result<Option<Uint8Array>, JsValue> {
        keep_headroom()?;
        let reply = self.replica.receive(bytes).map_err(fail)?;
        Ok(reply.map(|b| Uint8Array::from(b.as_slice())))
    }

    pub(crate) fn hello(&mut self, peer: &str) -> Result<Uint8Array, JsValue> {
        let peer = parse_replica(peer)?;
        let hello = self.replica.hello(peer).map_err(fail)?;
        Ok(Uint8Array::from(hello.as_slice()))
    }

    pub(crate) fn sync_token(&self, peer: &str) -> Result<Option<Uint8Array>, JsValue> {
        let peer = parse_replica(peer)?;
        Ok(self
            .replica
            .sync_token(peer)
            .map_err(fail)?
            .map(|b| Uint8Array::from(b.as_slice())))
    }

    pub(crate) fn resume(&mut self, token: &[u8]) -> Result<Uint8Array, JsValue> {
        let hello = self.replica.resume(token).map_err(fail)?;
        Ok(Uint8Array::from(hello.as_slice()))
    }

    pub(crate) fn save(&self) -> Result<Uint8Array, JsValue> {
        let bytes = self.replica.save().map_err(fail)?;
        Ok(Uint8Array::from(bytes.as_slice()))
    }

    pub(crate) fn restore(bytes: &[u8]) -> Result<Self, JsValue> {
        Ok(Synced {
            replica: Replica::restore(bytes)
                .map_err(fail)?
                .with_clock(SystemClock),
            pending: PendingDeltas::default(),
        })
    }

    /// The sync metrics as a plain object, with per-peer status under `peers`.
    pub(crate) fn metrics(&self) -> JsValue {
        let peers: Vec<(ReplicaId, PeerStatus)> = self.replica.peers().collect();
        metrics_js(
            self.replica.metrics(),
            &peers,
            self.replica.buffer_depth(),
            self.replica.dead_letters(),
        )
    }

    /// The dead letters as plain objects, oldest first (see [`dead_letters_js`]).
    pub(crate) fn dead_letters(&self) -> Array {
        dead_letters_js(self.replica.dead_letters())
    }

    /// Empties the dead-letter list (its entries count as dropped).
    pub(crate) fn clear_dead_letters(&mut self) {
        self.replica.clear_dead_letters();
    }

    /// Durable mode (converge-sync's durable writer): only saved writes are sent.
    pub(crate) fn enable_durable_writer(&mut self) -> Result<(), JsValue> {
        self.replica.enable_durable_writer().map_err(fail)
    }

    /// Whether the replica is in durable mode.
    pub(crate) fn is_durable_writer(&self) -> bool {
        self.replica.is_durable_writer()
    }

    /// `restore`, in durable mode, writing on under the saved writer id.
    pub(crate) fn restore_durable(bytes: &[u8]) -> Result<Self, JsValue> {
        Ok(Synced {
            replica: Replica::restore_durable(bytes)
                .map_err(fail)?
                .with_clock(SystemClock),
            pending: PendingDeltas::default(),
        })
    }

    /// The mark of a save taken now, as a number.
    pub(crate) fn save_mark(&self) -> f64 {
        self.replica.save_mark().get() as f64
    }

    /// Says the save taken at `mark` (from `save_mark`) is durable.
    pub(crate) fn mark_saved(&mut self, mark: f64) -> Result<(), JsValue> {
        self.replica.mark_saved(save_mark_arg(mark)?);
        Ok(())
    }

    /// How many sequence numbers wait for a save before they can be sent.
    pub(crate) fn unsaved(&self) -> f64 {
        self.replica.unsaved() as f64
    }
}

/// Policy metrics as `[{ pattern, policy, settled, review, ignored, refused }]`.
pub(crate) fn policy_metrics_js(metrics: &PolicyMetrics) -> Array {
    metrics
        .iter()
        .map(|(rule, counts)| {
            let object = Object::new();
            let num = |n: u64| JsValue::from_f64(n as f64);
            define(&object, "pattern", &JsValue::from_str(&rule.pattern));
            define(&object, "policy", &JsValue::from_str(&rule.policy));
            define(&object, "settled", &num(counts.settled));
            define(&object, "review", &num(counts.review));
            define(&object, "ignored", &num(counts.ignored));
            define(&object, "refused", &num(counts.refused));
            JsValue::from(object)
        })
        .collect()
}

/// The sync metrics as a plain object (not generic: one copy for every class).
fn metrics_js(
    m: &Metrics,
    peers: &[(ReplicaId, PeerStatus)],
    buffer_depth: usize,
    dead_letters: &DeadLetters,
) -> JsValue {
    let object = Object::new();
    let set = |o: &Object, k: &str, v: JsValue| define(o, k, &v);
    let num = |n: u64| JsValue::from_f64(n as f64);
    set(&object, "deltasSent", num(m.deltas_sent));
    set(&object, "fullStatesSent", num(m.full_states_sent));
    set(&object, "fallbacks", num(m.fallbacks));
    set(&object, "bytesSent", num(m.bytes_sent));
    set(&object, "deltasReceived", num(m.deltas_received));
    set(&object, "fullStatesReceived", num(m.full_states_received));
    set(&object, "bytesReceived", num(m.bytes_received));
    set(&object, "rejected", num(m.rejected));
    set(&object, "conflicts", num(m.conflicts));
    set(&object, "dotValueClashes", num(m.dot_value_clashes));
    set(&object, "bufferDepth", num(buffer_depth as u64));
    let by_peer = Object::new();
    for (id, status) in peers {
        let p = Object::new();
        set(&p, "acked", status.acked.map_or(JsValue::NULL, num));
        set(&p, "pending", num(status.pending));
        set(
            &p,
            "lastHeardMs",
            status.last_heard_ms.map_or(JsValue::NULL, num),
        );
        set(&by_peer, &id.to_string(), p.into());
    }
    set(&object, "peers", by_peer.into());
    set(&object, "policies", policy_metrics_js(&m.policies).into());
    set(&object, "deadLettersDropped", num(dead_letters.dropped()));
    object.into()
}

/// The dead letters as plain objects, oldest first: `{ kind: 'write' | 'message',
/// code, message, origin, path, bytes }` (`null` where unknown). Not generic.
fn dead_letters_js(dead_letters: &DeadLetters) -> Array {
    dead_letters
        .iter()
        .map(|letter| {
            let object = Object::new();
            let kind = match letter.kind {
                DeadLetterKind::Write => "write",
                DeadLetterKind::Message => "message",
            };
            define(&object, "kind", &JsValue::from_str(kind));
            define(&object, "code", &JsValue::from_str(letter.code));
            define(&object, "message", &JsValue::from_str(&letter.message));
            let origin = letter
                .origin
                .map_or(JsValue::NULL, |o| JsValue::from_str(&o.to_string()));
            define(&object, "origin", &origin);
            let path = letter.path.as_ref().map_or(JsValue::NULL, |p| {
                p.iter()
                    .map(|k| JsValue::from_str(k))
                    .collect::<Array>()
                    .into()
            });
            define(&object, "path", &path);
            let bytes = letter
                .bytes
                .map_or(JsValue::NULL, |b| JsValue::from_f64(b as f64));
            define(&object, "bytes", &bytes);
            JsValue::from(object)
        })
        .collect()
}

/// `markSaved`'s argument: the number `saveMark()` returned.
fn save_mark_arg(mark: f64) -> Result<SaveMark, JsValue> {
    if !(mark.is_finite() && mark >= 0.0 && mark.fract() == 0.0 && mark <= 2f64.powi(53)) {
        return Err(invalid(
            "markSaved takes the number saveMark() returned (a whole number from 0)",
        ));
    }
    Ok(SaveMark::new(mark as u64))
}

/// How a document write's delta is kept for `takeDelta()`.
pub(crate) enum Keep<'a> {
    /// As a change's whose writes' paths are these; `true` if it is large (see
    /// [`PendingDeltas::push_change`]).
    Change(&'a [Vec<String>], bool),
    /// As a single write's at this path (see [`PendingDeltas::push_write`]).
    Write(&'a [String]),
}

impl Synced<Document> {
    /// A local document write under write-time `policies` (authority, and `if_match`
    /// when given): `write` gets the document and the guard to pass to
    /// `guarded_update_at`/`guarded_remove_at` (it is called once; a trait object,
    /// so single writes and changes share one copy of this). A refusal changes
    /// nothing, is recorded (dead letters, policy metrics) and returned. Returns
    /// whether the write changed anything (its delta is not empty: a remove of what
    /// is not there is not). `keep` says how its delta is kept pending.
    pub(crate) fn guarded_write(
        &mut self,
        policies: &Policies,
        if_match: Option<&FieldVersion>,
        keep: Keep<'_>,
        write: &mut dyn FnMut(&mut Document, &WriteGuard<'_>) -> Result<Document, WriteError>,
    ) -> Result<bool, JsValue> {
        keep_headroom()?;
        let guard = WriteGuard {
            writer: self.replica.writer(),
            policies,
            if_match,
        };
        let pending = &mut self.pending;
        let writer = guard.writer;
        let mut changed = false;
        let result = self.replica.try_update_then(
            |doc, _| write(doc, &guard),
            |delta| {
                changed = !delta.is_bottom();
                match keep {
                    Keep::Change(paths, large) => pending.push_change(paths, large, delta),
                    Keep::Write(path) => pending.push_write(writer, path, delta),
                }
            },
        );
        self.refused(policies, result.map(drop))?;
        Ok(changed)
    }

    /// [`guarded_write`](Self::guarded_write) for one write at `path` (`keys`, the
    /// same keys borrowed), which `write` makes with `Document::write_leaf` (called
    /// once). Its delta is kept as [`PendingDeltas::push_write`] keeps it; when only
    /// its dots are kept (no peer keeps it, and the pending deltas keep the paths
    /// written), the root delta is not built at all.
    pub(crate) fn guarded_write_one(
        &mut self,
        policies: &Policies,
        if_match: Option<&FieldVersion>,
        (path, keys): (&[String], &[&str]),
        mut write: impl FnMut(&mut Document, &WriteGuard<'_>) -> Result<LeafDelta, WriteError>,
    ) -> Result<bool, JsValue> {
        let writer = self.replica.writer();
        let mut changed = false;
        let recorded = match self.pending.written_slot() {
            Some(slot) => {
                keep_headroom()?;
                let guard = WriteGuard {
                    writer,
                    policies,
                    if_match,
                };
                self.replica.try_update_unkept(|doc, _| {
                    let leaf = write(doc, &guard)?;
                    changed = !leaf.is_bottom();
                    if changed {
                        written_by(slot, writer).record_leaf(path, &leaf);
                    }
                    Ok(())
                })
            }
            None => None,
        };
        if let Some(result) = recorded {
            self.refused(policies, result.map(drop))?;
            return Ok(changed);
        }
        let keep = Keep::Write(path);
        self.guarded_write(policies, if_match, keep, &mut |doc, guard| {
            write(doc, guard).map(|leaf| leaf.into_delta(keys))
        })
    }

    /// A write's `result`: a refusal is recorded (dead letters, policy metrics) and
    /// returned as the JavaScript error.
    fn refused(
        &mut self,
        policies: &Policies,
        result: Result<(), WriteError>,
    ) -> Result<(), JsValue> {
        result.map_err(|error| {
            self.replica.record_refused_write(policies, &error);
            refusal_js(&error)
        })
    }

    /// The policy metrics kept in the sync metrics.
    pub(crate) fn policy_metrics(&self) -> PolicyMetrics {
        self.replica.metrics().policies.clone()
    }

    /// `merge` that reports what the merge changed and met under `policies`.
    pub(crate) fn merge_reporting(
        &mut self,
        other: &JsValue,
        policies: &Policies,
    ) -> Result<MergeReport, JsValue> {
        let bytes = merge_bytes(other)?;
        keep_headroom()?;
        let value = Document::decode(&bytes).map_err(fail)?;
        Ok(self.replica.merge_reporting(value, policies))
    }

    /// `receive` that reports what the message changed and met under `policies`.
    pub(crate) fn receive_reporting(
        &mut self,
        bytes: &[u8],
        policies: &Policies,
    ) -> Result<(Option<Uint8Array>, MergeReport), JsValue> {
        keep_headroom()?;
        let (reply, report) = self
            .replica
            .receive_reporting(bytes, policies)
            .map_err(fail)?;
        Ok((reply.map(|b| Uint8Array::from(b.as_slice())), report))
    }
}
