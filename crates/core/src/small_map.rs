//! `SmallMap`: the hash table under a [`DotMap`](crate::DotMap), addressed by hashes
//! the map computes once. It keeps a single entry inline: a write's delta carries one
//! key at each level of nesting, so the delta of an OR-Set add or a document write
//! then needs no table (no table allocation, no table to free).
//!
//! A few entries (up to [`FEW`]) sit in a vector of exactly their number, searched
//! by hash: a hash table keeps at least four slots and control bytes, which is most
//! of a small document's memory (a record of three fields in a table of four slots).
//!
//! More entries stay in that vector, in the order they came, beside a hash table of
//! their positions ([`Listed`]). The table's slots are a word each, so a lookup probes
//! memory a tenth the size of the entries; a decoder's entries are written one after
//! another, not scattered over a table; and two maps decoded from encodings in the
//! same key order (every encoding of a document is in path order) are joined walking
//! both vectors in step, so the join's lookups read memory in order.
//!
//! Entries carry their key's hash, so the map's dot index can name an entry by hash
//! alone (eight bytes per dot instead of a copy of the key).

use std::borrow::Borrow;

use hashbrown::hash_table::HashTable;

/// `(hash of the key, key, value)`.
type Entry<K, V> = (u64, K, V);

/// The most entries searched one by one; one more adds a table of positions.
const FEW: usize = 8;

/// A map that is empty, holds one entry inline, or more in a vector ([`Listed`]).
/// Every method takes the key's hash, computed by the caller with one hasher for the
/// map's whole life. Equality compares contents.
#[derive(Clone, Debug, Default)]
pub(crate) enum SmallMap<K, V> {
    #[default]
    Empty,
    One(u64, K, V),
    Listed(Listed<K, V>),
}

/// Entries in a vector, in the order they came (a removal moves the last into the
/// gap). Up to [`FEW`] are searched by hash one by one, in a vector of exactly their
/// number (a hash table keeps at least four slots and control bytes, most of a small
/// document's memory); past that a table of their positions, addressed by their
/// hashes, finds them (and stays, however few are left).
#[derive(Clone, Debug)]
pub(crate) struct Listed<K, V> {
    entries: Vec<Entry<K, V>>,
    // Invariant: none (entries searched one by one), or one slot per entry holding
    // its position in `entries`. Boxed so that a map of few entries stays the size of
    // its vector (every document node holds one).
    slots: Option<Box<HashTable<usize>>>,
}

/// The hash of the entry at `at` (0 past the end: never asked, the slots are exact).
fn hash_at<K, V>(entries: &[Entry<K, V>], at: usize) -> u64 {
    entries.get(at).map_or(0, |e| e.0)
}

impl<K, V> Listed<K, V> {
    /// Whether the entries are found through the table of positions.
    fn indexed(&self) -> bool {
        self.slots.is_some()
    }

    /// Makes the table of positions, with room for `room` entries.
    fn index(&mut self, room: usize) {
        let entries = &self.entries;
        let mut slots = HashTable::with_capacity(room.max(entries.len()));
        for (at, (hash, _, _)) in entries.iter().enumerate() {
            slots.insert_unique(*hash, at, |&i| hash_at(entries, i));
        }
        self.slots = Some(Box::new(slots));
    }

    /// The position of the entry with hash `hash` for which `select` holds.
    fn position(&self, hash: u64, mut select: impl FnMut(&K, &V) -> bool) -> Option<usize> {
        let entries = &self.entries;
        let mut at_hash = |at: usize| {
            entries
                .get(at)
                .is_some_and(|(h, k, v)| *h == hash && select(k, v))
        };
        match &self.slots {
            Some(slots) => slots.find(hash, |&at| at_hash(at)).copied(),
            None => (0..entries.len()).find(|&at| at_hash(at)),
        }
    }

    fn push(&mut self, hash: u64, key: K, value: V) {
        let at = self.entries.len();
        if at < FEW && !self.indexed() {
            // Exactly as many slots as entries: few maps are many maps.
            self.entries.reserve_exact(1);
        }
        self.entries.push((hash, key, value));
        if let Some(slots) = &mut self.slots {
            let entries = &self.entries;
            slots.insert_unique(hash, at, |&i| hash_at(entries, i));
        } else if at >= FEW {
            // Room for as many as the vector holds (a decoder's reserved many).
            self.index(self.entries.capacity());
        }
    }

    fn remove_where(&mut self, hash: u64, select: impl FnMut(&K, &V) -> bool) -> Option<(K, V)> {
        let at = self.position(hash, select)?;
        let last = self.entries.len().checked_sub(1)?;
        if let Some(slots) = &mut self.slots {
            if let Ok(slot) = slots.find_entry(hash, |&i| i == at) {
                slot.remove();
            }
            if at < last {
                // The last entry moves into the gap: its slot follows it.
                let moved = hash_at(&self.entries, last);
                if let Some(slot) = slots.find_mut(moved, |&i| i == last) {
                    *slot = at;
                }
            }
        }
        let (_, k, v) = self.entries.swap_remove(at);
        Some((k, v))
    }

    fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        let before = self.entries.len();
        self.entries.retain_mut(|(_, k, v)| keep(k, v));
        if self.indexed() && self.entries.len() != before {
            // Positions moved: the table is made anew.
            self.index(0);
        }
    }
}

/// The entries of a [`SmallMap`], by reference, in no particular order.
pub(crate) enum Iter<'a, K, V> {
    One(Option<(&'a K, &'a V)>),
    Listed(std::slice::Iter<'a, Entry<K, V>>),
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<(&'a K, &'a V)> {
        match self {
            Iter::One(entry) => entry.take(),
            Iter::Listed(it) => it.next().map(|(_, k, v)| (k, v)),
        }
    }
}

/// The entries of a [`SmallMap`], by value, with their hashes, in no particular order.
pub(crate) enum IntoIter<K, V> {
    One(Option<Entry<K, V>>),
    Listed(std::vec::IntoIter<Entry<K, V>>),
}

impl<K, V> Iterator for IntoIter<K, V> {
    type Item = Entry<K, V>;

    fn next(&mut self) -> Option<Entry<K, V>> {
        match self {
            IntoIter::One(entry) => entry.take(),
            IntoIter::Listed(it) => it.next(),
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
            SmallMap::Listed(listed) => IntoIter::Listed(listed.entries.into_iter()),
        }
    }
}

impl<K, V> SmallMap<K, V> {
    pub(crate) fn len(&self) -> usize {
        match self {
            SmallMap::One(..) => 1,
            _ => self.entries().len(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entries held in a vector (none for an empty or one-entry map).
    fn entries(&self) -> &[Entry<K, V>] {
        match self {
            SmallMap::Listed(listed) => &listed.entries,
            SmallMap::Empty | SmallMap::One(..) => &[],
        }
    }

    pub(crate) fn iter(&self) -> Iter<'_, K, V> {
        match self {
            SmallMap::One(_, k, v) => Iter::One(Some((k, v))),
            _ => Iter::Listed(self.entries().iter()),
        }
    }

    /// The entries with their hashes, in no particular order.
    pub(crate) fn iter_hashed(&self) -> impl Iterator<Item = (u64, &K, &V)> + '_ {
        let one = match self {
            SmallMap::One(h, k, v) => Some((*h, k, v)),
            _ => None,
        };
        one.into_iter()
            .chain(self.entries().iter().map(|(h, k, v)| (*h, k, v)))
    }

    /// The entry with hash `hash` for which `select` holds.
    pub(crate) fn find(
        &self,
        hash: u64,
        mut select: impl FnMut(&K, &V) -> bool,
    ) -> Option<(&K, &V)> {
        match self {
            SmallMap::One(h, k, v) if *h == hash && select(k, v) => Some((k, v)),
            SmallMap::Listed(listed) => listed
                .position(hash, select)
                .and_then(|at| listed.entries.get(at))
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
            SmallMap::Listed(listed) => {
                let at = listed.position(hash, select)?;
                listed.entries.get_mut(at).map(|(_, k, v)| (&*k, v))
            }
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
            SmallMap::Listed(listed) => listed.remove_where(hash, select),
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
            SmallMap::Listed(listed) => listed.retain(keep),
        }
    }

    /// An empty map with room for `n` entries: when `n` is more than are searched one
    /// by one, a vector of that room, and its table made with that room once past
    /// [`FEW`] (a decoder's or a touched part's many keys, inserted without growing on
    /// the way).
    pub(crate) fn with_capacity(n: usize) -> Self {
        if n > FEW {
            SmallMap::Listed(Listed {
                entries: Vec::with_capacity(n),
                slots: None,
            })
        } else {
            SmallMap::Empty
        }
    }

    /// Inserts an entry whose key is absent; returns its value.
    pub(crate) fn insert_new(&mut self, hash: u64, key: K, value: V) -> &mut V {
        let mut listed = match std::mem::take(self) {
            SmallMap::Empty => {
                *self = SmallMap::One(hash, key, value);
                match self {
                    SmallMap::One(_, _, v) => return v,
                    _ => unreachable!("the entry was put in just above"),
                }
            }
            SmallMap::One(h, k, v) => {
                // Room for the two at once (one allocation, not a second to grow).
                let mut entries = Vec::with_capacity(2);
                entries.push((h, k, v));
                Listed {
                    entries,
                    slots: None,
                }
            }
            SmallMap::Listed(listed) => listed,
        };
        listed.push(hash, key, value);
        *self = SmallMap::Listed(listed);
        match self {
            SmallMap::Listed(listed) => match listed.entries.last_mut() {
                Some((_, _, v)) => v,
                None => unreachable!("an entry was pushed just before"),
            },
            _ => unreachable!("the vector was put in just above"),
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
        assert!(matches!(map, SmallMap::Listed(..)));
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
