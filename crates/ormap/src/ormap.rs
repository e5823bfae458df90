//! `OrMap<K, V>`: an observed-remove map whose values are embedded causal CRDTs,
//! all sharing the map's one causal context.

use std::borrow::Borrow;
use std::convert::Infallible;
use std::fmt::{self, Debug};
use std::hash::Hash;

use converge_core::{
    Causal, CausalContext, Codec, CountConflicts, DotMap, DotStore, Embeddable, Embedded, TypeTag,
    VersionVector,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::scalar_fields;

/// A map delta that changed one key, as that key's part: the value's delta store
/// under the key (empty if the change left nothing there, as a removal does) and the
/// delta's context. A batch of writes keeps each write's delta so, where a map delta
/// would hash the key and allocate its copy once more for each write.
pub(crate) type Entry<V> = Causal<Embedded<V>>;

/// What an [`OrMap`] key must be: ordered (canonical encoding, sorted reads) and
/// hashable (fast lookup).
pub trait Key: Ord + Hash + Clone + Debug {}

impl<T: Ord + Hash + Clone + Debug> Key for T {}

/// An observed-remove map from keys to embedded CRDTs (counters, sets, registers,
/// flags, nested maps: any [`Embeddable`] type). See the [crate docs](crate).
///
/// - A key is present while its value holds a live write.
/// - Removing a key removes the writes observed under it; a write concurrent with the
///   remove survives (update wins).
/// - Keys merge independently, each with its value type's own join.
/// - [`update`](Self::update) runs one of the value's mutators in place and returns the
///   map delta that carries only that change, however deep the value is nested.
pub struct OrMap<K: Key, V: Embeddable> {
    state: Causal<DotMap<K, Embedded<V>>>,
}

impl<K: Key, V: Embeddable> OrMap<K, V> {
    /// The empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `mutate` on the value under `key` (a fresh, empty value if the key is
    /// absent) and returns the map delta of that change. `mutate` must return the
    /// value mutator's delta.
    pub fn update(&mut self, key: &K, mutate: impl FnOnce(&mut V) -> V) -> Self {
        match self.try_update(key, |value| Ok::<V, Infallible>(mutate(value))) {
            Ok(delta) => delta,
            Err(never) => match never {},
        }
    }

    /// [`update`](Self::update) for fallible mutators: an error is returned as is
    /// (the mutator must leave the value unchanged when it fails).
    pub fn try_update<E>(
        &mut self,
        key: &K,
        mutate: impl FnOnce(&mut V) -> Result<V, E>,
    ) -> Result<Self, E> {
        self.try_update_by(key, mutate)
    }

    /// [`try_update`](Self::try_update) with a borrowed form of the key (`&str` for a
    /// `String` key), for document paths.
    pub(crate) fn try_update_by<Q, E>(
        &mut self,
        key: &Q,
        mutate: impl FnOnce(&mut V) -> Result<V, E>,
    ) -> Result<Self, E>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let entry = self.try_update_entry_by(key, mutate)?;
        Ok(OrMap::from_entry(key.to_owned(), entry))
    }

    /// [`try_update_by`](Self::try_update_by)'s delta as its one [`Entry`]: what a
    /// batch of writes keeps per key, with no map made for each write.
    pub(crate) fn try_update_entry_by<Q, E>(
        &mut self,
        key: &Q,
        mutate: impl FnOnce(&mut V) -> Result<V, E>,
    ) -> Result<Entry<V>, E>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        self.try_update_with(key, |value| {
            let delta = mutate(value)?.into_causal();
            Ok(Causal::new(
                Embedded::from_store(delta.store),
                delta.context,
            ))
        })
    }

    /// Runs `mutate` on the value under `key` (with the map's context lent to it) and
    /// returns the delta it made, of whatever store shape, as long as that store holds
    /// exactly the dots written and its context the dots written and replaced (see
    /// [`DotMap::try_update_by`]): a write deep down a path hands back its leaf's delta
    /// through every map on the way, with no map built around it.
    pub(crate) fn try_update_with<Q, E, D: DotStore>(
        &mut self,
        key: &Q,
        mutate: impl FnOnce(&mut V) -> Result<Causal<D>, E>,
    ) -> Result<Causal<D>, E>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let Causal { store, context } = &mut self.state;
        store.try_update_by(key, |value| value.with_context(context, mutate))
    }

    /// The map delta whose entry under `key` is `entry` (and no other).
    pub(crate) fn from_entry(key: K, entry: Entry<V>) -> Self {
        OrMap {
            state: Causal::new(DotMap::with_one(key, entry.store), entry.context),
        }
    }

    /// Removes `key` as observed here; returns the delta. Writes under `key` that this
    /// replica has not seen survive.
    pub fn remove(&mut self, key: &K) -> Self {
        // The entry is empty: the delta holds no key.
        let removed = self.remove_entry(key);
        OrMap {
            state: Causal::new(DotMap::new(), removed.context),
        }
    }

    /// [`remove`](Self::remove)'s delta as its [`Entry`] under `key` (an empty store).
    pub(crate) fn remove_entry(&mut self, key: &K) -> Entry<V> {
        let removed = self.state.store.update(key, DotStore::remove_all);
        Causal::new(Embedded::default(), removed.context)
    }

    /// Removes every key as observed here; returns the delta.
    pub fn clear(&mut self) -> Self {
        OrMap {
            state: self.state.clear(),
        }
    }

    /// The value under `key`.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.state.store.get(key).map(Embedded::get)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &K) -> bool {
        self.state.store.contains_key(key)
    }

    /// Keys and values, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> + '_ {
        self.state.store.iter().map(|(k, v)| (k, v.get()))
    }

    /// Keys and values in key order.
    pub fn iter_sorted(&self) -> impl Iterator<Item = (&K, &V)> + '_ {
        self.state
            .store
            .iter_sorted()
            .into_iter()
            .map(|(k, v)| (k, v.get()))
    }

    /// Number of present keys.
    pub fn len(&self) -> usize {
        self.state.store.len()
    }

    /// Whether no key is present.
    pub fn is_empty(&self) -> bool {
        self.state.store.is_empty()
    }

    /// The version vector of the writes this replica has seen.
    pub fn version(&self) -> &VersionVector {
        self.state.version()
    }
}

impl<K: Key, V: Embeddable> Default for OrMap<K, V> {
    fn default() -> Self {
        OrMap {
            state: Causal::default(),
        }
    }
}

impl<K: Key, V: Embeddable> Clone for OrMap<K, V> {
    fn clone(&self) -> Self {
        OrMap {
            state: self.state.clone(),
        }
    }
}

impl<K: Key, V: Embeddable> PartialEq for OrMap<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.state == other.state
    }
}

impl<K: Key, V: Embeddable> Debug for OrMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OrMap")
            .field("entries", &self.state.store)
            .field("context", &self.state.context)
            .finish()
    }
}

impl<K: Key + Serialize, V: Embeddable> Serialize for OrMap<K, V>
where
    V::Store: Serialize,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.state.serialize(serializer)
    }
}

impl<'de, K: Key + DeserializeOwned, V: Embeddable> Deserialize<'de> for OrMap<K, V>
where
    V::Store: DeserializeOwned,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Causal::deserialize(deserializer).map(|state| OrMap { state })
    }
}

impl<K, V> Codec for OrMap<K, V>
where
    K: Key + Serialize + DeserializeOwned + 'static,
    V: Embeddable + 'static,
    V::Store: Serialize + DeserializeOwned,
{
    const TAG: TypeTag = TypeTag::OrMap;
    /// Version 4: a [`Document`](crate::Document)'s scalar fields (keys holding one
    /// last-writer-wins write of a value other than an array or an object) as plain
    /// records read in a straight line, then version 3's packed body of the rest (see
    /// `scalar_fields.rs`). Any other map writes no records.
    ///
    /// Version 3: the body is *packed* ([`converge_core::encode_packed`]): version
    /// 2's MessagePack body re-coded token by token against the last token at the
    /// same place in the structure (the entries of a large map share their places, so
    /// their timestamps, dots and values take a byte or two each and their keys only
    /// the bytes they do not share with the key before). Unpacking gives back version
    /// 2's body byte for byte.
    ///
    /// Version 2: a [`Counter`](crate::Counter)'s entry holds its replica's running
    /// totals (version 1: one entry per change). The bodies have the same shape, and
    /// a version 1 body decodes as it is: the entries of one replica add up, so an old
    /// state reads the same value, and the replica's next write folds its entries
    /// into one.
    const VERSION: u8 = scalar_fields::VERSION;

    fn encode(&self) -> Result<Vec<u8>, converge_core::EncodeError> {
        scalar_fields::encode(self)
    }

    fn decode_version(version: u8, body: &[u8]) -> Result<Self, converge_core::Error> {
        // Versions 1 and 2 share the body's shape; only what a counter's entries
        // mean changed, and the counter reads both the same way. Version 3 packs
        // version 2's body; version 4 puts scalar fields before it.
        match version {
            1 | 2 => converge_core::decode_body(Self::TAG, body),
            3 => converge_core::decode_packed_body(Self::TAG, body),
            _ => scalar_fields::decode(body),
        }
    }
}

converge_core::causal_type!([K: Key, V: Embeddable] OrMap<K, V>, state: DotMap<K, Embedded<V>>);

/// Concurrent writes met under every key, by the values' own count. A merge is
/// judged on the part of the map it touches ([`DotStore::touched_by`]), so counting a
/// delta's merge costs in proportion to the delta.
impl<K: Key, V: Embeddable + CountConflicts> CountConflicts for OrMap<K, V> {
    const MEETS_CONFLICTS: bool = V::MEETS_CONFLICTS;

    fn conflicts_between(before: &Self, after: &Self) -> u64 {
        let empty = V::default();
        after
            .iter()
            .map(|(k, v)| V::conflicts_between(before.get(k).unwrap_or(&empty), v))
            .sum()
    }

    fn join_counting(&mut self, other: Self) -> u64 {
        let part = |store| OrMap {
            state: Causal::new(store, CausalContext::new()),
        };
        let (before, after) = self.state.touched_part(&other.state);
        let conflicts = Self::conflicts_between(&part(before), &part(after));
        converge_core::Lattice::join(self, other);
        conflicts
    }
}
