//! A forged peer that puts another value under the dot of a real write (a dot value
//! clash) cannot split replicas apart: both settle on the same value, and each
//! replica that meets the clash in a merge counts it in `Metrics::dot_value_clashes`.

use converge_core::ReplicaId;
use converge_mvregister::MvRegister;
use converge_sync::Replica;

const WRITER: ReplicaId = ReplicaId::new(1);
const HONEST: ReplicaId = ReplicaId::new(2);
const FORGER: ReplicaId = ReplicaId::new(3);

/// The register after `WRITER`'s first write of `value`: its dot is `(WRITER, 1)`
/// whatever the value, so two such registers clash.
fn first_write(value: &str) -> MvRegister<String> {
    let mut register = MvRegister::new();
    register.write(WRITER, value.to_owned());
    register
}

#[test]
fn merge_counts_a_clash_and_settles_it() {
    let mut honest = Replica::new(HONEST, first_write("real")).unwrap();
    honest.merge(first_write("forged"));
    assert_eq!(honest.metrics().dot_value_clashes, 1);
    let mut forger = Replica::new(FORGER, first_write("forged")).unwrap();
    forger.merge(first_write("real"));
    assert_eq!(honest.state(), forger.state(), "the replicas split apart");
}

#[test]
fn receiving_a_clash_counts_it_and_both_sides_converge() {
    let mut honest = Replica::new(HONEST, first_write("real")).unwrap();
    let mut forger = Replica::new(FORGER, first_write("forged")).unwrap();
    honest.add_peer(FORGER);
    forger.add_peer(HONEST);
    for _ in 0..4 {
        if let Some(m) = forger.message_for(HONEST).unwrap() {
            if let Some(reply) = honest.receive(&m).unwrap() {
                forger.receive(&reply).unwrap();
            }
        }
        if let Some(m) = honest.message_for(FORGER).unwrap() {
            if let Some(reply) = forger.receive(&m).unwrap() {
                honest.receive(&reply).unwrap();
            }
        }
    }
    assert_eq!(honest.state(), forger.state(), "the replicas split apart");
    let clashes = honest.metrics().dot_value_clashes + forger.metrics().dot_value_clashes;
    assert!(clashes >= 1, "nobody counted the clash");
}
