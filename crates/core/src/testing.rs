//! Property-test helpers (feature `testing`): the lattice and delta-state laws,
//! written once, checked for any type over random histories.
//!
//! A type's test suite supplies a strategy for its operations and a function that
//! applies one operation at a replica and returns the delta:
//!
//! ```ignore
//! proptest! {
//!     #[test]
//!     fn laws(h in history(0u64..5)) {
//!         check_history(&h, |c: &mut GCounter, r, n| c.increment(r, *n).unwrap())?;
//!     }
//! }
//! ```

pub mod hostile;

use std::fmt::Debug;

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;

use crate::{Codec, DeltaCrdt, ReplicaId};

/// How many replicas a history runs on.
pub const REPLICAS: usize = 3;

/// The replicas' ids: far apart in the 64-bit space, so encodings see large ids.
pub const REPLICA_IDS: [ReplicaId; REPLICAS] = [
    ReplicaId::new(0x0000_0000_0000_0007),
    ReplicaId::new(0x7fff_ffff_0000_0001),
    ReplicaId::new(0xffff_ffff_ffff_fff0),
];

/// One step of a history.
#[derive(Clone, Debug)]
pub enum Step<Op> {
    /// Replica `replica` applies `op` and emits a delta.
    Write {
        /// Index of the writing replica.
        replica: usize,
        /// The operation.
        op: Op,
    },
    /// Replica `to` joins the full state of replica `from` (so later writes are
    /// causally after earlier ones, not all concurrent).
    Sync {
        /// Index of the replica whose state is sent.
        from: usize,
        /// Index of the replica that joins it.
        to: usize,
    },
}

/// A random history on [`REPLICAS`] replicas, plus a delivery schedule: indices into
/// the deltas the history emits, so a schedule reorders, repeats and drops deltas.
#[derive(Clone, Debug)]
pub struct History<Op> {
    /// The writes and state syncs, in order.
    pub steps: Vec<Step<Op>>,
    /// Which delta to deliver next, in delivery order.
    pub schedule: Vec<Index>,
}

/// Histories of up to 24 steps whose writes are drawn from `op`.
pub fn history<Op: Clone + Debug>(
    op: impl Strategy<Value = Op>,
) -> impl Strategy<Value = History<Op>> {
    let write = (0..REPLICAS, op).prop_map(|(replica, op)| Step::Write { replica, op });
    let sync = (0..REPLICAS, 0..REPLICAS).prop_map(|(from, to)| Step::Sync { from, to });
    let step = prop_oneof![3 => write, 1 => sync];
    (
        prop::collection::vec(step, 0..24),
        prop::collection::vec(any::<Index>(), 0..48),
    )
        .prop_map(|(steps, schedule)| History { steps, schedule })
}

thread_local! {
    static TEXTBOOK_JOINS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with every [`DotMap`](crate::DotMap) join on this thread visiting every
/// key of both sides, as the paper's join does, instead of only the keys the other
/// side carries or whose dots it has seen. The property tests compare the two: the
/// join that visits only what a delta touches must give exactly the textbook result.
pub fn with_textbook_joins<R>(f: impl FnOnce() -> R) -> R {
    switched_on(&TEXTBOOK_JOINS, f)
}

/// Runs `f` with the thread-local `switch` on, then puts it back as it was.
fn switched_on<R>(
    switch: &'static std::thread::LocalKey<std::cell::Cell<bool>>,
    f: impl FnOnce() -> R,
) -> R {
    let before = switch.with(|t| t.replace(true));
    let result = f();
    switch.with(|t| t.set(before));
    result
}

thread_local! {
    static EVERY_MAP_INDEXED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with every [`DotMap`](crate::DotMap) made or changed on this thread
/// indexing its dots at once, instead of only counting them while there are few, so
/// small property-test states exercise the indexed join too.
pub fn with_every_map_indexed<R>(f: impl FnOnce() -> R) -> R {
    switched_on(&EVERY_MAP_INDEXED, f)
}

/// Whether [`with_every_map_indexed`] is in force on this thread.
pub(crate) fn every_map_indexed() -> bool {
    EVERY_MAP_INDEXED.with(std::cell::Cell::get)
}

/// Whether [`with_textbook_joins`] is in force on this thread.
pub(crate) fn textbook_joins() -> bool {
    TEXTBOOK_JOINS.with(std::cell::Cell::get)
}

/// `a ⊔ b`, checked against the textbook join (see [`with_textbook_joins`]).
fn joined<T: DeltaCrdt>(a: T, b: T) -> T {
    let textbook = with_textbook_joins(|| {
        let mut a = a.clone();
        a.join(b.clone());
        a
    });
    let mut a = a;
    a.join(b);
    assert_eq!(
        a, textbook,
        "the join that visits only what the other side touches differs from the textbook join"
    );
    a
}

fn round_trips<T: DeltaCrdt + Codec>(value: &T, what: &str) -> Result<(), TestCaseError> {
    let bytes = value
        .encode()
        .map_err(|e| TestCaseError::fail(format!("{what} does not encode: {e}")))?;
    let back = T::decode(&bytes)
        .map_err(|e| TestCaseError::fail(format!("{what} does not decode: {e}")))?;
    prop_assert_eq!(
        &back,
        value,
        "{} changes in an encode/decode round trip",
        what
    );
    prop_assert_eq!(
        back.encode().ok(),
        Some(bytes),
        "{} re-encodes differently",
        what
    );
    Ok(())
}

/// Replays `history` with `apply` and checks every law of [`Lattice`](crate::Lattice)
/// and [`DeltaCrdt`]:
///
/// - every join equals the textbook join that visits every key
///   ([`with_textbook_joins`]);
/// - each delta is the mutation (`s ⊔ d = s'`) and is subsumed by its result
///   (`s' ⊔ d = s'`), and `is_subsumed_by` agrees with join;
/// - join is commutative, associative and idempotent on the replicas' states, and
///   the bottom is its identity;
/// - the deltas delivered by the schedule (reordered, duplicated, some dropped) and
///   then all deltas in reverse order reach exactly the join of the full states;
/// - with the dropped deltas repaired by full states, the same;
/// - states and deltas survive an encode/decode round trip, and equal states reached
///   by different paths encode to identical bytes.
pub fn check_history<T, Op>(
    history: &History<Op>,
    apply: impl Fn(&mut T, ReplicaId, &Op) -> T,
) -> Result<(), TestCaseError>
where
    T: DeltaCrdt + Codec,
{
    let mut states: Vec<T> = vec![T::default(); REPLICAS];
    let mut deltas: Vec<T> = Vec::new();
    for step in &history.steps {
        match step {
            Step::Write { replica, op } => {
                let before = states[*replica].clone();
                let delta = apply(&mut states[*replica], REPLICA_IDS[*replica], op);
                let after = &states[*replica];
                prop_assert_eq!(
                    &joined(before.clone(), delta.clone()),
                    after,
                    "joining the delta into the prior state is not the mutation"
                );
                prop_assert_eq!(
                    &joined(after.clone(), delta.clone()),
                    after,
                    "the delta is not subsumed by the state that made it"
                );
                prop_assert!(
                    delta.is_subsumed_by(after),
                    "is_subsumed_by denies that the delta is below the state that made it"
                );
                prop_assert_eq!(
                    delta.is_subsumed_by(&before),
                    joined(before.clone(), delta.clone()) == before,
                    "is_subsumed_by disagrees with join on the prior state"
                );
                round_trips(&delta, "a delta")?;
                deltas.push(delta);
            }
            Step::Sync { from, to } => {
                let sent = states[*from].clone();
                let receiver = std::mem::take(&mut states[*to]);
                states[*to] = joined(receiver, sent);
            }
        }
    }

    let total = states.iter().cloned().fold(T::default(), joined);
    let [a, b, c] = [&states[0], &states[1], &states[2]].map(Clone::clone);

    check_join_laws(&a, &b, &c)?;

    let scheduled: Vec<&T> = if deltas.is_empty() {
        Vec::new()
    } else {
        history
            .schedule
            .iter()
            .map(|i| &deltas[i.index(deltas.len())])
            .collect()
    };

    // Reordered and duplicated deltas, then every delta once more, newest first.
    let mut by_deltas = T::default();
    for d in scheduled.iter().copied().chain(deltas.iter().rev()) {
        by_deltas = joined(by_deltas, d.clone());
    }
    prop_assert_eq!(
        &by_deltas,
        &total,
        "deltas in another order (with duplicates) reach another state than the full states"
    );

    // Some deltas dropped: what arrived is below the total, and full states repair it.
    let mut partial = T::default();
    for d in &scheduled {
        partial = joined(partial, (*d).clone());
    }
    prop_assert_eq!(
        &joined(total.clone(), partial.clone()),
        &total,
        "a subset of the deltas is not below the joined full states"
    );
    let repaired = states.iter().cloned().fold(partial, joined);
    prop_assert_eq!(
        &repaired,
        &total,
        "full states do not repair dropped deltas"
    );

    for state in &states {
        round_trips(state, "a replica's state")?;
    }
    round_trips(&total, "the joined state")?;
    prop_assert_eq!(
        by_deltas.encode(),
        total.encode(),
        "equal states reached by different paths encode differently"
    );
    Ok(())
}

/// Checks the lattice laws on three states: join is commutative, associative and
/// idempotent, the bottom ([`Default`]) is its identity, and every join equals the
/// textbook join ([`with_textbook_joins`]). [`check_history`] calls it on the states a
/// history reaches; call it directly on states generated some other way (forged ones,
/// say).
pub fn check_join_laws<T: DeltaCrdt>(a: &T, b: &T, c: &T) -> Result<(), TestCaseError> {
    let [a, b, c] = [a, b, c].map(Clone::clone);
    prop_assert!(T::default().is_bottom(), "Default is not the bottom");
    prop_assert_eq!(
        &joined(a.clone(), b.clone()),
        &joined(b.clone(), a.clone()),
        "join is not commutative"
    );
    prop_assert_eq!(
        &joined(joined(a.clone(), b.clone()), c.clone()),
        &joined(a.clone(), joined(b.clone(), c.clone())),
        "join is not associative"
    );
    prop_assert_eq!(&joined(a.clone(), a.clone()), &a, "join is not idempotent");
    prop_assert_eq!(
        &joined(a.clone(), T::default()),
        &a,
        "bottom is not the identity"
    );
    Ok(())
}

/// Checks `value` against the golden vector `dir/name.hex` (hex of its encoding,
/// whitespace ignored): the encoding must match byte for byte, and the committed bytes
/// must decode to `value`. This pins the wire format: a change that alters it must
/// bump the type's format version and keep the old vectors decodable.
///
/// With the environment variable `CONVERGE_BLESS=1` it (re)writes the file instead;
/// a missing file is an error otherwise, so CI never passes on vectors it made itself.
pub fn check_golden<T: Codec + PartialEq + Debug>(
    dir: &std::path::Path,
    name: &str,
    value: &T,
) -> Result<(), String> {
    let encoded = value.encode().map_err(|e| e.to_string())?;
    let committed = check_golden_bytes(dir, name, &encoded)?;
    let decoded = T::decode(&committed).map_err(|e| {
        format!(
            "golden vector {} no longer decodes: {e}",
            dir.join(format!("{name}.hex")).display()
        )
    })?;
    if &decoded != value {
        return Err(format!(
            "golden vector {name} decodes to {decoded:?}, expected {value:?}"
        ));
    }
    Ok(())
}

/// [`check_golden`] for bytes made some other way (a sync message, a saved replica):
/// `bytes` must equal the committed vector `dir/name.hex`, which it returns, for the
/// caller to check what it decodes to. `CONVERGE_BLESS=1` (re)writes the file.
pub fn check_golden_bytes(
    dir: &std::path::Path,
    name: &str,
    bytes: &[u8],
) -> Result<Vec<u8>, String> {
    let path = dir.join(format!("{name}.hex"));
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    if std::env::var_os("CONVERGE_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        std::fs::write(&path, format!("{hex}\n")).map_err(|e| e.to_string())?;
        return Ok(bytes.to_vec());
    }
    let committed = read_golden(&path)?;
    if committed != bytes {
        let committed: String = committed.iter().map(|b| format!("{b:02x}")).collect();
        return Err(format!(
            "the encoding of {name} changed: the wire format is pinned.\n committed: {committed}\n now:       {hex}\nBump the format version instead (see Codec::decode_version)."
        ));
    }
    Ok(committed)
}

/// The bytes of a committed vector (hex, whitespace ignored), such as one of an
/// older format version that is never rewritten but must still decode.
pub fn read_golden(path: &std::path::Path) -> Result<Vec<u8>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read golden vector {}: {e} (run with CONVERGE_BLESS=1 to create it)",
            path.display()
        )
    })?;
    let text: String = text.split_whitespace().collect();
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(|| format!("{} is not hex", path.display()))
}
