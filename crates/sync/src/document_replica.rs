//! Replicas of a [`Document`]: local writes checked against write-time policies,
//! and merges that report what they changed and met, with the policy metrics and
//! dead letters kept for you.

use converge_core::ReplicaId;
use converge_ormap::{Document, FieldVersion, MergeReport, NodeKind, Policies, WriteGuard};

use crate::{DeadLetter, Error, Replica};

impl Replica<Document> {
    /// A local write of the CRDT of kind `K` at `path` under write-time `policies`
    /// ([`Document::guarded_update_at`]): `mutate` gets the id to write under. A write
    /// to an authority field by a non-authority, or with an `if_match` version that is
    /// no longer the field's, is refused: nothing changes, the refusal goes to the
    /// [dead letters](Self::dead_letters) and the policy metrics, and the error is
    /// returned. Returns the delta's sequence number.
    pub fn guarded_update<K: NodeKind>(
        &mut self,
        path: &[&str],
        policies: &Policies,
        if_match: Option<&FieldVersion>,
        mutate: impl FnOnce(&mut K, ReplicaId) -> K,
    ) -> Result<u64, converge_ormap::Error> {
        let writer = self.writer();
        let guard = WriteGuard {
            writer,
            policies,
            if_match,
        };
        let result =
            self.try_update(|doc, _| doc.guarded_update_at(path, &guard, |k| mutate(k, writer)));
        if let Err(error) = &result {
            self.record_refused_write(policies, error);
        }
        result
    }

    /// [`Document::guarded_remove_at`] as a local write; refusals are recorded as in
    /// [`guarded_update`](Self::guarded_update).
    pub fn guarded_remove(
        &mut self,
        path: &[&str],
        policies: &Policies,
        if_match: Option<&FieldVersion>,
    ) -> Result<u64, converge_ormap::Error> {
        let guard = WriteGuard {
            writer: self.writer(),
            policies,
            if_match,
        };
        let result = self.try_update(|doc, _| doc.guarded_remove_at(path, &guard));
        if let Err(error) = &result {
            self.record_refused_write(policies, error);
        }
        result
    }

    /// Records a local write refused with `error` (dead letter and policy metrics),
    /// for writes the application checks itself.
    pub fn record_refused_write(&mut self, policies: &Policies, error: &converge_ormap::Error) {
        let letter = DeadLetter::refused_write(self.writer(), error);
        self.record_dead_letter(letter);
        let (state, metrics) = self.state_and_metrics();
        metrics.policies.record_refusal(state, policies, error);
    }

    /// [`merge`](Self::merge) that returns what the merge changed and met, read under
    /// `policies`, and counts it in the policy metrics.
    pub fn merge_reporting(&mut self, other: Document, policies: &Policies) -> MergeReport {
        let mut report = MergeReport::default();
        self.merge_with(other, |state, value| {
            report = state.join_reporting(value, policies);
            report.concurrent_writes as u64
        });
        self.state_and_metrics().1.policies.record_merge(&report);
        report
    }

    /// [`receive`](Self::receive) that also returns what the message changed and met,
    /// read under `policies` (an empty report if it brought nothing new), and counts
    /// it in the policy metrics.
    pub fn receive_reporting(
        &mut self,
        bytes: &[u8],
        policies: &Policies,
    ) -> Result<(Option<Vec<u8>>, MergeReport), Error> {
        let mut report = MergeReport::default();
        let reply = self.receive_with(bytes, |state, value| {
            let one = state.join_reporting(value, policies);
            let met = one.concurrent_writes as u64;
            report.absorb(one);
            met
        })?;
        self.state_and_metrics().1.policies.record_merge(&report);
        Ok((reply, report))
    }
}
