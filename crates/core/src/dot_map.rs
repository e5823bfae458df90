//! `DotMap<K, S>`: a map from keys to dot stores, the store of containers (an
//! OR-Set is `DotMap<E, DotSet>`, an OR-Map is `DotMap<K, value store>`).

use std::borrow::Borrow;
use std::fmt;
use std::hash::Hash;
use std::marker::PhantomData;

use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::small_map::SmallMap;
use crate::{CausalContext, Dot, DotSet, DotStore};

/// Key → nested dot store. A key is present while its store is non-empty; the join
/// merges each key's stores independently under the shared contexts.
///
/// Encoded as a map sorted by key, so equal maps encode to equal bytes.
#[derive(Clone)]
pub struct DotMap<K, S> {
    // Invariant: no empty store is kept. One entry (a write's delta) stays inline.
    entries: SmallMap<K, S>,
}

impl<K, S> Default for DotMap<K, S> {
    fn default() -> Self {
        DotMap {
            entries: SmallMap::default(),
        }
    }
}

impl<K: Eq + Hash, S: PartialEq> PartialEq for DotMap<K, S> {
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries
    }
}

impl<K: Eq + Hash, S: Eq> Eq for DotMap<K, S> {}

impl<K: Ord + Hash + Clone + fmt::Debug, S: DotStore> DotMap<K, S> {
    /// The empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// The store under `key`, if the key is present.
    pub fn get(&self, key: &K) -> Option<&S> {
        self.entries.get(key)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &K) -> bool {
        self.entries.contains_key(key)
    }

    /// Applies `change` to the store under `key` (starting from an empty store) and
    /// drops the key if the store ends up empty. Returns what `change` returned.
    pub fn update<R>(&mut self, key: &K, change: impl FnOnce(&mut S) -> R) -> R {
        self.update_by(key, change)
    }

    /// [`update`](Self::update) with a borrowed form of the key (`&str` for a
    /// `String` key), made owned only if the key is new here.
    pub fn update_by<Q, R>(&mut self, key: &Q, change: impl FnOnce(&mut S) -> R) -> R
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        match self.entries.get_mut(key) {
            Some(store) => {
                let result = change(store);
                if store.is_empty() {
                    self.entries.remove(key);
                }
                result
            }
            None => {
                let mut store = S::default();
                let result = change(&mut store);
                if !store.is_empty() {
                    self.entries.insert(key.to_owned(), store);
                }
                result
            }
        }
    }

    /// Puts `store` under `key` (removing the key if `store` is empty).
    pub fn insert(&mut self, key: K, store: S) {
        if store.is_empty() {
            self.entries.remove(&key);
        } else {
            self.entries.insert(key, store);
        }
    }

    /// Present keys and their stores, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &S)> + '_ {
        self.entries.iter()
    }

    /// Present keys and their stores, sorted by key.
    pub fn iter_sorted(&self) -> Vec<(&K, &S)> {
        let mut all: Vec<(&K, &S)> = self.entries.iter().collect();
        all.sort_unstable_by(|a, b| a.0.cmp(b.0));
        all
    }

    #[allow(clippy::len_without_is_empty)] // `is_empty` is `DotStore::is_empty`
    /// Number of present keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

impl<K: Ord + Hash + Clone + fmt::Debug> DotMap<K, DotSet> {
    /// Adds `dot` to the dot set under `key`, creating the key if needed. For decoders
    /// that rebuild a map from a dot-ordered listing.
    pub fn insert_dot(&mut self, key: K, dot: Dot) {
        self.entries.get_or_insert_default(key).insert(dot);
    }
}

impl<K: Ord + Hash + Clone + fmt::Debug, S: DotStore> DotStore for DotMap<K, S> {
    fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn dot_count(&self) -> usize {
        self.entries.values().map(DotStore::dot_count).sum()
    }

    fn collect_dots(&self, out: &mut Vec<Dot>) {
        for store in self.entries.values() {
            store.collect_dots(out);
        }
    }

    fn join(&mut self, context: &CausalContext, mut other: Self, other_context: &CausalContext) {
        if self.only_touched_keys_change(context, &other, other_context) {
            // Every write the other side removed lives under one of the keys it
            // carries (or nowhere here), so no other key of ours can lose a dot: visit
            // its keys only. This keeps applying a small delta (a write, an overwrite)
            // to a large map proportional to the delta. Dots are unique to one key, so
            // this equals the full join below.
            for (key, theirs) in other.entries {
                self.update(&key, |store| store.join(context, theirs, other_context));
            }
            return;
        }
        // Keys we hold: join with the other side's store (empty if it lacks the key,
        // which drops exactly the dots it has seen).
        self.entries.retain(|key, store| {
            let theirs = other.entries.remove(key).unwrap_or_default();
            store.join(context, theirs, other_context);
            !store.is_empty()
        });
        // Keys only the other side holds.
        for (key, theirs) in other.entries {
            let mut store = S::default();
            store.join(context, theirs, other_context);
            if !store.is_empty() {
                self.entries.insert(key, store);
            }
        }
    }
}

/// The most dots a delta-sized context may hold for [`DotMap::join`] to look for its
/// removed dots key by key instead of visiting every key.
const SMALL_CONTEXT: u128 = 4096;

impl<K: Ord + Hash + Clone + fmt::Debug, S: DotStore> DotMap<K, S> {
    /// Whether joining `other` can change only the keys `other` carries: true when
    /// every dot `other` has seen but does not hold (its removals), and that we hold,
    /// is held under one of `other`'s keys. Cheap for deltas (a small context); a full
    /// state answers no at once.
    fn only_touched_keys_change(
        &self,
        context: &CausalContext,
        other: &Self,
        other_context: &CausalContext,
    ) -> bool {
        if other_context.dot_count() > SMALL_CONTEXT {
            return false;
        }
        let mut carried = Vec::new();
        other.collect_dots(&mut carried);
        carried.sort_unstable();
        // Removed by the other side, and seen here (only those can be live here).
        let mut removed: Vec<Dot> = other_context
            .dots()
            .filter(|d| carried.binary_search(d).is_err() && context.contains(*d))
            .collect();
        if removed.is_empty() {
            return true;
        }
        removed.sort_unstable();
        let mut ours = Vec::new();
        for key in other.entries.keys() {
            if let Some(store) = self.entries.get(key) {
                store.collect_dots(&mut ours);
            }
        }
        ours.sort_unstable();
        // Every removed dot must be under a touched key here; one that is not may be
        // live under another key (or already gone), and only the full join can tell.
        removed.iter().all(|d| ours.binary_search(d).is_ok())
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
        all.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut map = serializer.serialize_map(Some(all.len()))?;
        for (key, store) in all {
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
        deserializer.deserialize_map(Entries(PhantomData))
    }
}

struct Entries<K, S>(PhantomData<(K, S)>);

impl<'de, K, S> Visitor<'de> for Entries<K, S>
where
    K: Ord + Hash + Clone + fmt::Debug + DeserializeOwned,
    S: DotStore + DeserializeOwned,
{
    type Value = DotMap<K, S>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map from keys to dot stores")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<DotMap<K, S>, A::Error> {
        let mut map = DotMap::default();
        while let Some((key, store)) = access.next_entry::<K, S>()? {
            if map.entries.contains_key(&key) {
                return Err(serde::de::Error::custom(format!(
                    "key {key:?} appears twice"
                )));
            }
            map.insert(key, store);
        }
        Ok(map)
    }
}
