//! `DotMap<K, S>`: a map from keys to dot stores, the store of containers (an
//! OR-Set is `DotMap<E, DotSet>`, an OR-Map is `DotMap<K, value store>`).

use std::borrow::Borrow;
use std::fmt;
use std::hash::Hash;
use std::marker::PhantomData;

use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use std::convert::Infallible;
use std::hash::BuildHasher;

use std::collections::HashSet;

use foldhash::fast::{FixedState, RandomState};
use std::sync::OnceLock;

use crate::dot_index::{distinct, few, seen_in, DotIndex, Table};
use crate::small_map::SmallMap;
use crate::{Causal, CausalContext, Dot, DotSet, DotStore, JoinObserver};

/// Key → nested dot store. A key is present while its store is non-empty; the join
/// merges each key's stores independently under the shared contexts.
///
/// The map also knows where each of its dots lives (an index from dot to key, kept by
/// every mutation and join; a decoded map makes it the first time something asks). A
/// join visits only the keys the other side carries and the keys holding a dot the
/// other side has seen, since no other key can change: so applying a delta costs in
/// proportion to the delta, at every depth of nesting, and a full state in proportion
/// to its size. The result is the join of the paper, which visits every key, on any
/// input.
///
/// Encoded as a map sorted by key, so equal maps encode to equal bytes.
#[derive(Clone)]
pub struct DotMap<K, S> {
    // Invariant: no empty store is kept. One entry (a write's delta) stays inline.
    entries: SmallMap<K, S>,
    // Invariant: the number of dots held under this map, and, once made, exactly
    // those dots, each with its key's hash.
    index: DotIndex,
}

/// The hash of a map key. One hasher for every map, seeded at random once per process:
/// hashes cannot be predicted from outside, and a map carries no hasher of its own
/// (a document holds a map in every node).
fn key_hash<Q: Hash + ?Sized>(key: &Q) -> u64 {
    static HASHER: OnceLock<FixedState> = OnceLock::new();
    HASHER
        .get_or_init(|| FixedState::with_seed(RandomState::default().hash_one(0u64)))
        .hash_one(key)
}

impl<K, S> Default for DotMap<K, S> {
    fn default() -> Self {
        DotMap {
            entries: SmallMap::default(),
            index: DotIndex::default(),
        }
    }
}

impl<K: Eq + Hash, S: PartialEq> PartialEq for DotMap<K, S> {
    fn eq(&self, other: &Self) -> bool {
        self.entries.same_entries(&other.entries, key_hash)
    }
}

impl<K: Eq + Hash, S: Eq> Eq for DotMap<K, S> {}

impl<K: Ord + Hash + Clone + fmt::Debug, S: DotStore> DotMap<K, S> {
    /// The empty map.
    pub fn new() -> Self {
        Self::default()
    }

    fn hash<Q: Hash + ?Sized>(&self, key: &Q) -> u64 {
        key_hash(key)
    }

    /// The store under `key`, if the key is present.
    pub fn get(&self, key: &K) -> Option<&S> {
        match &self.entries {
            // One entry (a node's one part): compared at once, the key not hashed.
            SmallMap::One(_, one, store) => (one == key).then_some(store),
            entries => entries.get(self.hash(key), key),
        }
    }

    /// The key and store of a map held inline as one entry (a node's one part, a
    /// write's delta), found with no walk; `None` for any other map.
    pub fn sole(&self) -> Option<(&K, &S)> {
        match &self.entries {
            SmallMap::One(_, key, store) => Some((key, store)),
            _ => None,
        }
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &K) -> bool {
        self.get(key).is_some()
    }

    /// Runs a mutator of the store under `key` (an empty store if the key is absent),
    /// drops the key if the store ends up empty, and returns the mutator's delta.
    ///
    /// The delta must be the mutator's exact delta (its store holds the dots written,
    /// its context the dots written and replaced), as every mutator of converge
    /// returns: the map learns from it where its dots now live.
    pub fn update(&mut self, key: &K, change: impl FnOnce(&mut S) -> Causal<S>) -> Causal<S> {
        match self.try_update_by(key, |store| Ok::<_, Infallible>(change(store))) {
            Ok(delta) => delta,
            Err(never) => match never {},
        }
    }

    /// [`update`](Self::update) for fallible mutators (which must leave the store
    /// unchanged when they fail), with a borrowed form of the key (`&str` for a
    /// `String` key), made owned only if the key is new here.
    ///
    /// The delta may be of another store type `D` than the map's: the map reads only
    /// its dots (the dots written) and its context (the dots written and replaced), so
    /// a caller that wants no delta of this shape hands back any store holding
    /// exactly the dots written.
    pub fn try_update_by<Q, E, D: DotStore>(
        &mut self,
        key: &Q,
        change: impl FnOnce(&mut S) -> Result<Causal<D>, E>,
    ) -> Result<Causal<D>, E>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let hash = self.hash(key);
        let (delta, before, after) = match self.entries.get_mut(hash, key) {
            Some(store) => {
                let before = store.dot_count();
                let delta = change(store)?;
                let after = store.dot_count();
                if after == 0 {
                    self.entries.remove(hash, key);
                }
                (delta, before, after)
            }
            None => {
                let mut store = S::default();
                let delta = change(&mut store)?;
                let after = store.dot_count();
                if after > 0 {
                    self.entries.insert(hash, key.to_owned(), store);
                }
                (delta, 0, after)
            }
        };
        match &mut self.index {
            DotIndex::Few(n) => {
                *n = *n + after - before;
                self.index_if_many();
            }
            DotIndex::Many(many) => {
                many.count = many.count + after - before;
                if let Some(table) = many.table.get_mut() {
                    // The dots it replaced live here no more; the dots it wrote do.
                    for dot in delta.context.dots() {
                        unindex(table, dot, hash);
                    }
                    delta.store.for_each_dot(&mut |dot| {
                        table.insert(dot, hash);
                    });
                }
            }
        }
        Ok(delta)
    }

    /// The map of `entries`, built at once: each key hashed and placed once, and the
    /// dot index made once at the end (a batch of writes joins its per-key deltas so).
    /// Empty stores are left out; a key given twice keeps its last store. The stores
    /// must share no dot (each dot lives under one key): callers join stores that
    /// can share one instead.
    pub fn from_entries(entries: impl IntoIterator<Item = (K, S)>) -> Self {
        let mut map = DotMap::default();
        for (key, store) in entries {
            if !store.is_empty() {
                map.entries.insert(key_hash(&key), key, store);
            }
        }
        let dots = map.entries.iter().map(|(_, s)| s.dot_count()).sum();
        map.index = DotIndex::Few(dots);
        map.index_if_many();
        map
    }

    /// The map holding `store` under `key` alone (the empty map if `store` is
    /// empty): a write's delta at each level of its path, built with no lookup.
    pub fn with_one(key: K, store: S) -> Self {
        if store.is_empty() {
            return DotMap::default();
        }
        // Under one key every dot is under that key: no index is kept.
        let index = DotIndex::Few(store.dot_count());
        DotMap {
            entries: SmallMap::One(key_hash(&key), key, store),
            index,
        }
    }

    /// The entries, moved out, in no particular order.
    pub fn into_entries(self) -> impl Iterator<Item = (K, S)> {
        self.entries.into_iter().map(|(_, key, store)| (key, store))
    }

    /// Puts `store` under `key` (removing the key if `store` is empty).
    pub fn insert(&mut self, key: K, store: S) {
        let hash = self.hash(&key);
        let old = self.entries.get(hash, &key);
        self.index
            .recount(self.index.len() + store.dot_count() - old.map_or(0, S::dot_count));
        if let Some(table) = self.index.made_mut() {
            if let Some(old) = old {
                old.for_each_dot(&mut |dot| unindex(table, dot, hash));
            }
            store.for_each_dot(&mut |dot| {
                table.insert(dot, hash);
            });
        }
        if store.is_empty() {
            self.entries.remove(hash, &key);
        } else {
            self.entries.insert(hash, key, store);
        }
        self.index_if_many();
    }

    /// The map of decoded `entries` (in any order), built with its index at once; an
    /// error when a key or a dot appears twice. `known` holds the dots of the first
    /// entries, one each, when the decoder knows them: those entries are not walked
    /// (each is checked to hold just that dot; an error otherwise).
    pub fn from_decoded(entries: Vec<(K, S)>, known: &[Dot]) -> Result<Self, String> {
        DotMap::build(entries, known).map_err(|repeated| match repeated {
            Some(position) => format!("the key of entry {position} appears twice"),
            None => "the same dot appears under two keys (one write cannot live in two places)"
                .to_owned(),
        })
    }

    /// The map of `entries` built at once, its index made once at the end (a decoder's
    /// or a touched part's many keys, without an index update per key). Empty stores
    /// are left out. Fails with the position (from 0) of the entry whose key repeats
    /// an earlier one, or `None` when the same dot appears under two keys. (The
    /// position, not the key: printing keys would link `Debug` for every key type,
    /// float formatting included, into the wasm build, about 11 KB gzip.)
    ///
    /// `known` holds the dots of the first entries, one each, when the caller knows
    /// them (a decoder that read each write apart): those entries are not walked.
    fn build(
        entries: impl IntoIterator<Item = (K, S)>,
        known: &[Dot],
    ) -> Result<Self, Option<usize>> {
        let entries = entries.into_iter();
        let mut map = DotMap {
            entries: SmallMap::with_capacity(entries.size_hint().0),
            index: DotIndex::default(),
        };
        // Every dot with its key's hash, gathered in the one walk of each entry.
        let mut dots: Vec<(Dot, u64)> = Vec::with_capacity(entries.size_hint().0);
        for (position, (key, store)) in entries.enumerate() {
            let hash = key_hash(&key);
            match known.get(position) {
                // (Checked, not trusted: a wrong dot would break the index.)
                Some(dot) if store.contains_dot(*dot) && store.dot_count() == 1 => {
                    dots.push((*dot, hash));
                }
                Some(_) => return Err(None),
                None if store.is_empty() => continue,
                None => store.for_each_dot(&mut |dot| dots.push((dot, hash))),
            }
            if map.entries.get(hash, &key).is_some() {
                return Err(Some(position));
            }
            map.entries.insert_new(hash, key, store);
        }
        let count = dots.len();
        if count > few() && map.entries.len() > 1 {
            // Dots told distinct with bitmaps, their table made when first asked for;
            // or, too sparse for bitmaps, told distinct by making the table.
            map.index = match distinct(&dots) {
                Some(true) => DotIndex::unmade(count),
                Some(false) => return Err(None),
                None => DotIndex::table(dots.into_iter()),
            };
            if map.index.len() != count {
                return Err(None);
            }
        } else {
            let mut all: Vec<Dot> = dots.into_iter().map(|(dot, _)| dot).collect();
            all.sort_unstable();
            if all.windows(2).any(|w| w[0] == w[1]) {
                return Err(None);
            }
            map.index = DotIndex::Few(count);
        }
        Ok(map)
    }

    /// Starts indexing the dots once there are more than a few under more than one key
    /// (under one key, every dot is under that key: no index needed). Made at once: a
    /// map that grows write by write pays for its index a write at a time, not all at
    /// the first join that asks (only a decoded map leaves it to be made when asked).
    fn index_if_many(&mut self) {
        if let DotIndex::Few(n) = self.index {
            if n > few() && self.entries.len() > 1 {
                self.index = DotIndex::table(self.dots_by_key().into_iter());
            }
        }
    }

    /// Where each dot lives, the table made now if not made yet; `None` for a map of
    /// few dots.
    fn table(&self) -> Option<&Table> {
        self.index.get_or_make(&|| self.dots_by_key())
    }

    /// Every dot held here with the hash of its key, by walking the entries.
    fn dots_by_key(&self) -> Vec<(Dot, u64)> {
        let mut dots = Vec::with_capacity(self.index.len());
        for (hash, _, store) in self.entries.iter_hashed() {
            store.for_each_dot(&mut |dot| dots.push((dot, hash)));
        }
        dots
    }

    /// Present keys and their stores, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &S)> + '_ {
        self.entries.iter()
    }

    /// Present keys and their stores, sorted by key.
    pub fn iter_sorted(&self) -> Vec<(&K, &S)> {
        let mut all: Vec<(&K, &S)> = self.entries.iter().collect();
        // The shared sort: one copy of the sorting code in the wasm build, not one
        // per key and store type (keys are distinct, so stable or not is alike).
        crate::sort_order::sort_stable_by(&mut all, |a, b| a.0.cmp(b.0));
        all
    }

    #[allow(clippy::len_without_is_empty)] // `is_empty` is `DotStore::is_empty`
    /// Number of present keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The dots held here that `context` names (of those `known` lets through: a dot
    /// this replica has not seen cannot be held here), each with the hash of its key:
    /// the only dots a join with a side that has seen `context` can remove. Visits the
    /// smaller of the two: the context's dots, or the indexed dots.
    fn seen_by(&self, context: &CausalContext, known: impl Fn(Dot) -> bool) -> Vec<(Dot, u64)> {
        match self.table() {
            Some(table) => seen_in(table, context, &known),
            // Maps of few dots or one key join and cut every key instead.
            None => Vec::new(),
        }
    }

    /// Whether the store under the key with hash `hash` holds `dot`.
    fn holds(&self, hash: u64, dot: Dot) -> bool {
        self.entries
            .find(hash, |_, store| store.contains_dot(dot))
            .is_some()
    }

    /// Testing only (feature `testing`): whether the dot index says exactly where
    /// every dot of this map level lives (or, for a map of few dots, counts them).
    #[cfg(feature = "testing")]
    #[doc(hidden)]
    pub fn index_is_exact(&self) -> bool {
        let mut expected = self.dots_by_key();
        expected.sort_unstable();
        let distinct = expected.windows(2).all(|w| w[0].0 != w[1].0);
        match (&self.index, self.index.made()) {
            (DotIndex::Few(n), _) => {
                *n == expected.len() && (*n <= few() || self.entries.len() <= 1)
            }
            (DotIndex::Many(_), None) => self.index.len() == expected.len() && distinct,
            (DotIndex::Many(_), Some(table)) => {
                let mut actual: Vec<(Dot, u64)> = table.iter().map(|(d, h)| (*d, *h)).collect();
                actual.sort_unstable();
                self.index.len() == expected.len() && expected == actual
            }
        }
    }

    /// The join of the paper, visiting every key of both sides: the join of a map of
    /// few dots or one key (where that costs no more than finding the touched keys),
    /// and, under `converge_core::testing::with_textbook_joins`, of every map, for the
    /// property tests to hold the indexed join to.
    fn join_every_key(
        &mut self,
        context: &CausalContext,
        other: Self,
        other_context: &CausalContext,
        observer: &mut dyn JoinObserver<K, S>,
    ) {
        let mut theirs = other.entries;
        let (mut gained, mut lost) = (0, 0);
        self.entries.retain(|key, store| {
            let their_store = theirs.remove(key_hash(key), key);
            observer.before(key, Some(store), their_store.as_ref(), other_context);
            let before = store.dot_count();
            store.join(context, their_store.unwrap_or_default(), other_context);
            (gained, lost) = (gained + store.dot_count(), lost + before);
            observer.after(key, store);
            !store.is_empty()
        });
        for (hash, key, their_store) in theirs {
            observer.before(&key, None, Some(&their_store), other_context);
            let mut store = S::default();
            store.join(context, their_store, other_context);
            gained += store.dot_count();
            observer.after(&key, &store);
            if !store.is_empty() {
                self.entries.insert(hash, key, store);
            }
        }
        self.index = match &self.index {
            DotIndex::Few(n) => DotIndex::Few(*n + gained - lost),
            DotIndex::Many(_) => DotIndex::table(self.dots_by_key().into_iter()),
        };
        self.index_if_many();
    }

    /// [`join_every_key`](Self::join_every_key) where both maps hold one entry, under
    /// the same key (a node's one part on each side, the usual case): that key's
    /// stores join, with no lookup or rebuild. Hands `other` back for any other pair.
    fn join_same_one_key(
        &mut self,
        context: &CausalContext,
        other: Self,
        other_context: &CausalContext,
        observer: &mut dyn JoinObserver<K, S>,
    ) -> Option<Self> {
        let SmallMap::One(hash, key, store) = &mut self.entries else {
            return Some(other);
        };
        let DotMap { entries, index } = other;
        let their_store = match entries {
            SmallMap::One(their_hash, their_key, their_store)
                if their_hash == *hash && their_key == *key =>
            {
                their_store
            }
            entries => return Some(DotMap { entries, index }),
        };
        observer.before(key, Some(store), Some(&their_store), other_context);
        store.join(context, their_store, other_context);
        observer.after(key, store);
        // One key: its dots are counted, not indexed.
        self.index = DotIndex::Few(store.dot_count());
        if store.is_empty() {
            self.entries = SmallMap::Empty;
        }
        None
    }

    /// The causal join ([`DotStore::join`]), telling `observer` about every key it
    /// visits, before and after that key's store joins
    /// ([`JoinObserver`]): the keys the other side carries and the keys holding a dot
    /// it has seen (every key, for a map of few dots), so every key whose store the
    /// join changes. The join is the same with or without an observer.
    pub fn join_observed(
        &mut self,
        context: &CausalContext,
        other: Self,
        other_context: &CausalContext,
        observer: &mut dyn JoinObserver<K, S>,
    ) {
        #[cfg(feature = "testing")]
        let textbook = crate::testing::textbook_joins();
        #[cfg(not(feature = "testing"))]
        let textbook = false;
        if textbook || matches!(self.index, DotIndex::Few(_)) {
            // (Under textbook joins the one-key shortcut is off, so the property
            // tests compare it with the general walk.)
            let rest = if textbook {
                Some(other)
            } else {
                self.join_same_one_key(context, other, other_context, observer)
            };
            if let Some(other) = rest {
                self.join_every_key(context, other, other_context, observer);
            }
            return;
        }
        // Only our dots the other side has seen can go, and only keys holding one of
        // them or carried by the other side can change: every other key would join
        // an empty store whose context names none of its dots. (A decoded map whose
        // table is not made yet makes it only if the contexts have a replica in
        // common: else they have seen none of each other's dots.)
        let seen = if self.index.made().is_some() || context.may_share_dots(other_context) {
            self.seen_by(other_context, |d| context.contains(d))
        } else {
            Vec::new()
        };
        // Their dots we have not seen: held here after the join, under their keys.
        let mut added = 0;
        let theirs = other.entries;
        for (dot, hash) in &seen {
            let Some((key, store)) = self.entries.find_mut(*hash, |_, s| s.contains_dot(*dot))
            else {
                continue; // gone with an earlier dot of the same key
            };
            if theirs.get(key_hash(key), key).is_some() {
                continue; // joined with their store below
            }
            observer.before(key, Some(store), None, other_context);
            store.join(context, S::default(), other_context);
            observer.after(key, store);
            if store.is_empty() {
                self.entries.remove_where(*hash, |_, s| s.is_empty());
            }
        }
        for (hash, key, their_store) in theirs {
            let mut table = self.index.made_mut();
            match self.entries.get_mut(hash, &key) {
                Some(store) => {
                    their_store.for_each_dot(&mut |dot| {
                        if !context.contains(dot) {
                            added += 1;
                            if let Some(table) = table.as_deref_mut() {
                                table.insert(dot, hash);
                            }
                        }
                    });
                    observer.before(&key, Some(store), Some(&their_store), other_context);
                    store.join(context, their_store, other_context);
                    if store.is_empty() {
                        observer.after(&key, store);
                        self.entries.remove(hash, &key);
                    } else {
                        // (Their copy of the key, no longer needed, for the observer.)
                        observer.after_owned(key, store);
                    }
                }
                None => {
                    observer.before(&key, None, Some(&their_store), other_context);
                    let mut any_seen = false;
                    their_store.for_each_dot(&mut |dot| {
                        if context.contains(dot) {
                            any_seen = true;
                        } else {
                            added += 1;
                            if let Some(table) = table.as_deref_mut() {
                                table.insert(dot, hash);
                            }
                        }
                    });
                    if !any_seen {
                        // A key new here holding no dot we have seen: the join keeps
                        // all of it, so it is moved in as it is, not rebuilt.
                        observer.after(&key, &their_store);
                        if !their_store.is_empty() {
                            self.entries.insert(hash, key, their_store);
                        }
                        continue;
                    }
                    let mut store = S::default();
                    store.join(context, their_store, other_context);
                    observer.after(&key, &store);
                    if !store.is_empty() {
                        self.entries.insert(hash, key, store);
                    }
                }
            }
        }
        // The seen dots that are gone.
        let gone: Vec<Dot> = seen
            .into_iter()
            .filter(|(dot, hash)| !self.holds(*hash, *dot))
            .map(|(dot, _)| dot)
            .collect();
        self.index.recount(self.index.len() + added - gone.len());
        if let Some(table) = self.index.made_mut() {
            for dot in gone {
                table.remove(&dot);
            }
        }
    }

    /// The keys holding a dot `context` names, each once, in no particular order:
    /// with the keys another map carries, the keys whose stores joining that map
    /// (whose replica has seen `context`) can change ([`DotStore::touched_by`]). A
    /// map of few dots keeps no index and gives every key (a superset, at the cost of
    /// those few keys). Visits the smaller of the context's dots and this map's.
    pub fn keys_seen_by(&self, context: &CausalContext) -> Vec<&K> {
        if let DotIndex::Few(_) = self.index {
            return self.entries.iter().map(|(key, _)| key).collect();
        }
        // Each key once by its address in this map (a key holds many dots).
        let mut seen_keys: HashSet<usize, RandomState> = HashSet::default();
        let mut keys = Vec::new();
        for (dot, hash) in self.seen_by(context, |_| true) {
            if let Some((key, _)) = self.entries.find(hash, |_, s| s.contains_dot(dot)) {
                if seen_keys.insert(std::ptr::from_ref(key) as usize) {
                    keys.push(key);
                }
            }
        }
        keys
    }
}

/// Forgets that the key with hash `hash` holds `dot` (if the index says it does).
fn unindex(table: &mut std::collections::HashMap<Dot, u64, RandomState>, dot: Dot, hash: u64) {
    if table.get(&dot) == Some(&hash) {
        table.remove(&dot);
    }
}

impl<K: Ord + Hash + Clone + fmt::Debug> DotMap<K, DotSet> {
    /// Adds `dot` to the dot set under `key`, creating the key if needed. For decoders
    /// that rebuild a map from a dot-ordered listing.
    pub fn insert_dot(&mut self, key: K, dot: Dot) {
        let hash = self.hash(&key);
        let set = self.entries.get_or_insert_default(hash, key);
        let before = set.len();
        set.insert(dot);
        let added = set.len() - before;
        self.index.recount(self.index.len() + added);
        if let Some(table) = self.index.made_mut() {
            table.insert(dot, hash);
        }
        self.index_if_many();
    }
}

impl<K: Ord + Hash + Clone + fmt::Debug, S: DotStore> DotStore for DotMap<K, S> {
    fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn dot_count(&self) -> usize {
        self.index.len()
    }

    fn for_each_dot(&self, f: &mut dyn FnMut(Dot)) {
        match self.index.made() {
            Some(table) => table.keys().for_each(|d| f(*d)),
            None => self.entries.iter().for_each(|(_, s)| s.for_each_dot(f)),
        }
    }

    /// (Every way a map is built keeps its index exact, one key per dot: a decoded
    /// map's build refuses a dot held twice, at any depth.)
    fn dots_held_once(&self) -> bool {
        true
    }

    fn contains_dot(&self, dot: Dot) -> bool {
        match self.table() {
            Some(table) => table.contains_key(&dot),
            None => self.entries.iter().any(|(_, s)| s.contains_dot(dot)),
        }
    }

    fn join(&mut self, context: &CausalContext, other: Self, other_context: &CausalContext) {
        self.join_observed(context, other, other_context, &mut ());
    }

    fn touched_by(&self, other: &Self, other_context: &CausalContext) -> Self {
        let mut part = DotMap::new();
        let empty = S::default();
        if let DotIndex::Few(_) = self.index {
            // Few dots or one key: every key, cut down.
            for (key, ours) in self.entries.iter() {
                let theirs = other.get(key).unwrap_or(&empty);
                part.insert(key.clone(), ours.touched_by(theirs, other_context));
            }
            return part;
        }
        // The keys touched, each once: those holding a dot the other side has seen,
        // and those the other side carries too. (Each key once by its address in
        // this map: one set type for every map type, and no sort.)
        // Sized for the keys both sides carry (at most the other side's count).
        let both = other.entries.len().min(self.entries.len());
        let mut seen_keys: HashSet<usize, RandomState> =
            HashSet::with_capacity_and_hasher(both, RandomState::default());
        let mut touched: Vec<(&K, &S, Option<&S>)> = Vec::with_capacity(both);
        for (hash, key, theirs) in other.entries.iter_hashed() {
            if let Some((key, ours)) = self.entries.find(hash, |k, _| k == key) {
                if seen_keys.insert(std::ptr::from_ref(key) as usize) {
                    touched.push((key, ours, Some(theirs)));
                }
            }
        }
        // (A key the other side carries is in already, with its store.)
        for (dot, hash) in self.seen_by(other_context, |_| true) {
            if let Some((key, ours)) = self.entries.find(hash, |_, s| s.contains_dot(dot)) {
                if seen_keys.insert(std::ptr::from_ref(key) as usize) {
                    touched.push((key, ours, None));
                }
            }
        }
        let cut = touched.into_iter().map(|(key, ours, theirs)| {
            let theirs = theirs.unwrap_or(&empty);
            (key.clone(), ours.touched_by(theirs, other_context))
        });
        // Distinct keys holding distinct dots (parts of this map's): never an error.
        Self::build(cut, &[]).unwrap_or_default()
    }
}

impl<K: Ord + fmt::Debug, S: fmt::Debug> fmt::Debug for DotMap<K, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut all: Vec<(&K, &S)> = self.entries.iter().collect();
        all.sort_unstable_by(|a, b| a.0.cmp(b.0));
        f.debug_map().entries(all).finish()
    }
}

impl<K: Ord + Serialize, S: Serialize> Serialize for DotMap<K, S> {
    fn serialize<Ser: Serializer>(&self, serializer: Ser) -> Result<Ser::Ok, Ser::Error> {
        let mut all: Vec<(&K, &S)> = self.entries.iter().collect();
        crate::sort_stable_by(&mut all, |a, b| a.0.cmp(b.0));
        SortedEntries(all).serialize(serializer)
    }
}

/// Some entries of a [`DotMap`], in key order, encoded as the map of just those
/// entries is (a format that writes part of a map another way encodes the rest so).
#[derive(Debug)]
pub struct SortedEntries<'a, K, S>(pub Vec<(&'a K, &'a S)>);

impl<K: Serialize, S: Serialize> Serialize for SortedEntries<'_, K, S> {
    fn serialize<Ser: Serializer>(&self, serializer: Ser) -> Result<Ser::Ok, Ser::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, store) in &self.0 {
            map.serialize_entry(key, store)?;
        }
        map.end()
    }
}

impl<'de, K, S> Deserialize<'de> for DotMap<K, S>
where
    K: Ord + Hash + Clone + fmt::Debug + DeserializeOwned,
    S: DotStore + DeserializeOwned,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Read every entry, then build the map and its index at once.
        let entries = deserializer.deserialize_map(Entries(PhantomData))?;
        DotMap::from_decoded(entries, &[]).map_err(serde::de::Error::custom)
    }
}

struct Entries<K, S>(PhantomData<(K, S)>);

impl<'de, K: DeserializeOwned, S: DeserializeOwned> Visitor<'de> for Entries<K, S> {
    type Value = Vec<(K, S)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map from keys to dot stores")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        // Room for the entries the input can hold, capped: a lying length reserves little.
        let mut entries = Vec::with_capacity(access.size_hint().unwrap_or(0).min(1 << 14));
        while let Some(entry) = access.next_entry::<K, S>()? {
            entries.push(entry);
        }
        Ok(entries)
    }
}
