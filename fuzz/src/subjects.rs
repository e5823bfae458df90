//! The types fuzzed, and deterministic sample writes for each: the corpus generator
//! writes with them, the receiver of fuzzed messages holds a few, and the trace
//! target picks them by number.

use std::collections::BTreeMap;
use std::fmt::Debug;

use converge::{
    Codec, CountConflicts, Counter, DeltaCrdt, Document, Flag, GCounter, Hlc, LwwRegister,
    ManualClock, MvRegister, OrSet, PnCounter, ReplicaId, Value,
};

/// The OR-Set the npm package ships.
pub type Set = OrSet<Value>;
/// The LWW register the npm package ships.
pub type Lww = LwwRegister<Value>;
/// The MV register the npm package ships.
pub type Mv = MvRegister<Value>;
/// A typed map, of sets of strings.
pub type TypedMap = converge::OrMap<String, OrSet<String>>;

/// A type the fuzzers sync and decode, with a family of sample writes.
pub trait Subject: DeltaCrdt + Codec + CountConflicts + PartialEq + Debug + Clone {
    /// Write number `n` by `writer` (what it writes depends only on `n` and the
    /// current state); returns its delta.
    fn sample_write(&mut self, writer: ReplicaId, n: u64) -> Self;
}

/// Sample value number `n`: every kind of [`Value`], small and large, nested.
pub fn sample_value(n: u64) -> Value {
    match n % 12 {
        0 => Value::Null,
        1 => Value::Bool(n.is_multiple_of(2)),
        2 => Value::Int(n as i64 - 50),
        3 => Value::Int(i64::MIN + n as i64),
        4 => Value::Float(n as f64 / 3.0),
        5 => Value::Float([f64::NAN, -0.0, f64::INFINITY, 1e300][(n / 12 % 4) as usize]),
        6 => Value::Str(format!("item {n}")),
        7 => Value::Str("ünïcödé ✓ 🙂".repeat(1 + (n / 12 % 3) as usize)),
        8 => Value::Bytes((0..(n % 40) as u8).collect()),
        9 => Value::Array(vec![
            Value::Int(n as i64),
            sample_value(n / 12),
            Value::Null,
        ]),
        10 => {
            let mut object = BTreeMap::new();
            object.insert("id".to_owned(), Value::Int(n as i64));
            object.insert("name".to_owned(), Value::Str(format!("n{n}")));
            object.insert("tags".to_owned(), sample_value(n / 12 + 9));
            Value::Object(object)
        }
        _ => (0..(n % 20)).fold(Value::Str("deep".into()), |v, _| Value::Array(vec![v])),
    }
}

/// Keys the samples write under: few, so writes collide and conflict.
pub const KEYS: [&str; 5] = ["title", "items", "cart", "n", "meta"];

impl Subject for GCounter {
    fn sample_write(&mut self, writer: ReplicaId, n: u64) -> Self {
        let by = if n % 7 == 6 {
            u64::from(u32::MAX) + n
        } else {
            n % 5 + 1
        };
        self.increment(writer, by).unwrap_or_default()
    }
}

impl Subject for PnCounter {
    fn sample_write(&mut self, writer: ReplicaId, n: u64) -> Self {
        let result = if n % 3 == 2 {
            self.decrement(writer, n % 9 + 1)
        } else {
            self.increment(writer, n % 5 + 1)
        };
        result.unwrap_or_default()
    }
}

impl Subject for Set {
    fn sample_write(&mut self, writer: ReplicaId, n: u64) -> Self {
        match n % 6 {
            4 => self.remove(&sample_value(n - 1)),
            5 if n % 30 == 29 => self.clear(),
            _ => self.add(writer, sample_value(n)),
        }
    }
}

impl Subject for Lww {
    fn sample_write(&mut self, writer: ReplicaId, n: u64) -> Self {
        if n % 9 == 8 {
            return self.clear();
        }
        // Clocks that disagree: some writes stamp from a lagging clock.
        let millis = 1_700_000_000_000 + (n % 4) * 1000 - (n % 3) * 1500;
        self.set(
            writer,
            &mut Hlc::new(ManualClock::new(millis)),
            sample_value(n),
        )
    }
}

impl Subject for Mv {
    fn sample_write(&mut self, writer: ReplicaId, n: u64) -> Self {
        if n % 9 == 8 {
            self.clear()
        } else {
            self.write(writer, sample_value(n))
        }
    }
}

impl Subject for TypedMap {
    fn sample_write(&mut self, writer: ReplicaId, n: u64) -> Self {
        let key = KEYS[(n % 5) as usize].to_owned();
        match n % 7 {
            5 => self.remove(&key),
            6 => self.update(&key, |s| s.remove(&format!("e{}", n % 4))),
            _ => self.update(&key, |s| s.add(writer, format!("e{}", n % 4))),
        }
    }
}

impl Subject for Document {
    fn sample_write(&mut self, writer: ReplicaId, n: u64) -> Self {
        let key = KEYS[(n % 5) as usize];
        let inner = KEYS[(n / 5 % 5) as usize];
        let nested = [key, inner];
        let path: &[&str] = if n.is_multiple_of(3) {
            &nested
        } else {
            &nested[..1]
        };
        match n % 10 {
            0 | 1 => self.update_at(path, |c: &mut Counter| c.increment(writer, n % 7 + 1)).unwrap_or_default(),
            2 => self.update_at(path, |c: &mut Counter| c.decrement(writer, 2)).unwrap_or_default(),
            3 => self.update_at(path, |f: &mut Flag| f.enable(writer)).unwrap_or_default(),
            4 => self.update_at(path, |f: &mut Flag| f.disable()).unwrap_or_default(),
            5 => self.update_at(path, |r: &mut Lww| {
                r.set(
                    writer,
                    &mut Hlc::new(ManualClock::new(n * 10)),
                    sample_value(n),
                )
            }).unwrap_or_default(),
            6 => self.update_at(path, |r: &mut Mv| r.write(writer, sample_value(n))).unwrap_or_default(),
            7 => self.update_at(path, |s: &mut Set| s.add(writer, sample_value(n))).unwrap_or_default(),
            8 => self.update_at(path, |s: &mut Set| s.remove(&sample_value(n - 1))).unwrap_or_default(),
            _ => self.remove_at(path).unwrap_or_default(),
        }
    }
}
