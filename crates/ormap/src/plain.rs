//! Reading a document as plain data: one [`Value`] per node, as a UI or `toJSON`
//! shows it, with registers read under their field policies.

use std::fmt;

use converge_lwwregister::LwwRegister;
use converge_mvregister::MvRegister;
use converge_orset::OrSet;

use crate::{Counter, Document, Flag, Node, Outcome, Policies, Value};

/// What a document read as plain data is built into: a [`Value`] (what
/// [`Document::to_value`] builds) or a caller's own form (the JavaScript layer builds
/// its values directly, and reads counters outside `i64` exactly). The walk, and which
/// kind of a node is shown, are [`Node::to_plain_at`]'s; a builder only says how each
/// piece looks.
pub trait PlainBuilder {
    /// What is built.
    type Output;
    /// A plain value: a register's value, a set's element, a flag's boolean, or null.
    fn value(&mut self, value: &Value) -> Self::Output;
    /// A counter's value, exactly (it may lie outside `i64`).
    fn count(&mut self, count: i128) -> Self::Output;
    /// An array: a set's elements in order, or a register's siblings.
    fn array(&mut self, items: Vec<Self::Output>) -> Self::Output;
    /// An object: a nested map, its fields in key order.
    fn object(&mut self, fields: Vec<(&str, Self::Output)>) -> Self::Output;
}

/// Builds [`Value`]s. A counter outside `i64` becomes the nearest float (read
/// [`Counter::value`] for the exact count).
#[derive(Debug)]
struct ValueBuilder;

impl PlainBuilder for ValueBuilder {
    type Output = Value;

    fn value(&mut self, value: &Value) -> Value {
        value.clone()
    }

    fn count(&mut self, count: i128) -> Value {
        i64::try_from(count).map_or(Value::Float(count as f64), Value::Int)
    }

    fn array(&mut self, items: Vec<Value>) -> Value {
        Value::Array(items)
    }

    fn object(&mut self, fields: Vec<(&str, Value)>) -> Value {
        Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }
}

impl Node {
    /// This node as plain data, reading registers under `policies` (the node's path
    /// is `path`). A nested map becomes an object, a set a sorted array, a register its
    /// policy's value (an array of every sibling for keep-siblings, null while
    /// empty), a counter an integer (the nearest float outside `i64`), a flag a
    /// boolean. If replicas wrote several kinds here, the first of map, set, register,
    /// counter, flag is shown.
    pub fn to_value_at(&self, path: &[String], policies: &Policies) -> Value {
        self.to_plain_at(path, policies, &mut ValueBuilder)
    }

    /// [`to_value_at`](Self::to_value_at), built by `builder` (counters exact).
    pub fn to_plain_at<B: PlainBuilder>(
        &self,
        path: &[String],
        policies: &Policies,
        builder: &mut B,
    ) -> B::Output {
        if let Some(map) = self.get::<Document>() {
            return object(map, path, policies, builder);
        }
        if let Some(set) = self.get::<OrSet<Value>>() {
            let items = set
                .to_sorted_vec()
                .into_iter()
                .map(|v| builder.value(v))
                .collect();
            return builder.array(items);
        }
        if self.get::<LwwRegister<Value>>().is_some() || self.get::<MvRegister<Value>>().is_some() {
            let Some(read) = self.read(policies.get(path)) else {
                return builder.value(&Value::Null);
            };
            return match read.outcome {
                Outcome::Siblings => {
                    let items = read
                        .siblings
                        .iter()
                        .map(|s| builder.value(&s.value))
                        .collect();
                    builder.array(items)
                }
                _ => builder.value(read.value.as_ref().unwrap_or(&Value::Null)),
            };
        }
        if let Some(counter) = self.get::<Counter>() {
            return builder.count(counter.value());
        }
        if let Some(flag) = self.get::<Flag>() {
            return builder.value(&Value::Bool(flag.is_enabled()));
        }
        builder.value(&Value::Null)
    }
}

fn object<B: PlainBuilder>(
    map: &Document,
    path: &[String],
    policies: &Policies,
    builder: &mut B,
) -> B::Output {
    let mut fields = Vec::with_capacity(map.len());
    let mut child_path = path.to_vec();
    for (key, node) in map.iter_sorted() {
        child_path.push(key.clone());
        fields.push((
            key.as_str(),
            node.to_plain_at(&child_path, policies, builder),
        ));
        child_path.pop();
    }
    builder.object(fields)
}

impl Document {
    /// The whole document as plain data, registers read last-writer-wins.
    pub fn to_value(&self) -> Value {
        self.to_value_with(&Policies::new())
    }

    /// The whole document as plain data, registers read under `policies`.
    pub fn to_value_with(&self, policies: &Policies) -> Value {
        self.to_plain_with(policies, &mut ValueBuilder)
    }

    /// [`to_value_with`](Self::to_value_with), built by `builder` (counters exact).
    pub fn to_plain_with<B: PlainBuilder>(
        &self,
        policies: &Policies,
        builder: &mut B,
    ) -> B::Output {
        object(self, &[], policies, builder)
    }
}

/// JSON text. Bytes are written as an array of numbers, and non-finite floats as
/// `null`, since JSON has no form for them.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) if x.is_finite() => write!(f, "{x}"),
            Value::Float(_) => f.write_str("null"),
            Value::Str(s) => write_json_string(f, s),
            Value::Bytes(b) => {
                f.write_str("[")?;
                for (i, byte) in b.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{byte}")?;
                }
                f.write_str("]")
            }
            Value::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Object(fields) => {
                f.write_str("{")?;
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write_json_string(f, k)?;
                    write!(f, ":{v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

fn write_json_string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if u32::from(c) < 0x20 => write!(f, "\\u{:04x}", u32::from(c))?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use converge_core::{Hlc, ManualClock, ReplicaId};

    /// Builds JSON text with counts written exactly.
    struct Exact;

    impl PlainBuilder for Exact {
        type Output = String;
        fn value(&mut self, value: &Value) -> String {
            value.to_string()
        }
        fn count(&mut self, count: i128) -> String {
            count.to_string()
        }
        fn array(&mut self, items: Vec<String>) -> String {
            format!("[{}]", items.join(","))
        }
        fn object(&mut self, fields: Vec<(&str, String)>) -> String {
            let fields: Vec<String> = fields.iter().map(|(k, v)| format!("{k:?}:{v}")).collect();
            format!("{{{}}}", fields.join(","))
        }
    }

    /// Regression (issue 14, item 8): a counter past `i64` read as plain data was only
    /// ever a float; a builder now gets the exact count.
    #[test]
    fn a_builder_reads_a_counter_past_i64_exactly() {
        let r = ReplicaId::new(1);
        let mut doc = Document::new();
        for _ in 0..2_100 {
            doc.update_at(&["n"], |c: &mut Counter| c.increment(r, (1 << 53) - 1))
                .unwrap();
        }
        let exact = 2_100 * ((1_i128 << 53) - 1);
        assert_eq!(
            doc.to_plain_with(&Policies::new(), &mut Exact),
            format!(r#"{{"n":{exact}}}"#)
        );
        assert_eq!(
            doc.to_value(),
            Value::Object([("n".to_owned(), Value::Float(exact as f64))].into())
        );
    }

    #[test]
    fn renders_a_document_as_json() {
        let r = ReplicaId::new(1);
        let mut clock = Hlc::new(ManualClock::new(5));
        let mut doc = Document::new();
        doc.update_at(&["a", "name"], |x: &mut LwwRegister<Value>| {
            x.set(r, &mut clock, "quote\"d".into())
        })
        .unwrap();
        doc.update_at(&["a", "tags"], |s: &mut OrSet<Value>| {
            s.add(r, Value::Int(2))
        })
        .unwrap();
        doc.update_at(&["on"], |f: &mut Flag| f.enable(r)).unwrap();
        doc.update_at(&["n"], |c: &mut Counter| c.decrement(r, 3))
            .unwrap();
        assert_eq!(
            doc.to_value().to_string(),
            r#"{"a":{"name":"quote\"d","tags":[2]},"n":-3,"on":true}"#
        );
    }
}
