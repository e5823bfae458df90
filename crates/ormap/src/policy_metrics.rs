//! Policy metrics: per policy and path pattern, how many fields merges settled
//! automatically, sent to review, how many writes authority policies ignored, and
//! how many local writes were refused.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use converge_lwwregister::LwwRegister;
use converge_mvregister::MvRegister;

use crate::{Document, Error, MergeReport, Node, Policies, Policy, Value, Verdict};

/// The pattern shown for fields no rule matches.
pub const DEFAULT_PATTERN: &str = "(default)";

/// Which rule a field falls under: the rule's pattern (keys joined by `/`, or
/// [`DEFAULT_PATTERN`] for fields no rule matches) and its policy's
/// [label](crate::Policy::label) (for the default: the register's own, `lww` or
/// `siblings`; `none` for a field that holds no register).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RuleKey {
    /// The rule's pattern, e.g. `holds/*/status`, or `(default)` (borrowed: the
    /// default rule's key, in every report of a merge under no rule, allocates nothing).
    pub pattern: Cow<'static, str>,
    /// The policy's label, e.g. `lww` or `resolver:status`.
    pub policy: Cow<'static, str>,
}

impl RuleKey {
    /// The rule the field at `path` (holding `node`, if any) falls under.
    pub fn of<S: AsRef<str>>(path: &[S], node: Option<&Node>, policies: &Policies) -> Self {
        Self::of_rule(policies.rule(path), node)
    }

    /// The key of `rule` (the field's rule, found already), or of the default rule
    /// for a field holding `node` where it has none.
    pub(crate) fn of_rule(rule: Option<(&[String], &Policy)>, node: Option<&Node>) -> Self {
        match rule {
            Some((pattern, policy)) => RuleKey {
                pattern: pattern.join("/").into(),
                policy: policy.label().into(),
            },
            None => {
                let policy = match node {
                    Some(n) if n.get::<LwwRegister<Value>>().is_some() => "lww",
                    Some(n) if n.get::<MvRegister<Value>>().is_some() => "siblings",
                    _ => "none",
                };
                RuleKey {
                    pattern: DEFAULT_PATTERN.into(),
                    policy: policy.into(),
                }
            }
        }
    }
}

impl fmt::Display for RuleKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.pattern, self.policy)
    }
}

/// The counts of one rule. All monotonic.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PolicyCounts {
    /// Merges that met concurrent writes the policy settled on its own.
    pub settled: u64,
    /// Merges that met concurrent writes the policy sent to a person (ambiguous,
    /// siblings, unresolved).
    pub review: u64,
    /// Writes an authority policy ignored (counted once, by the merge that brought
    /// them).
    pub ignored: u64,
    /// Local writes refused: by an authority policy, or as a stale precondition.
    pub refused: u64,
}

/// [`PolicyCounts`] per [`RuleKey`], fed by [`MergeReport`]s and refused writes.
///
/// ```
/// use converge_ormap::{PolicyMetrics, MergeReport};
/// let mut metrics = PolicyMetrics::new();
/// metrics.record_merge(&MergeReport::default());
/// assert_eq!(metrics.iter().count(), 0);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyMetrics {
    by_rule: BTreeMap<RuleKey, PolicyCounts>,
}

impl PolicyMetrics {
    /// No counts yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts the policy outcomes of one merge.
    pub fn record_merge(&mut self, report: &MergeReport) {
        // Fields under one rule follow each other (under no rule, every field of a
        // merge): each run of one rule is counted under it with one lookup.
        let mut rest = &report.policies[..];
        while let Some(first) = rest.first() {
            let run = rest.iter().take_while(|f| f.rule == first.rule).count();
            // The rule is copied only the first time it is counted.
            let counts = match self.by_rule.get_mut(&first.rule) {
                Some(counts) => counts,
                None => self.by_rule.entry(first.rule.clone()).or_default(),
            };
            for field in &rest[..run] {
                match field.verdict {
                    Some(Verdict::Settled) => counts.settled += 1,
                    Some(Verdict::Review) => counts.review += 1,
                    None => {}
                }
                counts.ignored += field.ignored as u64;
            }
            rest = &rest[run..];
        }
    }

    /// Counts a refused local write to `doc` (the document it was refused on).
    pub fn record_refusal(&mut self, doc: &Document, policies: &Policies, error: &Error) {
        let path = match error {
            Error::NotAuthority { path, .. } | Error::Stale { path, .. } => path,
            _ => return,
        };
        let keys: Vec<&str> = path.iter().map(String::as_str).collect();
        let key = RuleKey::of(path, doc.get_at(&keys), policies);
        self.by_rule.entry(key).or_default().refused += 1;
    }

    /// The counts of `rule`, if anything was counted for it.
    pub fn get(&self, rule: &RuleKey) -> Option<&PolicyCounts> {
        self.by_rule.get(rule)
    }

    /// Every rule counted for, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&RuleKey, &PolicyCounts)> + '_ {
        self.by_rule.iter()
    }
}
