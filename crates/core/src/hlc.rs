//! `Hlc`: a hybrid logical clock, physical milliseconds plus a logical counter, for
//! last-writer-wins timestamps that never run backwards.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// A hybrid logical clock reading: wall-clock milliseconds, then a logical counter
/// that orders readings within the same millisecond (or while the wall clock lags
/// behind a time already seen). Ordered by `(millis, logical)`.
///
/// Encoded as the pair `[millis, logical]`.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timestamp {
    /// Milliseconds since the Unix epoch (as the clock source reported them, or as a
    /// later timestamp seen from another replica dictated).
    pub millis: u64,
    /// Tie-breaker within one millisecond.
    pub logical: u32,
}

impl Timestamp {
    /// The timestamp `(millis, logical)`.
    pub const fn new(millis: u64, logical: u32) -> Self {
        Timestamp { millis, logical }
    }

    /// The smallest timestamp after this one; saturates at the largest timestamp.
    fn successor(self) -> Timestamp {
        match self.logical.checked_add(1) {
            Some(logical) => Timestamp::new(self.millis, logical),
            None => match self.millis.checked_add(1) {
                Some(millis) => Timestamp::new(millis, 0),
                None => self,
            },
        }
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.millis, self.logical)
    }
}

/// A source of wall-clock time in milliseconds. Inject one into [`Hlc`] to control
/// time in tests ([`ManualClock`]) or to read it from somewhere else than the host's
/// wall clock ([`SystemClock`], the default).
pub trait Clock {
    /// Milliseconds since the Unix epoch. May jump backwards; [`Hlc`] copes.
    fn now_millis(&self) -> u64;
}

impl<F: Fn() -> u64> Clock for F {
    fn now_millis(&self) -> u64 {
        self()
    }
}

/// The host's wall clock, on every target: the operating system's clock natively,
/// and JavaScript's `Date.now()` on `wasm32-unknown-unknown` (in the browser, in Node,
/// in a worker). A time before the epoch, or one the host cannot give, reads 0.
///
/// ```
/// use converge_core::{Clock, SystemClock};
/// // 2020-01-01T00:00:00Z
/// assert!(SystemClock.now_millis() > 1_577_836_800_000);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
impl Clock for SystemClock {
    fn now_millis(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}

/// On bare wasm there is no operating system clock; the JavaScript host's is read.
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
impl Clock for SystemClock {
    fn now_millis(&self) -> u64 {
        let now = js_sys::Date::now();
        if now.is_finite() && now > 0.0 {
            // A float-to-integer `as` saturates: no wrap, no panic.
            now as u64
        } else {
            0
        }
    }
}

/// A clock that reads whatever it was last set to; clones share the same time.
/// For tests and simulations.
///
/// ```
/// use converge_core::{Hlc, ManualClock};
/// let time = ManualClock::new(100);
/// let mut hlc = Hlc::new(time.clone());
/// let first = hlc.tick();
/// time.set(90); // the wall clock jumps back
/// assert!(hlc.tick() > first);
/// ```
#[derive(Clone, Debug, Default)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    /// A clock reading `millis`.
    pub fn new(millis: u64) -> Self {
        ManualClock(Arc::new(AtomicU64::new(millis)))
    }

    /// Sets the time every clone reads.
    pub fn set(&self, millis: u64) {
        self.0.store(millis, Ordering::Relaxed);
    }

    /// Moves the time forward by `millis`.
    pub fn advance(&self, millis: u64) {
        self.0.fetch_add(millis, Ordering::Relaxed);
    }
}

impl Clock for ManualClock {
    fn now_millis(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A hybrid logical clock (Kulkarni et al., 2014): each [`tick`](Self::tick) returns
/// a timestamp greater than every timestamp this clock has returned or
/// [`observe`](Self::observe)d, and as close to the wall clock as that allows.
///
/// So a replica whose wall clock lags still stamps its writes after everything it has
/// seen: if A writes at 100 and B, whose clock reads 90, merges that write and then
/// writes, B's timestamp is `(100, 1)`, after A's.
///
/// A remote timestamp far in the future drags the clock forward with it; at the very
/// end of the range the clock stops advancing rather than wrapping (ties are then
/// broken by replica id).
#[derive(Clone, Debug)]
pub struct Hlc<C = DefaultClock> {
    clock: C,
    last: Timestamp,
    /// The drift bound, or [`NO_DRIFT_BOUND`] (one word, not an `Option` of two: a
    /// clock sits beside every JavaScript document).
    max_drift_ms: u64,
}

/// `max_drift_ms` of a clock that takes any observed time.
const NO_DRIFT_BOUND: u64 = u64::MAX;

/// The clock [`Hlc`] uses when none is named: the host's wall clock
/// ([`SystemClock`]), the same type on every target.
pub type DefaultClock = SystemClock;

impl Default for Hlc<DefaultClock> {
    fn default() -> Self {
        Hlc::new(DefaultClock::default())
    }
}

impl<C: Clock> Hlc<C> {
    /// A clock reading time from `clock`, having seen nothing yet.
    pub fn new(clock: C) -> Self {
        Hlc {
            clock,
            last: Timestamp::default(),
            max_drift_ms: NO_DRIFT_BOUND,
        }
    }

    /// Bounds how far ahead of this clock's wall time an observed timestamp may drag
    /// it: a timestamp more than `max_drift_ms` ahead is observed as if it were
    /// exactly that far ahead. A peer with a wildly wrong (or hostile) clock then
    /// cannot push this replica's timestamps to the end of time. Its writes still
    /// carry their own timestamps; a later write here still replaces them when it has
    /// seen them, since causal replacement does not depend on clocks.
    pub fn with_max_drift(mut self, max_drift_ms: u64) -> Self {
        self.max_drift_ms = max_drift_ms;
        self
    }

    /// A fresh timestamp for a local write: after everything returned or observed.
    pub fn tick(&mut self) -> Timestamp {
        let now = self.clock.now_millis();
        self.last = if now > self.last.millis {
            Timestamp::new(now, 0)
        } else {
            self.last.successor()
        };
        self.last
    }

    /// Takes note of a timestamp seen from another replica, so later ticks come after it.
    pub fn observe(&mut self, seen: Timestamp) {
        let seen = match self.max_drift_ms {
            NO_DRIFT_BOUND => seen,
            drift => {
                let limit = Timestamp::new(self.clock.now_millis().saturating_add(drift), 0);
                seen.min(limit)
            }
        };
        self.last = self.last.max(seen);
    }

    /// The latest timestamp returned or observed.
    pub fn last(&self) -> Timestamp {
        self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_goes_backwards_when_the_wall_clock_does() {
        let time = ManualClock::new(1_000);
        let mut hlc = Hlc::new(time.clone());
        let a = hlc.tick();
        assert_eq!(a, Timestamp::new(1_000, 0));
        time.set(500);
        let b = hlc.tick();
        assert_eq!(b, Timestamp::new(1_000, 1));
        time.set(2_000);
        assert_eq!(hlc.tick(), Timestamp::new(2_000, 0));
    }

    #[test]
    fn observing_a_later_time_moves_ticks_past_it() {
        let mut hlc = Hlc::new(ManualClock::new(90));
        hlc.observe(Timestamp::new(100, 0));
        assert_eq!(hlc.tick(), Timestamp::new(100, 1));
        hlc.observe(Timestamp::new(50, 7)); // earlier: no effect
        assert_eq!(hlc.tick(), Timestamp::new(100, 2));
    }

    #[test]
    fn saturates_instead_of_wrapping_at_the_end_of_time() {
        let mut hlc = Hlc::new(ManualClock::new(0));
        hlc.observe(Timestamp::new(u64::MAX, u32::MAX - 1));
        assert_eq!(hlc.tick(), Timestamp::new(u64::MAX, u32::MAX));
        assert_eq!(hlc.tick(), Timestamp::new(u64::MAX, u32::MAX));
        let mut hlc = Hlc::new(ManualClock::new(0));
        hlc.observe(Timestamp::new(7, u32::MAX));
        assert_eq!(hlc.tick(), Timestamp::new(8, 0));
    }

    #[test]
    fn max_drift_bounds_what_an_observation_can_do() {
        let mut hlc = Hlc::new(ManualClock::new(1_000)).with_max_drift(500);
        hlc.observe(Timestamp::new(u64::MAX, 0));
        assert_eq!(hlc.tick(), Timestamp::new(1_500, 1));
        hlc.observe(Timestamp::new(1_200, 3)); // within the drift: taken as is
        assert_eq!(hlc.tick(), Timestamp::new(1_500, 2));
    }

    /// Issue 14, item 6: on wasm the default clock was a `ManualClock` reading 0.
    /// (Natively it has always read the system clock; the JS tests check the wasm
    /// build, where `SystemClock` reads `Date.now()`.)
    #[test]
    fn the_default_clock_reads_real_time() {
        let after_2020 = Timestamp::new(1_577_836_800_000, 0);
        assert!(Hlc::default().tick() > after_2020);
        assert!(SystemClock.now_millis() > after_2020.millis);
    }

    #[test]
    fn a_closure_is_a_clock() {
        let mut hlc = Hlc::new(|| 42);
        assert_eq!(hlc.tick().millis, 42);
    }
}
