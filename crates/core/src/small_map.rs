//! `SmallMap`: the hash table under a [`DotMap`](crate::DotMap), addressed by hashes
//! the map computes once. It keeps a single entry inline: a write's delta carries one
//! key at each level of nesting, so the delta of an OR-Set add or a document write
//! then needs no table (no table allocation, no table to free).
//!
//! A few entries (up to [`FEW`]) sit in a vector of exactly their number, searched
//! by hash: a hash table keeps at least four slots and control bytes, which is most
//! of a small document's memory (a record of three fields in a table of four slots).
//!
//! Entries carry their key's hash, so the map's dot index can name an entry by hash
//! alone (eight bytes per dot instead of a copy of the key).

use std::borrow::Borrow;

use hashbrown::hash_table::{self, HashTable};

/// `(hash of the key, key, value)`.
type Entry<K, V> = (u64, K, V);

/// The most entries kept in a vector; one more moves them to a hash table.
const FEW: usize = 8;

/// A map that is empty, holds one entry inline, a few in a vector, or holds a hash
/// table (a vector or table may later shrink to any size: the variant says nothing
/// about the entry count beyond `Empty` and `One`). Every method takes the key's hash, computed by the caller with
/// one hasher for the map's whole life. Equality compares contents.
#[derive(Clone, Debug, Default)]
pub(crate) enum SmallMap<K, V> {
    #[default]
    Empty,
    One(u64, K, V),
    Few(Vec<Entry<K, V>>),
    Many(HashTable<Entry<K, V>>),
}

fn hash_of<K, V>(entry: &Entry<K, V>) -> u64 {
    entry.0
}

/// The entries of a [`SmallMap`], by reference, in no particular order.
pub(crate) enum Iter<'a, K, V> {
    One(Option<(&'a K, &'a V)>),
    Few(std::slice::Iter<'a, Entry<K, V>>),
    Many(hash_table::Iter<'a, Entry<K, V>>),
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<(&'a K, &'a V)> {
        match self {
            Iter::One(entry) => entry.take(),
            Iter::Few(it) => it.next().map(|(_, k, v)| (k, v)),
            Iter::Many(it) => it.next().map(|(_, k, v)| (k, v)),
        }
    }
}

/// The entries of a [`SmallMap`], by value, with their hashes, in no particular order.
pub(crate) enum IntoIter<K, V> {
    One(Option<Entry<K, V>>),
    Few(std::vec::IntoIter<Entry<K, V>>),
    Many(hash_table::IntoIter<Entry<K, V>>),
}

impl<K, V> Iterator for IntoIter<K, V> {
    type Item = Entry<K, V>;

    fn next(&mut self) -> Option<Entry<K, V>> {
        match self {
            IntoIter::One(entry) => entry.take(),
            IntoIter::Few(it) => it.next(),
            IntoIter::Many(it) => it.next(),
        }
    }
}

impl<K, V> IntoIterator for SmallMap<K, V> {
    type Item = Entry<K, V>;
    type IntoIter = IntoIter<K, V>;

    fn into_iter(self) -> IntoIter<K, V> {
        match self {
            SmallMap::Empty => IntoIter::One(None),
            SmallMap::One(h, k, v) => IntoIter::One(Some((h, k, v))),
            SmallMap::Few(entries) => IntoIter::Few(entries.into_iter()),
            SmallMap::Many(table) => IntoIter::Many(table.into_iter()),
        }
    }
}

impl<K, V> SmallMap<K, V> {
    pub(crate) fn len(&self) -> usize {
        match self {
            SmallMap::Empty => 0,
            SmallMap::One(..) => 1,
            SmallMap::Few(entries) => entries.len(),
            SmallMap::Many(table) => table.len(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn iter(&self) -> Iter<'_, K, V> {
        match self {
            SmallMap::Empty => Iter::One(None),
            SmallMap::One(_, k, v) => Iter::One(Some((k, v))),
            SmallMap::Few(entries) => Iter::Few(entries.iter()),
            SmallMap::Many(table) => Iter::Many(table.iter()),
        }
    }

    /// The entries with their hashes, in no particular order.
    pub(crate) fn iter_hashed(&self) -> impl Iterator<Item = (u64, &K, &V)> + '_ {
        let (one, few, table) = match self {
            SmallMap::Empty => (None, None, None),
            SmallMap::One(h, k, v) => (Some((*h, k, v)), None, None),
            SmallMap::Few(entries) => (None, Some(entries), None),
            SmallMap::Many(table) => (None, None, Some(table)),
        };
        one.into_iter()
            .chain(
                few.into_iter()
                    .flat_map(|e| e.iter().map(|(h, k, v)| (*h, k, v))),
            )
            .chain(
                table
                    .into_iter()
                    .flat_map(|t| t.iter().map(|(h, k, v)| (*h, k, v))),
            )
    }

    /// The entry with hash `hash` for which `select` holds.
    pub(crate) fn find(
        &self,
        hash: u64,
        mut select: impl FnMut(&K, &V) -> bool,
    ) -> Option<(&K, &V)> {
        match self {
            SmallMap::One(h, k, v) if *h == hash && select(k, v) => Some((k, v)),
            SmallMap::Few(entries) => entries
                .iter()
                .find(|(h, k, v)| *h == hash && select(k, v))
                .map(|(_, k, v)| (k, v)),
            SmallMap::Many(table) => table
                .find(hash, |(_, k, v)| select(k, v))
                .map(|(_, k, v)| (k, v)),
            _ => None,
        }
    }

    /// The entry with hash `hash` for which `select` holds, mutably.
    pub(crate) fn find_mut(
        &mut self,
        hash: u64,
        mut select: impl FnMut(&K, &V) -> bool,
    ) -> Option<(&K, &mut V)> {
        match self {
            SmallMap::One(h, k, v) if *h == hash && select(k, v) => Some((k, v)),
            SmallMap::Few(entries) => entries
                .iter_mut()
                .find(|(h, k, v)| *h == hash && select(k, v))
                .map(|(_, k, v)| (&*k, v)),
            SmallMap::Many(table) => table
                .find_mut(hash, |(_, k, v)| select(k, v))
                .map(|(_, k, v)| (&*k, v)),
            _ => None,
        }
    }

    /// Removes the entry with hash `hash` for which `select` holds.
    pub(crate) fn remove_where(
        &mut self,
        hash: u64,
        mut select: impl FnMut(&K, &V) -> bool,
    ) -> Option<(K, V)> {
        match self {
            SmallMap::One(h, k, v) if *h == hash && select(k, v) => match std::mem::take(self) {
                SmallMap::One(_, k, v) => Some((k, v)),
                _ => None,
            },
            SmallMap::Few(entries) => {
                let at = entries
                    .iter()
                    .position(|(h, k, v)| *h == hash && select(k, v))?;
                let (_, k, v) = entries.swap_remove(at);
                Some((k, v))
            }
            SmallMap::Many(table) => {
                table
                    .find_entry(hash, |(_, k, v)| select(k, v))
                    .ok()
                    .map(|entry| {
                        let ((_, k, v), _) = entry.remove();
                        (k, v)
                    })
            }
            _ => None,
        }
    }

    /// Keeps the entries for which `keep` returns true (it may change their values).
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        match self {
            SmallMap::Empty => {}
            SmallMap::One(_, k, v) => {
                if !keep(k, v) {
                    *self = SmallMap::Empty;
                }
            }
            SmallMap::Few(entries) => entries.retain_mut(|(_, k, v)| keep(k, v)),
            SmallMap::Many(table) => table.retain(|(_, k, v)| keep(k, v)),
        }
    }

    /// An empty map with room for `n` entries: a table at once when `n` is more than
    /// a vector holds (a decoder's or a touched part's many keys, inserted without
    /// the table growing and rehashing on the way).
    pub(crate) fn with_capacity(n: usize) -> Self {
        if n > FEW {
            SmallMap::Many(HashTable::with_capacity(n))
        } else {
            SmallMap::Empty
        }
    }

    /// Inserts an entry whose key is absent; returns its value.
    pub(crate) fn insert_new(&mut self, hash: u64, key: K, value: V) -> &mut V {
        let table = match std::mem::take(self) {
            SmallMap::Empty => {
                *self = SmallMap::One(hash, key, value);
                match self {
                    SmallMap::One(_, _, v) => return v,
                    _ => unreachable!("the entry was put in just above"),
                }
            }
            SmallMap::One(h, k, v) => {
                let mut entries = Vec::with_capacity(2);
                entries.extend([(h, k, v), (hash, key, value)]);
                *self = SmallMap::Few(entries);
                return self.last_pushed();
            }
            SmallMap::Few(mut entries) if entries.len() < FEW => {
                // Exactly as many slots as entries: few maps are many maps.
                entries.reserve_exact(1);
                entries.push((hash, key, value));
                *self = SmallMap::Few(entries);
                return self.last_pushed();
            }
            SmallMap::Few(entries) => {
                let mut table = HashTable::with_capacity(entries.len() + 1);
                for (h, k, v) in entries {
                    table.insert_unique(h, (h, k, v), hash_of);
                }
                table
            }
            SmallMap::Many(table) => table,
        };
        *self = SmallMap::Many(table);
        match self {
            SmallMap::Many(table) => {
                &mut table
                    .insert_unique(hash, (hash, key, value), hash_of)
                    .into_mut()
                    .2
            }
            _ => unreachable!("the table was put in just above"),
        }
    }

    /// The value of the entry just pushed on a `Few` map.
    fn last_pushed(&mut self) -> &mut V {
        match self {
            SmallMap::Few(entries) => match entries.last_mut() {
                Some((_, _, v)) => v,
                None => unreachable!("an entry was pushed just before"),
            },
            _ => unreachable!("the vector was put in just before"),
        }
    }
}

impl<K: Eq, V> SmallMap<K, V> {
    pub(crate) fn get<Q: Eq + ?Sized>(&self, hash: u64, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.find(hash, |k, _| k.borrow() == key).map(|(_, v)| v)
    }

    pub(crate) fn get_mut<Q: Eq + ?Sized>(&mut self, hash: u64, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.find_mut(hash, |k, _| k.borrow() == key)
            .map(|(_, v)| v)
    }

    /// Puts `value` under `key`, returning the value it replaces.
    pub(crate) fn insert(&mut self, hash: u64, key: K, value: V) -> Option<V> {
        match self.get_mut(hash, &key) {
            Some(slot) => Some(std::mem::replace(slot, value)),
            None => {
                self.insert_new(hash, key, value);
                None
            }
        }
    }

    /// Removes the entry under `key`, returning its value.
    pub(crate) fn remove<Q: Eq + ?Sized>(&mut self, hash: u64, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.remove_where(hash, |k, _| k.borrow() == key)
            .map(|(_, v)| v)
    }

    /// The value under `key`, inserting the default first if there is none.
    pub(crate) fn get_or_insert_default(&mut self, hash: u64, key: K) -> &mut V
    where
        V: Default,
    {
        if self.get(hash, &key).is_none() {
            return self.insert_new(hash, key, V::default());
        }
        match self.get_mut(hash, &key) {
            Some(v) => v,
            None => unreachable!("the key is present"),
        }
    }
}

impl<K: Eq, V: PartialEq> SmallMap<K, V> {
    /// Whether both maps hold the same entries. `hash` must be the hasher `other`
    /// addresses its entries with.
    pub(crate) fn same_entries(&self, other: &Self, hash: impl Fn(&K) -> u64) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(hash(k), k) == Some(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deliberately weak hash, so that the table meets collisions.
    fn h(key: &str) -> u64 {
        key.len() as u64
    }

    #[test]
    fn grows_from_inline_to_a_table_and_compares_by_content() {
        let mut map = SmallMap::default();
        map.insert(h("a"), "a", 1);
        assert!(matches!(map, SmallMap::One(..)));
        assert_eq!(map.insert(h("a"), "a", 2), Some(1));
        assert_eq!(map.get(h("a"), &"a"), Some(&2));
        map.insert(h("b"), "b", 3);
        assert!(matches!(map, SmallMap::Few(..)));
        *map.get_or_insert_default(h("cc"), "cc") += 4;
        assert_eq!(map.len(), 3);
        assert_eq!(map.remove(h("b"), &"b"), Some(3));
        assert_eq!(map.remove(h("cc"), &"cc"), Some(4));
        let mut inline = SmallMap::default();
        *inline.get_or_insert_default(h("a"), "a") += 2;
        assert!(map.same_entries(&inline, |k| h(k)));
        assert_eq!(inline.remove(h("a"), &"a"), Some(2));
        assert!(inline.is_empty() && inline.remove(h("a"), &"a").is_none());
        let mut entries: Vec<_> = map.into_iter().map(|(_, k, v)| (k, v)).collect();
        entries.sort();
        assert_eq!(entries, vec![("a", 2)]);
    }

    #[test]
    fn entries_of_one_hash_are_told_apart_by_the_selector() {
        let mut map = SmallMap::default();
        for (k, v) in [("a", 1), ("b", 2), ("c", 3)] {
            map.insert(h(k), k, v);
        }
        assert_eq!(map.find_mut(1, |_, v| *v == 2).map(|(k, _)| *k), Some("b"));
        assert_eq!(map.remove_where(1, |_, v| *v == 3), Some(("c", 3)));
        assert!(map.find_mut(1, |_, v| *v == 3).is_none());
        assert_eq!(map.len(), 2);
    }

    proptest::proptest! {
        /// Inline, few and table maps all behave as a `HashMap` does, through every
        /// change of form (weak hashes, so entries of one hash meet in each form),
        /// whatever room they were made with.
        #[test]
        fn behaves_as_a_hash_map(
            ops in proptest::collection::vec((0u8..4, 0u8..24, 0u32..100), 0..80),
            capacity in 0usize..20,
        ) {
            // From empty, or from a table made with room (`with_capacity`).
            let mut map: SmallMap<String, u32> = SmallMap::with_capacity(capacity);
            let mut model = std::collections::HashMap::new();
            for (op, key, value) in ops {
                let key = "k".repeat(usize::from(key % 12)) + &key.to_string();
                let hash = h(&key) % 5;
                match op {
                    0 | 1 => proptest::prop_assert_eq!(
                        map.insert(hash, key.clone(), value),
                        model.insert(key, value)
                    ),
                    2 => proptest::prop_assert_eq!(map.remove(hash, &key), model.remove(&key)),
                    _ => {
                        *map.get_or_insert_default(hash, key.clone()) += value;
                        *model.entry(key).or_default() += value;
                    }
                }
                proptest::prop_assert_eq!(map.len(), model.len());
                for (k, v) in &model {
                    proptest::prop_assert_eq!(map.get(h(k) % 5, k), Some(v));
                }
                proptest::prop_assert_eq!(map.iter().count(), model.len());
                proptest::prop_assert_eq!(map.iter_hashed().count(), model.len());
            }
            let mut kept = model.clone();
            kept.retain(|_, v| *v % 2 == 0);
            map.retain(|_, v| *v % 2 == 0);
            let mut entries: Vec<(String, u32)> = map.into_iter().map(|(_, k, v)| (k, v)).collect();
            entries.sort();
            let mut expected: Vec<(String, u32)> = kept.into_iter().collect();
            expected.sort();
            proptest::prop_assert_eq!(entries, expected);
        }
    }
}
