//! A merge report as compact JSON text, which the glue (`__convergeLazyReport` in
//! wasm/npm/scripts/entries.mjs) parses and expands into the public shape only when
//! the report is first read:
//!
//! ```text
//! [concurrentWrites, path, changed, writes, outcome, verdict, ignored, ..., outcomes]
//! ```
//!
//! One record of six per field, in the order of the report's lists: `changed` is 1 if
//! the field is in `changed`, `writes` its `byPath` count (0: not listed there),
//! `outcome` 0 if the field is not in `policies`, else 1 + the index in `outcomes` of
//! its `[pattern, policy, outcome]` triple (each distinct one once: a large merge's
//! fields mostly share one or two), `verdict` 0 (`null`), 1 (`'settled'`) or 2
//! (`'review'`). A path is an array of key strings. The outcomes come last, so the
//! text is written in one pass, each record as its field is read.
//!
//! The text is written in the merge's time, read or not. The three lists mostly name
//! the same fields, so each path is mostly written once; the verbose shape (field names,
//! rule strings and the path repeated per list, 150 bytes per conflicting key) took a
//! sixth of a 10,000-key merge to write and decode.

// `push_str(",")`, not `push(',')`: in the size-optimised wasm `push` of a char
// encodes it as UTF-8 in a call of its own, a copy does not.
#![allow(clippy::single_char_add_str)]

use std::sync::Arc;

use converge::{FieldOutcome, FieldPath, MergeReport, Verdict};

/// The compact text of `report` (see the module docs).
pub(crate) fn report_text(report: &MergeReport) -> String {
    let fields = report.changed.len().max(report.policies.len());
    // Room for the usual report (short keys) at once, not grown by doubling.
    let mut text = String::with_capacity(64 + 24 * fields);
    text.push_str("[");
    number_json(&mut text, report.concurrent_writes);
    let mut outcomes: Vec<(&FieldOutcome, &'static str)> = Vec::new();
    let (mut changed, mut by_path, mut policies) = (0, 0, 0);
    loop {
        // The next field: the head of `changed`, else of `byPath`, else of `policies`,
        // with the other lists' heads when they name it. Each list keeps its own
        // order; in path order (as a merge makes them: `byPath` and most of
        // `policies` name changed fields) each field is one record.
        let heads = [
            report.changed.get(changed),
            report.by_path.get(by_path).map(|(p, _)| p),
            report.policies.get(policies).map(|f| &f.path),
        ];
        let Some(path) = heads.into_iter().flatten().next() else {
            break;
        };
        let [in_changed, in_by_path, in_policies] =
            heads.map(|head| head.is_some_and(|h| same_path(h, path)));
        text.push_str(",");
        path_json(&mut text, path);
        let mut tail = Tail::default();
        tail.number(usize::from(in_changed));
        changed += usize::from(in_changed);
        match report.by_path.get(by_path).filter(|_| in_by_path) {
            Some((_, writes)) => {
                tail.number(*writes);
                by_path += 1;
            }
            None => tail.number(0),
        }
        match report.policies.get(policies).filter(|_| in_policies) {
            Some(field) => {
                tail.number(1 + outcome_index(&mut outcomes, field));
                tail.number(match field.verdict {
                    None => 0,
                    Some(Verdict::Settled) => 1,
                    Some(Verdict::Review) => 2,
                });
                tail.number(field.ignored);
                policies += 1;
            }
            None => tail.raw(b",0,0,0"),
        }
        text.push_str(tail.as_str());
    }
    text.push_str(",[");
    for (i, (field, outcome)) in outcomes.iter().enumerate() {
        comma(&mut text, i);
        text.push_str("[");
        string_json(&mut text, &field.rule.pattern);
        text.push_str(",");
        string_json(&mut text, &field.rule.policy);
        // Outcome names are plain words: no escapes.
        text.push_str(",\"");
        text.push_str(outcome);
        text.push_str("\"]");
    }
    text.push_str("]]");
    text
}

/// Whether `a` and `b` are the same path (most often the same shared one).
fn same_path(a: &FieldPath, b: &FieldPath) -> bool {
    Arc::ptr_eq(a, b) || a == b
}

/// The index of `field`'s (pattern, policy, outcome) in `outcomes`, added if new.
/// Fields in path order mostly repeat the last one's, so that one is tried first; a
/// document has few rules.
fn outcome_index<'r>(
    outcomes: &mut Vec<(&'r FieldOutcome, &'static str)>,
    field: &'r FieldOutcome,
) -> usize {
    let name = crate::document::outcome_js(&field.outcome).0;
    let same = |(f, n): &(&FieldOutcome, &str)| *n == name && f.rule == field.rule;
    if let Some(last) = outcomes.last() {
        if same(last) {
            return outcomes.len() - 1;
        }
    }
    match outcomes.iter().position(same) {
        Some(at) => at,
        None => {
            outcomes.push((field, name));
            outcomes.len() - 1
        }
    }
}

/// A record's numbers, written into a small buffer and then added to the text at once
/// (one copy, not one per digit and comma).
struct Tail {
    bytes: [u8; 128],
    len: usize,
}

impl Default for Tail {
    fn default() -> Self {
        Tail {
            bytes: [0; 128],
            len: 0,
        }
    }
}

impl Tail {
    /// `,` and `n` in decimal (at most 21 bytes: five numbers fit).
    fn number(&mut self, mut n: usize) {
        // Most of a record's numbers are one digit: written as two bytes, no copy.
        if let (Ok(digit), Some([comma, d])) =
            (u8::try_from(n), self.bytes.get_mut(self.len..self.len + 2))
        {
            if digit < 10 {
                (*comma, *d) = (b',', b'0' + digit);
                self.len += 2;
                return;
            }
        }
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.raw(b",");
        self.raw(&digits[at..]);
    }

    fn raw(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        if let Some(room) = self.bytes.get_mut(self.len..end) {
            room.copy_from_slice(bytes);
            self.len = end;
        }
    }

    fn as_str(&self) -> &str {
        // ASCII digits and commas only.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

/// `n` in decimal, written in place (no `to_string`: no allocation and no formatting
/// machinery).
fn number_json(text: &mut String, n: usize) {
    let mut tail = Tail::default();
    tail.number(n);
    text.push_str(tail.as_str().get(1..).unwrap_or_default());
}

fn comma(text: &mut String, index: usize) {
    if index > 0 {
        text.push_str(",");
    }
}

fn path_json(text: &mut String, path: &[String]) {
    text.push_str("[");
    for (i, key) in path.iter().enumerate() {
        comma(text, i);
        string_json(text, key);
    }
    text.push_str("]");
}

/// `s` as a JSON string (a Rust string is valid UTF-8, so only quotes, backslashes
/// and control characters need escapes).
fn string_json(text: &mut String, s: &str) {
    text.push_str("\"");
    // Most keys need no escape: copied whole.
    if !s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        text.push_str(s);
        text.push_str("\"");
        return;
    }
    for c in s.chars() {
        match c {
            '"' => text.push_str("\\\""),
            '\\' => text.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                text.push_str("\\u00");
                text.push(char::from(HEX[(c as usize) >> 4]));
                text.push(char::from(HEX[(c as usize) & 15]));
            }
            c => text.push(c),
        }
    }
    text.push_str("\"");
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use converge::{FieldOutcome, FieldPath, MergeReport, Outcome, RuleKey, Verdict};

    use super::{number_json, report_text, string_json};

    fn path(keys: &[&str]) -> FieldPath {
        keys.iter().map(|k| k.to_string()).collect()
    }

    fn outcome(path: &FieldPath, pattern: &'static str, verdict: Option<Verdict>) -> FieldOutcome {
        FieldOutcome {
            path: path.clone(),
            rule: RuleKey {
                pattern: Cow::Borrowed(pattern),
                policy: Cow::Borrowed("lww"),
            },
            outcome: Outcome::LastWriterWins,
            verdict,
            ignored: 0,
        }
    }

    /// One record per field, each list's entries in its own order: fields in several
    /// lists share a record, whether their paths are shared or equal copies; a list
    /// out of path order (as `MergeReport::absorb` leaves `policies`) still reads back
    /// in its order; each (rule, outcome) is listed once.
    #[test]
    fn a_report_is_one_record_per_field_in_list_order() {
        let (a, b, c) = (path(&["a"]), path(&["b", "q\\"]), path(&["c"]));
        let report = MergeReport {
            changed: vec![a.clone(), b.clone()],
            concurrent_writes: 12,
            by_path: vec![(path(&["a"]), 12)],
            policies: vec![
                outcome(&c, "*", Some(Verdict::Review)),
                outcome(&a, "(default)", Some(Verdict::Settled)),
                FieldOutcome {
                    ignored: 3,
                    ..outcome(&b, "*", None)
                },
            ],
        };
        assert_eq!(
            report_text(&report),
            concat!(
                r#"[12"#,
                r#",["a"],1,12,0,0,0"#,
                r#",["b","q\\"],1,0,0,0,0"#,
                r#",["c"],0,0,1,2,0"#,
                r#",["a"],0,0,2,1,0"#,
                r#",["b","q\\"],0,0,1,0,3"#,
                r#",[["*","lww","lastWriterWins"],["(default)","lww","lastWriterWins"]]]"#,
            )
        );
        let empty = MergeReport::default();
        assert_eq!(report_text(&empty), "[0,[]]");
    }

    /// Numbers are written as `to_string` writes them.
    #[test]
    fn numbers_are_written_in_decimal() {
        let mut samples: Vec<usize> = (0..1_100).collect();
        samples.extend([9_999, 10_000, 65_535, 1 << 32, usize::MAX - 1, usize::MAX]);
        let mut power = 1usize;
        while let Some(next) = power.checked_mul(10) {
            samples.extend([power - 1, power, power + 1]);
            power = next;
        }
        for n in samples {
            let mut text = String::from("x");
            number_json(&mut text, n);
            assert_eq!(text, format!("x{n}"));
        }
    }

    /// Strings are escaped as JSON needs: quotes, backslashes and control characters.
    #[test]
    fn strings_are_escaped() {
        for (s, json) in [
            ("plain", "\"plain\""),
            ("a\"b", "\"a\\\"b\""),
            ("a\\b", "\"a\\\\b\""),
            ("tab\there", "\"tab\\u0009here\""),
            ("\u{1f}é✓", "\"\\u001fé✓\""),
        ] {
            let mut text = String::new();
            string_json(&mut text, s);
            assert_eq!(text, json);
        }
    }
}
