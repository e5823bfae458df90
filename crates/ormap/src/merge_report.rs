//! `MergeReport`: what one merge changed and met (paths changed, concurrent writes,
//! the policies' verdicts), judged on the part of the document the merge touches.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::Arc;

use crate::{Document, Kind, Node, Outcome, Policies, Policy, RuleKey};
use converge_core::{
    register_conflicts, stable_order, CausalContext, Dot, DotStore, Embeddable, Embedded,
    JoinObserver,
};

/// What a policy did with the concurrent writes a merge met in one field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The policy settled them (last writer wins with a clear margin, or a resolver).
    Settled,
    /// A person should look (ambiguous, siblings, an unresolved conflict).
    Review,
}

/// Keys from the root to a field. Made once per changed field and shared (not
/// copied) by the report's lists: [`MergeReport::changed`], [`MergeReport::by_path`]
/// and [`FieldOutcome::path`] hold the same path.
pub type FieldPath = Arc<[String]>;

/// One field's policy outcome in a merge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldOutcome {
    /// Keys from the root to the field.
    pub path: FieldPath,
    /// The rule the field falls under.
    pub rule: RuleKey,
    /// How the field reads after the merge.
    pub outcome: Outcome,
    /// What the policy did with concurrent writes the merge met there; `None` if the
    /// merge met none that the policy counts.
    pub verdict: Option<Verdict>,
    /// Writes the merge brought that an authority policy ignores.
    pub ignored: usize,
}

/// What a [`Document::join_reporting`] merge changed and met.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MergeReport {
    /// The paths of the fields (non-map values) whose contents the merge changed: a
    /// value written, superseded or removed, a sibling added, a counter moved. In path
    /// order.
    pub changed: Vec<FieldPath>,
    /// Concurrent writes met, in all: for each register the merge changed that now
    /// holds `n > 1` live writes, `n - 1`.
    pub concurrent_writes: usize,
    /// The same, per register path (each path once, `n - 1` for it). In path order.
    pub by_path: Vec<(FieldPath, usize)>,
    /// Per register field where the merge met concurrent writes or brought ignored
    /// writes: the policy's outcome. In path order.
    pub policies: Vec<FieldOutcome>,
}

impl MergeReport {
    /// Adds `other`'s findings (of a later merge) to this report.
    pub fn absorb(&mut self, other: MergeReport) {
        let unit = |paths: Vec<FieldPath>| paths.into_iter().map(|p| (p, 0)).collect();
        let changed = union_in_order(unit(std::mem::take(&mut self.changed)), unit(other.changed));
        self.changed = changed.into_iter().map(|(p, _)| p).collect();
        self.concurrent_writes += other.concurrent_writes;
        self.by_path = union_in_order(std::mem::take(&mut self.by_path), other.by_path);
        self.policies.extend(other.policies);
    }
}

/// The union of two lists in path order, in path order: a path in both is kept
/// once, with the sum of its counts. (No tree: the lists are in order already.)
fn union_in_order(
    x: Vec<(FieldPath, usize)>,
    y: Vec<(FieldPath, usize)>,
) -> Vec<(FieldPath, usize)> {
    let mut out = Vec::with_capacity(x.len() + y.len());
    let (mut x, mut y) = (x.into_iter().peekable(), y.into_iter().peekable());
    while let (Some(p), Some(q)) = (x.peek(), y.peek()) {
        match p.0.cmp(&q.0) {
            std::cmp::Ordering::Less => out.extend(x.next()),
            std::cmp::Ordering::Greater => out.extend(y.next()),
            std::cmp::Ordering::Equal => {
                if let (Some((path, m)), Some((_, n))) = (x.next(), y.next()) {
                    out.push((path, m + n));
                }
            }
        }
    }
    out.extend(x);
    out.extend(y);
    out
}

/// Whether two nodes hold the same non-map contents ([`Node::same_fields`]; an
/// absent node holds none).
pub(crate) fn same_fields(a: Option<&Node>, b: Option<&Node>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.same_fields(b),
        (Some(n), None) | (None, Some(n)) => !n.holds_field(),
        (None, None) => true,
    }
}

/// A field a merge touches: its path, and its fields ([`Node::fields`]) before the
/// merge (`None` where the key was absent).
type TouchedField = (FieldPath, Option<Node>);

/// Every field under one key that joining `y` into `x` (the key's nodes on each side;
/// the other side has seen `context`) can change, and every field `y` brings, in path
/// order, each once, with `x`'s fields there: the key's own field, then the fields of
/// its nested maps, where `x` or `y` holds something besides a nested map, among the
/// keys `y`'s map carries and the keys of `x`'s map holding a dot `context` names
/// ([`DotMap::keys_seen_by`](converge_core::DotMap::keys_seen_by)), at every depth.
/// This is the touched part ([`DotStore::touched_by`](converge_core::DotStore::touched_by))
/// without its copy: only the touched fields are copied (no keys, no nested maps, no
/// map index), and a path is made only for a field. The two trees are walked side by
/// side, so only the keys of one map level are ever sorted (never whole paths).
fn touched_under<'a>(
    key: &'a String,
    (x, y): (Option<&'a Node>, Option<&'a Node>),
    empty: &'a Document,
    context: &CausalContext,
    path: &mut Vec<&'a String>,
    out: &mut Vec<Option<Touched>>,
) {
    path.push(key);
    if x.is_some_and(Node::holds_field) || y.is_some_and(Node::holds_field) {
        // (One allocation for the path, one per key: the report shares it.)
        let owned: FieldPath = path.iter().map(|k| (*k).clone()).collect();
        out.push(Some(Touched::Later((owned, x.map(Node::fields)))));
    }
    let (cx, cy) = (
        x.and_then(Node::get::<Document>),
        y.and_then(Node::get::<Document>),
    );
    if cx.is_some() || cy.is_some() {
        let (a, b) = (cx.unwrap_or(empty), cy.unwrap_or(empty));
        // `b`'s keys with their nodes (not looked up again), and then the few of `a`'s
        // that `b` lacks, each sorted, merged.
        let mut keys = sort_keys(b.iter().map(|(k, n)| (k, Some(n))).collect());
        let seen = a.as_causal().store.keys_seen_by(context);
        let only_a = seen.into_iter().filter(|k| b.get(k).is_none());
        let only_a = sort_keys(only_a.map(|k| (k, None)).collect());
        if !only_a.is_empty() {
            keys = merge_sorted(keys, only_a);
        }
        out.reserve(keys.len());
        for (key, y) in keys {
            touched_under(key, (a.get(key), y), empty, context, path, out);
        }
    }
    path.pop();
}

/// A key, with its node on one side of a merge if the side holds the key.
type Keyed<'a> = (&'a String, Option<&'a Node>);

/// Keys with their nodes, in key order ([`key_order`]; not generic: one copy for
/// every caller).
fn sort_keys(keys: Vec<Keyed<'_>>) -> Vec<Keyed<'_>> {
    // A delta's one key (or keys in order): nothing to sort, nothing more to allocate.
    if keys.windows(2).all(|pair| pair[0].0 <= pair[1].0) {
        return keys;
    }
    let names: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
    key_order(&names).into_iter().map(|at| keys[at]).collect()
}

/// The positions of `keys` in key order, equal keys in their order. Each key's first
/// eight bytes are read once as a number (big-endian, zero-padded: the same order as
/// the bytes'). Many keys are ordered by those numbers with a radix sort
/// ([`radix_order`]), and then only keys sharing their first eight bytes are
/// compared whole; a few are sorted comparing the numbers, and whole strings only on
/// ties. (Through the shared sort: no sorting code of its own in the wasm.)
fn key_order(keys: &[&str]) -> Vec<usize> {
    fn prefix(key: &str) -> u64 {
        let mut head = [0u8; 8];
        let n = key.len().min(8);
        head[..n].copy_from_slice(&key.as_bytes()[..n]);
        u64::from_be_bytes(head)
    }
    if keys.windows(2).all(|pair| pair[0] <= pair[1]) {
        return (0..keys.len()).collect();
    }
    let prefixes: Vec<u64> = keys.iter().map(|k| prefix(k)).collect();
    if keys.len() <= RADIX_FROM {
        return stable_order(keys.len(), &mut |a, b| {
            prefixes[a]
                .cmp(&prefixes[b])
                .then_with(|| keys[a].cmp(keys[b]))
        });
    }
    let mut order: Vec<usize> = radix_order(&prefixes)
        .into_iter()
        .map(|at| at as usize)
        .collect();
    // Runs of keys with the same first eight bytes, ordered whole (stably).
    let mut start = 0;
    while start < order.len() {
        let head = prefixes[order[start]];
        let run = order[start..]
            .iter()
            .take_while(|at| prefixes[**at] == head)
            .count();
        if run > 1 {
            let run = &mut order[start..start + run];
            let whole = stable_order(run.len(), &mut |a, b| keys[run[a]].cmp(keys[run[b]]));
            let ordered: Vec<usize> = whole.into_iter().map(|at| run[at]).collect();
            run.copy_from_slice(&ordered);
        }
        start += run;
    }
    order
}

/// From how many keys [`key_order`] sorts by radix (below, the 256 counts of each
/// pass would cost more than comparing).
const RADIX_FROM: usize = 256;

/// The positions of `values` in ascending order of the values, equal values in their
/// order: a radix sort, least significant byte first, a counting pass per byte (none
/// where every value has the same byte: keys sharing their first bytes, or shorter
/// than eight bytes).
fn radix_order(values: &[u64]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..values.len() as u32).collect();
    let mut next = vec![0u32; values.len()];
    // The bits in which some value differs from the first: a byte without one takes
    // no pass (found once, not by counting it).
    let first = values.first().copied().unwrap_or(0);
    let differ = values.iter().fold(0, |bits, v| bits | (v ^ first));
    for shift in (0..64).step_by(8) {
        if (differ >> shift) & 0xff == 0 {
            continue;
        }
        let byte = |at: u32| (values[at as usize] >> shift) as usize & 0xff;
        let mut counts = [0usize; 256];
        for &at in &order {
            counts[byte(at)] += 1;
        }
        let mut start = 0;
        for count in counts.iter_mut() {
            (*count, start) = (start, start + *count);
        }
        for &at in &order {
            let slot = &mut counts[byte(at)];
            next[*slot] = at;
            *slot += 1;
        }
        std::mem::swap(&mut order, &mut next);
    }
    order
}

/// The sorted union of two sorted lists without common items.
fn merge_sorted<'a>(x: Vec<Keyed<'a>>, y: Vec<Keyed<'a>>) -> Vec<Keyed<'a>> {
    let mut out = Vec::with_capacity(x.len() + y.len());
    let (mut x, mut y) = (x.into_iter().peekable(), y.into_iter().peekable());
    while let (Some(p), Some(q)) = (x.peek(), y.peek()) {
        let next = if p.0 < q.0 { x.next() } else { y.next() };
        out.extend(next);
    }
    out.extend(x);
    out.extend(y);
    out
}

/// The node at `path` (without making owned keys, as `get_at` does).
fn node_at<'a>(doc: &'a Document, path: &[String]) -> Option<&'a Node> {
    let (last, parents) = path.split_last()?;
    let mut map = doc;
    for key in parents {
        map = map.get(key)?.get::<Document>()?;
    }
    map.get(last)
}

fn ignored_dots(read: Option<&crate::FieldRead>) -> BTreeSet<Dot> {
    read.map(|r| r.ignored.iter().map(|s| s.dot).collect())
        .unwrap_or_default()
}

/// One changed field's findings: its path, the concurrent writes the merge met there,
/// and the policy's outcome where it has one to report.
struct Judged {
    path: FieldPath,
    met: usize,
    outcome: Option<FieldOutcome>,
}

/// A field the join visited, in the order visited (put in path order afterwards).
enum Touched {
    /// A field judged as the join visited its key (a key holding no nested map).
    Judged(Judged),
    /// A field beside or under a nested map, with its fields before the merge:
    /// judged after the join.
    Later(TouchedField),
}

/// A field's rule: its pattern and policy ([`Policies::rule`]).
type Rule<'p> = (&'p [String], &'p Policy);

/// What the [`Reporter`] keeps of a key's node between the two calls of the join.
enum Before<'p> {
    /// Nothing to judge (the key holds no field, or the fields were copied for later).
    Skip,
    /// A key holding no nested map on either side: its dots before the join (all of
    /// them and its register dots, in the [`Reporter`]'s buffers), and a copy of its
    /// fields only where those do not tell what changed (see [`Reporter::before`]).
    Flat {
        copy: Option<Option<Node>>,
        rule: Option<Rule<'p>>,
        /// Whether the node held registers alone (its register dots are its dots).
        registers_only: bool,
    },
}

/// Judges a merge key by key as the join visits each key ([`JoinObserver`]): a key
/// holding no nested map is judged on the spot (no copy of its node, no lookup after
/// the join); a key beside a nested map is walked as [`touched_under`] walks it, and
/// judged after the join.
struct Reporter<'p> {
    policies: &'p Policies,
    touched: Vec<Option<Touched>>,
    before: Before<'p>,
    /// The key's register dots before the join, and after it.
    was_registers: Vec<Dot>,
    now_registers: Vec<Dot>,
    /// All of the key's dots before the join (sorted), and after it.
    was_dots: Vec<Dot>,
    now_dots: Vec<Dot>,
    /// The other side's dots under the key.
    their_dots: Vec<Dot>,
    empty: Document,
}

/// What a node holds, found in one pass over its parts (an absent node holds
/// nothing, and registers alone).
struct Shape {
    /// A nested map.
    map: bool,
    /// A field: a part other than a nested map.
    field: bool,
    /// Registers alone (or nothing).
    registers_only: bool,
}

impl Shape {
    fn of(node: Option<&Node>) -> Shape {
        let mut shape = Shape {
            map: false,
            field: false,
            registers_only: true,
        };
        let Some(node) = node else {
            return shape;
        };
        let mut add = |kind: Kind| {
            shape.map |= kind == Kind::Map;
            shape.field |= kind != Kind::Map;
            shape.registers_only &= matches!(kind, Kind::Lww | Kind::Mv);
        };
        match node.sole_kind() {
            Some(kind) => add(kind),
            None => node.kinds_held().for_each(add),
        }
        shape
    }
}

/// A node's dots, sorted, into `dots` (emptied first).
fn sorted_dots(node: Option<&Embedded<Node>>, dots: &mut Vec<Dot>) {
    dots.clear();
    if let Some(node) = node {
        // A register alone (the usual field): its dots, read in order.
        if !node.get().sole_register_dots(dots) {
            node.collect_dots(dots);
            converge_core::sort_stable_by(dots, Dot::cmp);
        }
    }
}

/// A node's register dots into `dots` (emptied first; none for an absent node).
fn register_dots(node: Option<&Node>, dots: &mut Vec<Dot>) {
    match node {
        Some(n) => n.register_dots_into(dots),
        None => dots.clear(),
    }
}

/// The register dots of a node whose dots, sorted, are `all`: those, where the node
/// holds registers alone (`registers_only`, the usual field), with no second walk or
/// copy; else [`register_dots`] into `buffer`.
fn register_dots_of<'a>(
    node: Option<&Node>,
    registers_only: bool,
    all: &'a [Dot],
    buffer: &'a mut Vec<Dot>,
) -> &'a [Dot] {
    if registers_only {
        all
    } else {
        register_dots(node, buffer);
        buffer
    }
}

impl<'p> JoinObserver<String, Embedded<Node>> for Reporter<'p> {
    /// A key holding no nested map on either side is judged from its dots: unless the
    /// other side holds a dot this side holds too (where a forged state may change
    /// the value under a dot), the join keeps this side's entries as they are and
    /// adds the other side's under new dots, so the fields changed exactly when the
    /// dots did. Only then, or for a field an authority policy reads (its writes
    /// ignored before the merge count), are the fields copied.
    fn before(
        &mut self,
        key: &String,
        ours: Option<&Embedded<Node>>,
        theirs: Option<&Embedded<Node>>,
        other: &CausalContext,
    ) {
        self.before = Before::Skip;
        let (x, y) = (ours.map(Embedded::get), theirs.map(Embedded::get));
        let (sx, sy) = (Shape::of(x), Shape::of(y));
        if sx.map || sy.map {
            let path = &mut Vec::new();
            touched_under(key, (x, y), &self.empty, other, path, &mut self.touched);
            return;
        }
        if !(sx.field || sy.field) {
            return;
        }
        let rule = self.policies.rule(std::slice::from_ref(key));
        sorted_dots(ours, &mut self.was_dots);
        let mut shared = false;
        if let (Some(_), Some(y)) = (ours, theirs) {
            sorted_dots(Some(y), &mut self.their_dots);
            let was = &self.was_dots;
            shared = self.their_dots.iter().any(|d| was.binary_search(d).is_ok());
        }
        let authority = matches!(rule, Some((_, Policy::Authority(_))));
        let copy = (shared || authority).then(|| x.map(Node::fields));
        if !sx.registers_only {
            register_dots(x, &mut self.was_registers);
        }
        self.before = Before::Flat {
            copy,
            rule,
            registers_only: sx.registers_only,
        };
    }

    fn after(&mut self, key: &String, now: &Embedded<Node>) {
        self.judge_flat(Cow::Borrowed(key.as_str()), now);
    }

    /// (The path of a changed field is made of the key handed over, not a copy.)
    fn after_owned(&mut self, key: String, now: &Embedded<Node>) {
        self.judge_flat(Cow::Owned(key), now);
    }
}

impl Reporter<'_> {
    /// Judges a key holding no nested map ([`Before::Flat`]) after its join (its
    /// path made of `key`, copied only if borrowed).
    fn judge_flat(&mut self, key: Cow<'_, str>, now: &Embedded<Node>) {
        let Before::Flat {
            copy,
            rule,
            registers_only,
        } = std::mem::replace(&mut self.before, Before::Skip)
        else {
            return;
        };
        let now = Some(now).filter(|n| !n.is_empty());
        let was = copy.as_ref().and_then(Option::as_ref);
        let node = now.map(Embedded::get);
        sorted_dots(now, &mut self.now_dots);
        let changed = match &copy {
            Some(was) => !same_fields(was.as_ref(), node),
            None => self.now_dots != self.was_dots,
        };
        if !changed {
            return;
        }
        let path: FieldPath = Arc::from([key.into_owned()]);
        let was_registers = if registers_only {
            &self.was_dots
        } else {
            &self.was_registers
        };
        let now_only = Shape::of(node).registers_only;
        let now_registers =
            register_dots_of(node, now_only, &self.now_dots, &mut self.now_registers);
        let met = register_conflicts(was_registers, now_registers) as usize;
        let outcome = judge(&path, was, node, met, rule);
        self.touched
            .push(Some(Touched::Judged(Judged { path, met, outcome })));
    }
}

/// What the field's policy (its `rule`'s, if any) made of a changed field at `path`
/// (its fields `was` before the merge, `now` after) where the merge met `met`
/// concurrent writes: the outcome to report, if there is one.
fn judge(
    path: &FieldPath,
    was: Option<&Node>,
    now: Option<&Node>,
    met: usize,
    rule: Option<Rule<'_>>,
) -> Option<FieldOutcome> {
    let policy = rule.map(|(_, policy)| policy);
    // Only a merge that met concurrent writes has a verdict, and only an authority
    // policy ignores writes: any other field needs no read.
    let reads = met > 0 || matches!(policy, Some(Policy::Authority(_)));
    // A policy that ignores nothing and needs no resolver is judged on the count of
    // live writes alone (`Node::outcome`, equal to `read`'s); any other reads the
    // field. Either gives the outcome, the live writes, and the writes this merge made
    // ignored.
    let (outcome, live, ignored) = now
        .filter(|_| reads)
        .and_then(|n| match n.outcome(policy) {
            Some((outcome, live)) => Some((outcome, live, 0)),
            None => n.read(policy).map(|read| {
                let ignored = if read.ignored.is_empty() {
                    0
                } else {
                    let old = was.and_then(|n| n.read(policy));
                    ignored_dots(Some(&read))
                        .difference(&ignored_dots(old.as_ref()))
                        .count()
                };
                (read.outcome, read.siblings.len(), ignored)
            }),
        })?;
    let verdict = (met > 0 && live > 1).then(|| {
        if outcome.needs_attention() {
            Verdict::Review
        } else {
            Verdict::Settled
        }
    });
    (verdict.is_some() || ignored > 0).then(|| FieldOutcome {
        rule: RuleKey::of_rule(rule, now),
        path: path.clone(),
        outcome,
        verdict,
        ignored,
    })
}

impl Document {
    /// Joins `other` (a delta or a full state) and reports what the merge changed and
    /// met: the fields it changed, the concurrent writes it met per register, and
    /// what `policies` made of them. Only the keys the join visits are examined
    /// ([`DotMap::join_observed`](converge_core::DotMap::join_observed)): those
    /// `other` carries and those holding a dot it has seen, and under them the part of
    /// each nested map the merge touches
    /// ([`DotStore::touched_by`](converge_core::DotStore::touched_by)), so reporting a
    /// delta's merge costs in proportion to the delta.
    pub fn join_reporting(&mut self, other: Document, policies: &Policies) -> MergeReport {
        let mut reporter = Reporter {
            policies,
            // Room for a field under each key `other` carries (a full state's merge
            // touches them all), not grown by doubling.
            touched: Vec::with_capacity(other.len()),
            before: Before::Skip,
            was_registers: Vec::new(),
            now_registers: Vec::new(),
            was_dots: Vec::new(),
            now_dots: Vec::new(),
            their_dots: Vec::new(),
            empty: Document::new(),
        };
        self.as_causal_mut()
            .join_observed(other.into_causal(), &mut reporter);
        let mut touched = reporter.touched;

        // In path order: the keys in order (stably, so the fields under one key stay
        // in the order found, which is path order).
        fn first_key(touched: &Touched) -> &str {
            let path = match touched {
                Touched::Judged(judged) => &judged.path,
                Touched::Later((path, _)) => path,
            };
            path.first().map_or("", String::as_str)
        }
        let mut firsts: Vec<&str> = Vec::with_capacity(touched.len());
        firsts.extend(touched.iter().flatten().map(first_key));
        let order = key_order(&firsts);
        drop(firsts);
        // Room for every path at once (a full state's merge changes most of them),
        // not grown by doubling; what `changed` leaves unused is given back below,
        // and `by_path` and `policies` take their room at their first entry (most
        // merges meet no concurrent write).
        let all = touched.len();
        // (Each taken once, in key order.)
        let touched = order.into_iter().filter_map(|at| touched[at].take());
        let mut report = MergeReport {
            changed: Vec::with_capacity(all),
            ..MergeReport::default()
        };
        let mut by_path = Vec::new();
        let (mut was_dots, mut now_dots) = (Vec::new(), Vec::new());
        for found in touched {
            let judged = match found {
                Touched::Judged(judged) => judged,
                Touched::Later((path, was)) => {
                    // The fields after the join are read from the joined document.
                    let (was, now) = (was.as_ref(), node_at(self, &path));
                    if same_fields(was, now) {
                        continue;
                    }
                    // (Two buffers for every field: no allocation per field.)
                    register_dots(was, &mut was_dots);
                    register_dots(now, &mut now_dots);
                    let met = register_conflicts(&was_dots, &now_dots) as usize;
                    let outcome = judge(&path, was, now, met, policies.rule(&path[..]));
                    Judged { path, met, outcome }
                }
            };
            if judged.met > 0 {
                report.concurrent_writes += judged.met;
                if by_path.is_empty() {
                    by_path.reserve(all);
                }
                by_path.push((judged.path.clone(), judged.met));
            }
            if let Some(outcome) = judged.outcome {
                if report.policies.is_empty() {
                    report.policies.reserve(all);
                }
                report.policies.push(outcome);
            }
            report.changed.push(judged.path);
        }
        if report.changed.capacity() > 2 * report.changed.len() {
            report.changed.shrink_to_fit();
        }
        if report.policies.capacity() > 2 * report.policies.len() {
            report.policies.shrink_to_fit();
        }
        if by_path.capacity() > 2 * by_path.len() {
            by_path.shrink_to_fit();
        }
        // (In path order, as the touched fields are.)
        report.by_path = by_path;
        report
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Keys that share long prefixes, differ past the eighth byte, end in NUL bytes
    /// (which the zero padding of the prefix must not confuse with a shorter key),
    /// or hold multibyte characters.
    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-c\u{0}]{0,10}",
            "k[0-9]{0,12}",
            "[a\u{e9}\u{5b57}\u{1f389}]{0,4}",
            "prefix__[a-b]{0,3}",
        ]
    }

    fn paths() -> impl Strategy<Value = Vec<(Vec<String>, usize)>> {
        proptest::collection::vec(
            (proptest::collection::vec("[ab]{0,2}", 1..3), 1..4usize),
            0..12,
        )
    }

    /// A report of `changed` paths, each met `n` times, in path order (each path once).
    fn report_of(entries: Vec<(Vec<String>, usize)>) -> MergeReport {
        let by_path: std::collections::BTreeMap<Vec<String>, usize> = entries.into_iter().collect();
        let by_path: Vec<(FieldPath, usize)> =
            by_path.into_iter().map(|(p, n)| (p.into(), n)).collect();
        MergeReport {
            changed: by_path.iter().map(|(p, _)| p.clone()).collect(),
            concurrent_writes: by_path.iter().map(|(_, n)| n).sum(),
            by_path,
            policies: Vec::new(),
        }
    }

    proptest! {
        /// Absorbing a report adds up as a map from path to count does: each path
        /// once, in path order, with the sum of its counts.
        #[test]
        fn absorb_adds_up_as_maps_do(x in paths(), y in paths()) {
            let (x, y) = (report_of(x), report_of(y));
            let mut expected: std::collections::BTreeMap<FieldPath, usize> = x.by_path.iter().cloned().collect();
            for (path, n) in &y.by_path {
                *expected.entry(path.clone()).or_default() += n;
            }
            let mut absorbed = x.clone();
            absorbed.absorb(y.clone());
            let expected: Vec<(FieldPath, usize)> = expected.into_iter().collect();
            prop_assert_eq!(&absorbed.by_path, &expected);
            let paths: Vec<FieldPath> = expected.into_iter().map(|(p, _)| p).collect();
            prop_assert_eq!(&absorbed.changed, &paths);
            prop_assert_eq!(absorbed.concurrent_writes, x.concurrent_writes + y.concurrent_writes);
        }

        /// The sort by prefixes (`sort_keys`, `key_order`) orders keys as the standard
        /// sort of strings does.
        #[test]
        fn keys_sort_as_strings_do(
            keys in prop_oneof![
                proptest::collection::vec(key(), 0..60),
                // Past `RADIX_FROM`: the radix sort.
                proptest::collection::vec(key(), RADIX_FROM..RADIX_FROM + 400),
            ],
        ) {
            let ours: Vec<String> = sort_keys(keys.iter().map(|k| (k, None)).collect())
                .into_iter()
                .map(|(k, _)| k.clone())
                .collect();
            let mut theirs = keys;
            theirs.sort();
            prop_assert_eq!(ours, theirs);
        }
    }
}
