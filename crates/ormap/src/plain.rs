//! Reading a document as plain data: one [`Value`] per node, as a UI or `toJSON`
//! shows it, with registers read under their field policies.

use std::collections::BTreeMap;
use std::fmt;

use converge_lwwregister::LwwRegister;
use converge_mvregister::MvRegister;
use converge_orset::OrSet;

use crate::{Counter, Document, Flag, Node, Outcome, Policies, Value};

impl Node {
    /// This node as plain data, reading registers under `policies` (the node's path
    /// is `path`). A nested map becomes an object, a set a sorted array, a register its
    /// policy's value (an array of every sibling for keep-siblings, null while
    /// empty), a counter an integer, a flag a boolean. If replicas wrote several kinds
    /// here, the first of map, set, register, counter, flag is shown.
    pub fn to_value_at(&self, path: &[String], policies: &Policies) -> Value {
        if let Some(map) = self.get::<Document>() {
            return object(map, path, policies);
        }
        if let Some(set) = self.get::<OrSet<Value>>() {
            return Value::Array(set.to_sorted_vec().into_iter().cloned().collect());
        }
        if self.get::<LwwRegister<Value>>().is_some() || self.get::<MvRegister<Value>>().is_some() {
            let Some(read) = self.read(policies.get(path)) else {
                return Value::Null;
            };
            return match read.outcome {
                Outcome::Siblings => {
                    Value::Array(read.siblings.into_iter().map(|s| s.value).collect())
                }
                _ => read.value.unwrap_or(Value::Null),
            };
        }
        if let Some(counter) = self.get::<Counter>() {
            let n = counter.value();
            return i64::try_from(n).map_or(Value::Float(n as f64), Value::Int);
        }
        if let Some(flag) = self.get::<Flag>() {
            return Value::Bool(flag.is_enabled());
        }
        Value::Null
    }
}

fn object(map: &Document, path: &[String], policies: &Policies) -> Value {
    let mut fields = BTreeMap::new();
    let mut child_path = path.to_vec();
    for (key, node) in map.iter_sorted() {
        child_path.push(key.clone());
        fields.insert(key.clone(), node.to_value_at(&child_path, policies));
        child_path.pop();
    }
    Value::Object(fields)
}

impl Document {
    /// The whole document as plain data, registers read last-writer-wins.
    pub fn to_value(&self) -> Value {
        self.to_value_with(&Policies::new())
    }

    /// The whole document as plain data, registers read under `policies`.
    pub fn to_value_with(&self, policies: &Policies) -> Value {
        object(self, &[], policies)
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
