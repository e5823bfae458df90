//! Helpers shared by the ormap test suites: random writes of every kind at random
//! short paths of a `Document`, and readers that look inside documents and deltas
//! (leaf paths, the dots under a path, the dots of a context).

// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use converge_core::{
    CausalContext, Dot, DotStore, Embeddable, Hlc, Lattice, ManualClock, ReplicaId,
};
use converge_lwwregister::LwwRegister;
use converge_mvregister::MvRegister;
use converge_ormap::{Counter, Document, Flag, Kind, Value};
use converge_orset::OrSet;
use proptest::prelude::*;

/// The key alphabet: three one-letter keys, so random paths collide often.
pub(crate) const KEYS: [&str; 3] = ["a", "b", "c"];

/// What to write at a path, one variant per kind and mutator.
#[derive(Clone, Debug)]
pub(crate) enum Write {
    Increment(u64),
    Decrement(u64),
    Enable,
    Disable,
    /// An LWW write stamped by a clock reading `millis` (few distinct times, so
    /// concurrent writes often tie and fall to the replica id).
    Lww {
        millis: u64,
        value: i64,
    },
    LwwClear,
    Mv(i64),
    MvClear,
    SetAdd(i64),
    SetRemove(i64),
}

impl Write {
    /// The kind of CRDT the write goes to.
    pub(crate) fn kind(&self) -> Kind {
        match self {
            Write::Increment(_) | Write::Decrement(_) => Kind::Counter,
            Write::Enable | Write::Disable => Kind::Flag,
            Write::Lww { .. } | Write::LwwClear => Kind::Lww,
            Write::Mv(_) | Write::MvClear => Kind::Mv,
            Write::SetAdd(_) | Write::SetRemove(_) => Kind::Set,
        }
    }

    /// Whether the write makes a fresh dot (rather than only removing observed ones).
    pub(crate) fn is_live(&self) -> bool {
        matches!(
            self,
            Write::Increment(_)
                | Write::Decrement(_)
                | Write::Enable
                | Write::Lww { .. }
                | Write::Mv(_)
                | Write::SetAdd(_)
        )
    }
}

/// Paths of one to three keys from [`KEYS`].
pub(crate) fn path() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(0u8..3, 1..=3)
}

/// Any write, removals included.
pub(crate) fn write() -> impl Strategy<Value = Write> {
    prop_oneof![
        3 => (1u64..50).prop_map(Write::Increment),
        1 => (1u64..50).prop_map(Write::Decrement),
        2 => Just(Write::Enable),
        1 => Just(Write::Disable),
        3 => (0u64..4, 0i64..5).prop_map(|(millis, value)| Write::Lww { millis, value }),
        1 => Just(Write::LwwClear),
        2 => (0i64..5).prop_map(Write::Mv),
        1 => Just(Write::MvClear),
        3 => (0i64..4).prop_map(Write::SetAdd),
        2 => (0i64..4).prop_map(Write::SetRemove),
    ]
}

/// A write that leaves a live value of the `index`-th leaf kind (counter, flag, LWW,
/// MV, set; the index is taken modulo 5).
pub(crate) fn live_write(index: usize) -> BoxedStrategy<Write> {
    match index % 5 {
        0 => (1u64..50).prop_map(Write::Increment).boxed(),
        1 => Just(Write::Enable).boxed(),
        2 => (0u64..4, 0i64..5)
            .prop_map(|(millis, value)| Write::Lww { millis, value })
            .boxed(),
        3 => (0i64..5).prop_map(Write::Mv).boxed(),
        _ => (0i64..4).prop_map(Write::SetAdd).boxed(),
    }
}

/// Two live writes of two different leaf kinds.
pub(crate) fn two_kinds() -> impl Strategy<Value = (Write, Write)> {
    (0usize..5, 1usize..5).prop_flat_map(|(i, d)| (live_write(i), live_write(i + d)))
}

/// The keys a generated path stands for.
pub(crate) fn keys_of(path: &[u8]) -> Vec<&'static str> {
    path.iter().map(|k| KEYS[usize::from(*k)]).collect()
}

/// Applies `write` at `path` as `replica`; returns the root delta.
pub(crate) fn write_at(
    doc: &mut Document,
    replica: ReplicaId,
    path: &[&str],
    write: &Write,
) -> Document {
    match write {
        Write::Increment(n) => doc
            .update_at(path, |c: &mut Counter| c.increment(replica, *n))
            .unwrap(),
        Write::Decrement(n) => doc
            .update_at(path, |c: &mut Counter| c.decrement(replica, *n))
            .unwrap(),
        Write::Enable => doc
            .update_at(path, |f: &mut Flag| f.enable(replica))
            .unwrap(),
        Write::Disable => doc.update_at(path, |f: &mut Flag| f.disable()).unwrap(),
        Write::Lww { millis, value } => doc
            .update_at(path, |r: &mut LwwRegister<Value>| {
                let mut clock = Hlc::new(ManualClock::new(*millis));
                r.set(replica, &mut clock, Value::Int(*value))
            })
            .unwrap(),
        Write::LwwClear => doc
            .update_at(path, |r: &mut LwwRegister<Value>| r.clear())
            .unwrap(),
        Write::Mv(value) => doc
            .update_at(path, |r: &mut MvRegister<Value>| {
                r.write(replica, Value::Int(*value))
            })
            .unwrap(),
        Write::MvClear => doc
            .update_at(path, |r: &mut MvRegister<Value>| r.clear())
            .unwrap(),
        Write::SetAdd(e) => doc
            .update_at(path, |s: &mut OrSet<Value>| s.add(replica, Value::Int(*e)))
            .unwrap(),
        Write::SetRemove(e) => doc
            .update_at(path, |s: &mut OrSet<Value>| s.remove(&Value::Int(*e)))
            .unwrap(),
    }
}

/// Every non-map CRDT in `doc`, as (path, kind), in key then kind order. A node that
/// holds a nested map contributes the leaves below it.
pub(crate) fn leaf_paths(doc: &Document) -> Vec<(Vec<String>, Kind)> {
    let mut out = Vec::new();
    collect_leaves(doc, &mut Vec::new(), &mut out);
    out
}

fn collect_leaves(doc: &Document, prefix: &mut Vec<String>, out: &mut Vec<(Vec<String>, Kind)>) {
    for (key, node) in doc.iter_sorted() {
        prefix.push(key.clone());
        for kind in node.kinds() {
            if kind == Kind::Map {
                if let Some(child) = node.get::<Document>() {
                    collect_leaves(child, prefix, out);
                }
            } else {
                out.push((prefix.clone(), kind));
            }
        }
        prefix.pop();
    }
}

/// The live dots under `path` (every kind, nested maps included), sorted.
pub(crate) fn dots_under(doc: &Document, path: &[&str]) -> Vec<Dot> {
    let mut dots = Vec::new();
    if let Some(node) = doc.get_at(path) {
        node.as_causal().store.collect_dots(&mut dots);
    }
    dots.sort();
    dots
}

/// The live dots of the non-map kinds held on the way to `path` (at each of its
/// proper prefixes), sorted: what a live write at `path` supersedes above it.
pub(crate) fn dots_on_the_way(doc: &Document, path: &[&str]) -> Vec<Dot> {
    let mut dots = Vec::new();
    for end in 1..path.len() {
        if let Some(node) = doc.get_at(&path[..end]) {
            let mut all = Vec::new();
            node.as_causal().store.collect_dots(&mut all);
            let mut map = Vec::new();
            if let Some(child) = node.get::<Document>() {
                child.as_causal().store.collect_dots(&mut map);
            }
            dots.extend(all.into_iter().filter(|d| !map.contains(d)));
        }
    }
    dots.sort();
    dots
}

/// Every live dot of `doc`, sorted.
pub(crate) fn all_dots(doc: &Document) -> Vec<Dot> {
    let mut dots = Vec::new();
    doc.as_causal().store.collect_dots(&mut dots);
    dots.sort();
    dots
}

/// Every dot of a context (the vector's ranges and the cloud), sorted.
pub(crate) fn context_dots(context: &CausalContext) -> Vec<Dot> {
    let mut dots: Vec<Dot> = context
        .version_vector()
        .iter()
        .flat_map(|(replica, n)| (1..=n).map(move |c| Dot::new(replica, c)))
        .chain(context.cloud())
        .collect();
    dots.sort();
    dots
}

pub(crate) fn add(
    doc: &mut Document,
    replica: ReplicaId,
    path: &[&str],
    element: &str,
) -> Document {
    doc.update_at(path, |s: &mut OrSet<Value>| s.add(replica, element.into()))
        .unwrap()
}

pub(crate) fn increment(
    doc: &mut Document,
    replica: ReplicaId,
    path: &[&str],
    by: u64,
) -> Document {
    doc.update_at(path, |c: &mut Counter| c.increment(replica, by))
        .unwrap()
}

pub(crate) fn set_lww(
    doc: &mut Document,
    replica: ReplicaId,
    path: &[&str],
    millis: u64,
    v: &str,
) -> Document {
    doc.update_at(path, |r: &mut LwwRegister<Value>| {
        r.set(replica, &mut Hlc::new(ManualClock::new(millis)), v.into())
    })
    .unwrap()
}

pub(crate) fn write_mv(doc: &mut Document, replica: ReplicaId, path: &[&str], v: &str) -> Document {
    doc.update_at(path, |r: &mut MvRegister<Value>| r.write(replica, v.into()))
        .unwrap()
}

/// A random [`converge_ormap::Write`] of every kind, small values and amounts (the
/// batch suites': `Document::write_all`, `WriteDeltas`).
pub(crate) fn document_write() -> impl Strategy<Value = converge_ormap::Write> {
    use converge_ormap::Write;
    let value = (0i64..4).prop_map(Value::Int);
    prop_oneof![
        value.clone().prop_map(Write::Set),
        value.clone().prop_map(Write::SetMulti),
        (0u64..5).prop_map(Write::Increment),
        (0u64..5).prop_map(Write::Decrement),
        value.clone().prop_map(Write::AddToSet),
        value.prop_map(Write::RemoveFromSet),
        Just(Write::Enable),
        Just(Write::Disable),
        Just(Write::Remove),
    ]
}

/// A path of a first key from `firsts`, then up to `below - 1` keys from `x`, `y`.
pub(crate) fn path_under(
    firsts: Vec<&'static str>,
    below: usize,
) -> impl Strategy<Value = Vec<String>> {
    (
        prop::sample::select(firsts),
        prop::collection::vec(prop::sample::select(vec!["x", "y"]), 0..below),
    )
        .prop_map(|(first, rest)| {
            let mut keys = vec![first.to_owned()];
            keys.extend(rest.iter().map(|k| (*k).to_owned()));
            keys
        })
}

/// Up to `max` steps of two writers: mine, or (when `true`, one in five) a peer's,
/// each a [`document_write`] at a path from `paths`.
pub(crate) fn writer_steps(
    paths: impl Strategy<Value = Vec<String>>,
    max: usize,
) -> impl Strategy<Value = Vec<(bool, Vec<String>, converge_ormap::Write)>> {
    prop::collection::vec((prop::bool::weighted(0.2), paths, document_write()), 0..max)
}

/// `doc.write` of `write` at `path` by `who`, with no policies (these writes are
/// never refused).
pub(crate) fn write_as(
    doc: &mut Document,
    who: ReplicaId,
    path: &[String],
    write: converge_ormap::Write,
    clock: &mut Hlc<ManualClock>,
) -> Document {
    let policies = converge_ormap::Policies::new();
    let guard = converge_ormap::WriteGuard {
        writer: who,
        policies: &policies,
        if_match: None,
    };
    let keys: Vec<&str> = path.iter().map(String::as_str).collect();
    doc.write(&keys, write, &guard, clock)
        .expect("these writes are valid")
}

/// The writer of a [`replay`]ed history's deltas under test.
pub(crate) const ME: ReplicaId = ReplicaId::new(0xa);
/// The other writer of a [`replay`]ed history.
pub(crate) const PEER: ReplicaId = ReplicaId::new(0xb);

/// One step of a [`replay`]ed history, as the keeper of my deltas sees it.
pub(crate) enum Replayed<'a> {
    /// Step `i` begins; `doc` is my document, `joined` the join of my deltas so far.
    Step(usize, &'a Document, &'a Document),
    /// I wrote `delta` at the path, a write of that class.
    Write(&'a [String], converge_ormap::WriteClass, &'a Document),
    /// I wrote `delta` as one change of writes at these paths.
    Change(&'a [Vec<String>], &'a Document),
}

/// The documents a [`replay`] leaves.
pub(crate) struct Replay {
    /// My document before the steps (the peer has it too).
    pub(crate) start: Document,
    /// My document after them.
    pub(crate) doc: Document,
    /// The join of my deltas.
    pub(crate) joined: Document,
    /// The join of the peer's deltas (merged into mine as they were written).
    pub(crate) theirs: Document,
}

impl Replay {
    /// What a replica holding everything but my deltas (my document before the
    /// steps, and the peer's deltas) reaches by joining `deltas`: my document, when
    /// they carry my writes.
    pub(crate) fn reached_by(&self, deltas: impl IntoIterator<Item = Document>) -> Document {
        let mut elsewhere = self.start.clone();
        elsewhere.join(self.theirs.clone());
        for delta in deltas {
            elsewhere.join(delta);
        }
        elsewhere
    }
}

/// Plays `before` (my writes, which the peer also gets), then `steps`: mine, or the
/// peer's (`true`, when `with_peer`) merged into mine at once; a step whose index is
/// in `change` and the two after it are my one change (`write_all`). `keep` sees each
/// step begin and each of my deltas.
pub(crate) fn replay(
    before: &[(bool, Vec<String>, converge_ormap::Write)],
    steps: &[(bool, Vec<String>, converge_ormap::Write)],
    with_peer: bool,
    change: &[usize],
    keep: &mut dyn FnMut(Replayed<'_>),
) -> Replay {
    let (me, peer_id) = (ME, PEER);
    let mut clock = Hlc::new(ManualClock::new(1_000));
    let mut peer_clock = Hlc::new(ManualClock::new(1_500));
    let (mut doc, mut peer) = (Document::new(), Document::new());
    for (_, path, w) in before {
        let delta = write_as(&mut doc, me, path, w.clone(), &mut clock);
        peer.join(delta);
    }
    let start = doc.clone();
    let (mut joined, mut theirs) = (Document::new(), Document::new());
    let mut skip = 0;
    for (i, (peers, path, w)) in steps.iter().enumerate() {
        keep(Replayed::Step(i, &doc, &joined));
        if skip > 0 {
            skip -= 1;
            continue;
        }
        if *peers && with_peer {
            let delta = write_as(&mut peer, peer_id, path, w.clone(), &mut peer_clock);
            doc.join(delta.clone());
            theirs.join(delta);
            continue;
        }
        if change.contains(&i) {
            let writes: Vec<(Vec<String>, converge_ormap::Write)> = steps[i..]
                .iter()
                .take(3)
                .map(|(_, p, w)| (p.clone(), w.clone()))
                .collect();
            let policies = converge_ormap::Policies::new();
            let guard = converge_ormap::WriteGuard {
                writer: me,
                policies: &policies,
                if_match: None,
            };
            let delta = doc
                .write_all(writes.clone(), &guard, &mut clock)
                .expect("valid");
            let paths: Vec<Vec<String>> = writes.into_iter().map(|(p, _)| p).collect();
            keep(Replayed::Change(&paths, &delta));
            joined.join(delta);
            skip = 2;
            continue;
        }
        let class = w.class();
        let delta = write_as(&mut doc, me, path, w.clone(), &mut clock);
        keep(Replayed::Write(path, class, &delta));
        joined.join(delta);
    }
    Replay {
        start,
        doc,
        joined,
        theirs,
    }
}
