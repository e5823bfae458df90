//! Dot value clashes: one dot carrying two different values on two sides of a join,
//! which honest replicas never produce (a dot names one write), counted so that the
//! anomaly a forged or buggy peer causes is visible, and settled the same way on
//! every replica.

use std::cell::Cell;
use std::cmp::Ordering;
use std::fmt::Debug;

use serde::Serialize;

use crate::msgpack_encoder::to_msgpack;

thread_local! {
    static CLASHES: Cell<u64> = const { Cell::new(0) };
    static TRIAL: Cell<bool> = const { Cell::new(false) };
}

/// How many dot value clashes the joins on this thread have met since it started:
/// joins where both sides held the same dot with different values. Honest replicas
/// never cause one; a forged or corrupted state does.
///
/// The join settles every clash identically on every replica (the value whose
/// canonical encoding is greater wins), so replicas still converge; this count is how
/// the anomaly shows. Read it before and after a join to count that join's clashes
/// (`converge-sync` reports them as `Metrics::dot_value_clashes`). Trial joins, such
/// as the one that decides whether a delta brings news
/// ([`DeltaCrdt::is_subsumed_by`](crate::DeltaCrdt::is_subsumed_by)), do not count.
/// A clash met in a join that changes nothing else (the receiver's value wins and
/// the message brings no news) is not joined at all, so not counted there; the
/// replica holding the losing value counts it when the winner reaches it.
pub fn dot_value_clashes() -> u64 {
    CLASHES.with(Cell::get)
}

/// Runs `f`, a trial join whose clashes must not count, and returns its result.
pub(crate) fn uncounted<R>(f: impl FnOnce() -> R) -> R {
    /// Puts the trial flag back as it was, even if `f` unwinds.
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            TRIAL.with(|t| t.set(self.0));
        }
    }
    let _restore = Restore(TRIAL.with(|t| t.replace(true)));
    f()
}

/// Which value a join keeps when both sides hold one dot: `ours` unless `theirs`
/// differs and is greater in the order every replica computes alike. Counts the
/// clash when the values differ.
///
/// The order compares the values' canonical encodings (compact MessagePack, the wire
/// form), so values that encode alike are the same value to every replica. A value
/// that cannot be encoded loses to one that can; two that cannot are compared by
/// their `Debug` text (not on wasm32: see [`unencodable_order`]). Where even that is
/// equal, the values are indistinguishable to every means this library has, and
/// `ours` stays.
pub(crate) fn theirs_wins<V: PartialEq + Debug + Serialize>(ours: &V, theirs: &V) -> bool {
    if ours == theirs {
        return false;
    }
    let order = match (to_msgpack(ours), to_msgpack(theirs)) {
        (Ok(ours), Ok(theirs)) => ours.cmp(&theirs),
        (Ok(_), Err(_)) => Ordering::Greater,
        (Err(_), Ok(_)) => Ordering::Less,
        (Err(_), Err(_)) => unencodable_order(ours, theirs),
    };
    if order != Ordering::Equal && !TRIAL.with(Cell::get) {
        CLASHES.with(|c| c.set(c.get().saturating_add(1)));
    }
    order == Ordering::Less
}

/// The order of two values that cannot be encoded: their `Debug` texts compared.
///
/// Two values that cannot be encoded never travel between replicas (a state holding
/// one cannot be sent or saved), so replicas in different processes never settle such
/// a clash, and the order need only agree within one build.
#[cfg(not(target_arch = "wasm32"))]
fn unencodable_order<V: Debug>(ours: &V, theirs: &V) -> Ordering {
    format!("{ours:?}").cmp(&format!("{theirs:?}"))
}

/// On wasm32 two values that cannot be encoded are equal to the order (`ours` stays):
/// comparing their `Debug` texts there would link `Debug` for every value type, float
/// formatting and Unicode tables included, into the npm package (about 11 KB gzip),
/// while the package's value types all encode, so it never needs the order. (Only
/// this build's own replicas could meet such a clash; see the native version.)
#[cfg(target_arch = "wasm32")]
fn unencodable_order<V: Debug>(_ours: &V, _theirs: &V) -> Ordering {
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_greater_encoding_wins_whichever_side_holds_it() {
        assert!(theirs_wins(&"a", &"b"));
        assert!(!theirs_wins(&"b", &"a"));
        assert!(!theirs_wins(&"a", &"a"));
    }

    #[test]
    fn values_that_encode_alike_are_no_clash() {
        // NaN is not equal to itself, but encodes alike: nothing to settle or count.
        let before = dot_value_clashes();
        assert!(!theirs_wins(&f64::NAN, &f64::NAN));
        assert_eq!(dot_value_clashes(), before);
    }

    #[test]
    fn clashes_count_except_in_trial_joins() {
        let before = dot_value_clashes();
        theirs_wins(&1u8, &2u8);
        assert_eq!(dot_value_clashes(), before + 1);
        uncounted(|| theirs_wins(&1u8, &2u8));
        assert_eq!(dot_value_clashes(), before + 1);
        // The flag is back off after the trial.
        theirs_wins(&2u8, &1u8);
        assert_eq!(dot_value_clashes(), before + 2);
    }

    /// A value whose serialization fails (as a non-UTF-8 path's does).
    #[derive(Debug, PartialEq)]
    struct Unencodable(u8);

    impl Serialize for Unencodable {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("cannot encode"))
        }
    }

    #[test]
    fn unencodable_values_are_ordered_without_a_panic() {
        assert!(theirs_wins(&Unencodable(1), &Unencodable(2)));
        assert!(!theirs_wins(&Unencodable(2), &Unencodable(1)));
    }
}
