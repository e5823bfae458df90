//! `Document::join_reporting` reports, on the part of the document the merge touches,
//! exactly what a brute-force comparison of the whole document before and after shows:
//! its `changed` paths are the fields whose contents differ, its concurrent writes are
//! `conflicts_between` the whole states, and its join is the join. On random nested
//! documents written concurrently by three replicas, merged with one another's states
//! and deltas, under policies of every kind.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use converge_core::testing::with_every_map_indexed;
use converge_core::{register_conflicts, CountConflicts, Dot, Lattice, ReplicaId};
use converge_lwwregister::LwwRegister;
use converge_mvregister::MvRegister;
use converge_ormap::{
    Counter, Document, FieldOutcome, FieldPath, FieldRead, Flag, Node, Policies, Policy, RuleKey,
    Value, Verdict,
};
use converge_orset::OrSet;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use support::{keys_of, path, write, write_at, Write};

#[derive(Clone, Debug)]
enum Step {
    Write(usize, Vec<u8>, Write),
    RemoveAt(usize, Vec<u8>),
    Sync(usize, usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0usize..3, path(), write()).prop_map(|(r, p, w)| Step::Write(r, p, w)),
        2 => (0usize..3, path()).prop_map(|(r, p)| Step::RemoveAt(r, p)),
        1 => (0usize..3, 0usize..3).prop_map(|(a, b)| Step::Sync(a, b)),
    ]
}

/// Every path of `doc` with its node, brute force.
fn nodes(doc: &Document) -> Vec<(Vec<String>, Node)> {
    let mut out = Vec::new();
    doc.visit(|path, node| out.push((path.to_vec(), node.clone())));
    out
}

/// The fields whose non-map contents differ between `a` and `b`, brute force.
fn diff(a: &Document, b: &Document) -> Vec<FieldPath> {
    let fields = |n: Option<&Node>| {
        (
            n.and_then(|n| n.get::<Counter>().cloned()),
            n.and_then(|n| n.get::<Flag>().cloned()),
            n.and_then(|n| n.get::<LwwRegister<Value>>().cloned()),
            n.and_then(|n| n.get::<MvRegister<Value>>().cloned()),
            n.and_then(|n| n.get::<OrSet<Value>>().cloned()),
        )
    };
    let paths: BTreeSet<Vec<String>> = nodes(a)
        .into_iter()
        .chain(nodes(b))
        .map(|(p, _)| p)
        .collect();
    paths
        .into_iter()
        .filter(|p| {
            let keys: Vec<&str> = p.iter().map(String::as_str).collect();
            fields(a.get_at(&keys)) != fields(b.get_at(&keys))
        })
        .map(FieldPath::from)
        .collect()
}

/// The live register dots of `node`, in order.
fn register_dots(node: Option<&Node>) -> Vec<Dot> {
    let mut dots: Vec<Dot> = node
        .map(|n| n.siblings().iter().map(|s| s.dot).collect())
        .unwrap_or_default();
    dots.sort_unstable();
    dots.dedup();
    dots
}

/// The general path the report's per-field findings must equal: every changed field's
/// concurrent writes met (`register_conflicts` of its live dots before and after), and
/// its full `read` under its policy compared before and after.
fn reference_outcomes(
    before: &Document,
    after: &Document,
    changed: &[FieldPath],
    policies: &Policies,
) -> (Vec<(FieldPath, usize)>, Vec<FieldOutcome>) {
    let mut by_path = BTreeMap::new();
    let mut outcomes = Vec::new();
    for path in changed {
        let keys: Vec<&str> = path.iter().map(String::as_str).collect();
        let (was, now) = (before.get_at(&keys), after.get_at(&keys));
        let met = register_conflicts(&register_dots(was), &register_dots(now)) as usize;
        if met > 0 {
            by_path.insert(path.clone(), met);
        }
        let policy = policies.get(&path[..]);
        let Some(read) = now.and_then(|n| n.read(policy)) else {
            continue;
        };
        let ignored_dots = |r: Option<&FieldRead>| -> BTreeSet<Dot> {
            r.map(|r| r.ignored.iter().map(|s| s.dot).collect())
                .unwrap_or_default()
        };
        let old = was.and_then(|n| n.read(policy));
        let ignored = ignored_dots(Some(&read))
            .difference(&ignored_dots(old.as_ref()))
            .count();
        let verdict = (met > 0 && read.siblings.len() > 1).then(|| {
            if read.outcome.needs_attention() {
                Verdict::Review
            } else {
                Verdict::Settled
            }
        });
        if verdict.is_some() || ignored > 0 {
            outcomes.push(FieldOutcome {
                path: path.clone(),
                rule: RuleKey::of(&path[..], now, policies),
                outcome: read.outcome,
                verdict,
                ignored,
            });
        }
    }
    (by_path.into_iter().collect(), outcomes)
}

fn policies() -> Policies {
    let mut policies = Policies::new();
    policies
        .set(&["a", "*"], Policy::Authority([ReplicaId::new(1)].into()))
        .set(&["b"], Policy::KeepSiblings)
        // A top-level field an authority policy reads (judged as the join visits it).
        .set(&["c"], Policy::Authority([ReplicaId::new(2)].into()))
        .set(
            &["c", "c"],
            Policy::LastWriterWins {
                skew_tolerance_ms: 2,
            },
        );
    policies
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn the_report_equals_a_brute_force_diff(
        steps in prop::collection::vec(step(), 1..30),
        indexed in any::<bool>(),
    ) {
        // As maps are in use, or with every map indexed (the join that visits only the
        // keys the other side carries or whose dots it has seen).
        if indexed {
            with_every_map_indexed(|| report_equals_diff(&steps))?;
        } else {
            report_equals_diff(&steps)?;
        }
    }
}

fn report_equals_diff(steps: &[Step]) -> Result<(), TestCaseError> {
    {
        let ids = [ReplicaId::new(1), ReplicaId::new(2), ReplicaId::new(3)];
        let policies = policies();
        let mut states = vec![Document::new(); 3];
        let mut deltas = Vec::new();
        for s in steps {
            match s {
                Step::Write(r, p, w) => {
                    deltas.push(write_at(&mut states[*r], ids[*r], &keys_of(p), w))
                }
                Step::RemoveAt(r, p) => deltas.push(states[*r].remove_at(&keys_of(p)).unwrap()),
                Step::Sync(from, to) => {
                    let sent = states[*from].clone();
                    states[*to].join(sent);
                }
            }
        }
        let others: Vec<&Document> = deltas.iter().chain(states.iter()).collect();
        for x in &states {
            for other in &others {
                let mut whole = x.clone();
                whole.join((*other).clone());
                let mut reported = x.clone();
                let report = reported.join_reporting((*other).clone(), &policies);
                prop_assert_eq!(&reported, &whole, "join_reporting does not join");
                prop_assert_eq!(&report.changed, &diff(x, &whole));
                prop_assert_eq!(
                    report.concurrent_writes as u64,
                    Document::conflicts_between(x, &whole)
                );
                for field in &report.policies {
                    prop_assert!(report.changed.contains(&field.path));
                }
                let (by_path, outcomes) = reference_outcomes(x, &whole, &report.changed, &policies);
                prop_assert_eq!(&report.by_path, &by_path);
                prop_assert_eq!(&report.policies, &outcomes);
            }
        }
    }
    Ok(())
}
