//! `SmallMap`: the hash map under a [`DotMap`](crate::DotMap), which keeps a single
//! entry inline. A write's delta carries one key at each level of nesting, so the
//! delta of an OR-Set add or a document write then needs no hash table (no hashing,
//! no table allocation, no table to free).

use std::borrow::Borrow;
use std::collections::{hash_map, HashMap};
use std::hash::Hash;

use foldhash::fast::RandomState;

/// A map that is empty, holds one entry inline, or holds a hash table (which may
/// later shrink to any size: the variant says nothing about the entry count beyond
/// `Empty` and `One`). Equality compares contents.
#[derive(Clone, Debug, Default)]
pub(crate) enum SmallMap<K, V> {
    #[default]
    Empty,
    One(K, V),
    Many(HashMap<K, V, RandomState>),
}

/// The entries of a [`SmallMap`], by reference, in no particular order.
pub(crate) enum Iter<'a, K, V> {
    One(Option<(&'a K, &'a V)>),
    Many(hash_map::Iter<'a, K, V>),
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<(&'a K, &'a V)> {
        match self {
            Iter::One(entry) => entry.take(),
            Iter::Many(it) => it.next(),
        }
    }
}

/// The entries of a [`SmallMap`], by value, in no particular order.
pub(crate) enum IntoIter<K, V> {
    One(Option<(K, V)>),
    Many(hash_map::IntoIter<K, V>),
}

impl<K, V> Iterator for IntoIter<K, V> {
    type Item = (K, V);

    fn next(&mut self) -> Option<(K, V)> {
        match self {
            IntoIter::One(entry) => entry.take(),
            IntoIter::Many(it) => it.next(),
        }
    }
}

impl<K, V> IntoIterator for SmallMap<K, V> {
    type Item = (K, V);
    type IntoIter = IntoIter<K, V>;

    fn into_iter(self) -> IntoIter<K, V> {
        match self {
            SmallMap::Empty => IntoIter::One(None),
            SmallMap::One(k, v) => IntoIter::One(Some((k, v))),
            SmallMap::Many(map) => IntoIter::Many(map.into_iter()),
        }
    }
}

impl<K, V> SmallMap<K, V> {
    pub(crate) fn len(&self) -> usize {
        match self {
            SmallMap::Empty => 0,
            SmallMap::One(..) => 1,
            SmallMap::Many(map) => map.len(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn iter(&self) -> Iter<'_, K, V> {
        match self {
            SmallMap::Empty => Iter::One(None),
            SmallMap::One(k, v) => Iter::One(Some((k, v))),
            SmallMap::Many(map) => Iter::Many(map.iter()),
        }
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &K> + '_ {
        self.iter().map(|(k, _)| k)
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &V> + '_ {
        self.iter().map(|(_, v)| v)
    }
}

impl<K: Eq + Hash, V> SmallMap<K, V> {
    pub(crate) fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        match self {
            SmallMap::One(k, v) if k.borrow() == key => Some(v),
            SmallMap::Many(map) => map.get(key),
            _ => None,
        }
    }

    pub(crate) fn get_mut<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        match self {
            SmallMap::One(k, v) if (*k).borrow() == key => Some(v),
            SmallMap::Many(map) => map.get_mut(key),
            _ => None,
        }
    }

    pub(crate) fn contains_key(&self, key: &K) -> bool {
        self.get(key).is_some()
    }

    /// Puts `value` under `key`, replacing what was there.
    pub(crate) fn insert(&mut self, key: K, value: V) {
        match self {
            SmallMap::Empty => *self = SmallMap::One(key, value),
            SmallMap::One(k, v) if *k == key => *v = value,
            SmallMap::One(..) => {
                let SmallMap::One(k, v) = std::mem::take(self) else {
                    unreachable!("matched One just above");
                };
                let mut map = HashMap::with_capacity_and_hasher(2, RandomState::default());
                map.insert(k, v);
                map.insert(key, value);
                *self = SmallMap::Many(map);
            }
            SmallMap::Many(map) => {
                map.insert(key, value);
            }
        }
    }

    /// Removes the entry under `key`, returning its value.
    pub(crate) fn remove<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        match self {
            SmallMap::One(k, _) if (*k).borrow() == key => match std::mem::take(self) {
                SmallMap::One(_, v) => Some(v),
                _ => None,
            },
            SmallMap::Many(map) => map.remove(key),
            _ => None,
        }
    }

    /// The value under `key`, inserting the default first if there is none.
    pub(crate) fn get_or_insert_default(&mut self, key: K) -> &mut V
    where
        V: Default,
    {
        if !self.contains_key(&key) {
            self.insert_new(key, V::default())
        } else {
            match self {
                SmallMap::One(_, v) => v,
                SmallMap::Many(map) => map.entry(key).or_default(),
                SmallMap::Empty => unreachable!("the key is present"),
            }
        }
    }

    /// Inserts an entry whose key is absent; returns its value.
    fn insert_new(&mut self, key: K, value: V) -> &mut V {
        if let SmallMap::Empty = self {
            *self = SmallMap::One(key, value);
            let SmallMap::One(_, v) = self else {
                unreachable!("just set");
            };
            return v;
        }
        if let SmallMap::One(..) = self {
            let SmallMap::One(k, v) = std::mem::take(self) else {
                unreachable!("matched One just above");
            };
            let mut map = HashMap::with_capacity_and_hasher(2, RandomState::default());
            map.insert(k, v);
            *self = SmallMap::Many(map);
        }
        match self {
            SmallMap::Many(map) => map.entry(key).or_insert(value),
            _ => unreachable!("made a table just above"),
        }
    }

    /// Keeps the entries for which `keep` returns true (it may change their values).
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        match self {
            SmallMap::Empty => {}
            SmallMap::One(k, v) => {
                if !keep(k, v) {
                    *self = SmallMap::Empty;
                }
            }
            SmallMap::Many(map) => map.retain(|k, v| keep(k, v)),
        }
    }
}

impl<K: Eq + Hash, V: PartialEq> PartialEq for SmallMap<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_from_inline_to_a_table_and_compares_by_content() {
        let mut map = SmallMap::default();
        map.insert("a", 1);
        assert!(matches!(map, SmallMap::One(..)));
        map.insert("a", 2);
        assert_eq!(map.get(&"a"), Some(&2));
        map.insert("b", 3);
        *map.get_or_insert_default("c") += 4;
        assert_eq!(map.len(), 3);
        assert_eq!(map.remove(&"b"), Some(3));
        map.retain(|k, _| *k == "a");
        let mut inline = SmallMap::default();
        *inline.get_or_insert_default("a") += 2;
        assert_eq!(map, inline);
        assert_eq!(inline.remove(&"a"), Some(2));
        assert!(inline.is_empty() && inline.remove(&"a").is_none());
        let mut entries: Vec<_> = map.into_iter().collect();
        entries.sort();
        assert_eq!(entries, vec![("a", 2)]);
    }
}
