//! The delta of a nested mutation carries only that change: whatever else the document
//! holds, the root delta of a write at a path holds exactly that one key path (with
//! only the written kind), its context holds only the new dot and the dots the write
//! replaced under that path, its encoding is small and does not grow with the
//! document, and joining it into a copy of the prior state gives the new state.

mod support;

use converge_core::{Codec, Dot, Embeddable, Hlc, Lattice, ManualClock, ReplicaId};
use converge_lwwregister::LwwRegister;
use converge_mvregister::MvRegister;
use converge_ormap::{Counter, Document, Flag, Kind, Value};
use converge_orset::OrSet;
use proptest::prelude::*;
use support::{
    all_dots, context_dots, dots_on_the_way, dots_under, keys_of, leaf_paths, path, write,
    write_at, Write,
};

/// The writer of the nested changes under test.
const ME: ReplicaId = ReplicaId::new(1);
/// A writer with an 8-byte id (the common case for random ids).
const WIDE: ReplicaId = ReplicaId::new(0x9e37_79b9_7f4a_7c15);
/// Other replicas, which wrote the rest of the document.
const OTHERS: [ReplicaId; 3] = [
    ReplicaId::new(0x11),
    ReplicaId::new(0x2222_2222),
    ReplicaId::new(0xffff_0000_ffff_0000),
];

/// A document of `keys` top-level entries of every kind, written by [`OTHERS`], with
/// a `cart` map that already holds an `items` set (with a pear), a total and an owner.
fn busy_document(keys: usize) -> Document {
    let mut doc = Document::new();
    for i in 0..keys {
        let by = OTHERS[i % OTHERS.len()];
        let key = format!("key{i:04}");
        let write = match i % 5 {
            0 => Write::Increment(i as u64 % 40 + 1),
            1 => Write::Enable,
            2 => Write::Lww {
                millis: i as u64,
                value: i as i64,
            },
            3 => Write::Mv(i as i64),
            _ => Write::SetAdd(i as i64),
        };
        write_at(&mut doc, by, &[&key], &write);
        if i % 7 == 0 {
            write_at(&mut doc, by, &[&key, "nested", "deeper"], &Write::Mv(1));
        }
    }
    let by = OTHERS[0];
    doc.update_at(&["cart", "items"], |s: &mut OrSet<Value>| {
        s.add(by, "pear".into())
    })
    .unwrap();
    write_at(&mut doc, by, &["cart", "total"], &Write::Increment(3));
    write_at(
        &mut doc,
        by,
        &["cart", "owner"],
        &Write::Lww {
            millis: 5,
            value: 9,
        },
    );
    doc
}

fn add_apple(doc: &mut Document, replica: ReplicaId) -> Document {
    doc.update_at(&["cart", "items"], |s: &mut OrSet<Value>| {
        s.add(replica, "apple".into())
    })
    .unwrap()
}

#[test]
fn a_nested_set_add_carries_only_the_added_element() {
    let before = busy_document(200);
    let mut after = before.clone();
    let delta = add_apple(&mut after, ME);

    // Exactly one key path, holding a set with exactly the new element.
    assert_eq!(
        leaf_paths(&delta),
        [(vec!["cart".to_owned(), "items".to_owned()], Kind::Set)]
    );
    let items = delta
        .get_at(&["cart", "items"])
        .and_then(|n| n.get::<OrSet<Value>>())
        .expect("the delta holds the set");
    assert_eq!(items.to_sorted_vec(), [&Value::from("apple")]);
    // Its context is the one new dot: no vector claiming the rest of the document.
    assert_eq!(context_dots(&delta.as_causal().context), [Dot::new(ME, 1)]);

    let bytes = delta.encode().unwrap();
    println!(
        "nested set-add delta in a document of {} keys: {} bytes",
        before.len(),
        bytes.len()
    );
    assert!(bytes.len() < 40, "the delta is {} bytes", bytes.len());

    // It is the mutation.
    let mut replayed = before.clone();
    replayed.join(delta.clone());
    assert_eq!(replayed, after);
    // Alone, it makes a document with that path only, and without the pear, which
    // another replica wrote before.
    let mut fresh = Document::new();
    fresh.join(delta);
    assert_eq!(leaf_paths(&fresh).len(), 1);
    let set_in = |doc: &Document| {
        doc.get_at(&["cart", "items"])
            .and_then(|n| n.get::<OrSet<Value>>())
            .map(|s| s.to_sorted_vec().into_iter().cloned().collect::<Vec<_>>())
    };
    assert_eq!(set_in(&fresh), Some(vec![Value::from("apple")]));
    assert_eq!(
        set_in(&after),
        Some(vec![Value::from("apple"), Value::from("pear")])
    );
}

#[test]
fn the_delta_does_not_grow_with_the_document() {
    let mut sizes = Vec::new();
    for keys in [0, 10, 1_000] {
        for replica in [ME, WIDE] {
            let mut doc = busy_document(keys);
            let bytes = add_apple(&mut doc, replica).encode().unwrap();
            sizes.push((keys, replica, bytes.len()));
        }
    }
    for (keys, replica, len) in &sizes {
        println!("document of {keys} keys, writer {replica:?}: delta {len} bytes");
    }
    let narrow: Vec<usize> = sizes.iter().step_by(2).map(|s| s.2).collect();
    let wide: Vec<usize> = sizes.iter().skip(1).step_by(2).map(|s| s.2).collect();
    assert!(narrow.windows(2).all(|w| w[0] == w[1]), "{sizes:?}");
    assert!(wide.windows(2).all(|w| w[0] == w[1]), "{sizes:?}");
    // An 8-byte replica id costs its 8 bytes (plus a marker) over a 1-byte one.
    assert!(wide[0] <= narrow[0] + 9, "{sizes:?}");
}

/// A mutation of a document that returns its root delta.
type Mutation<'a> = Box<dyn Fn(&mut Document) -> Document + 'a>;

/// A write of each kind three levels down in a busy document: one path, one kind.
#[test]
fn a_write_of_each_kind_deep_down_carries_one_path_and_one_kind() {
    let path = ["cart", "meta", "x"];
    let cases: Vec<(Kind, Mutation<'_>)> = vec![
        (
            Kind::Counter,
            Box::new(|d| {
                d.update_at(&path, |c: &mut Counter| c.increment(ME, 4))
                    .unwrap()
            }),
        ),
        (
            Kind::Flag,
            Box::new(|d| d.update_at(&path, |f: &mut Flag| f.enable(ME)).unwrap()),
        ),
        (
            Kind::Lww,
            Box::new(|d| {
                d.update_at(&path, |r: &mut LwwRegister<Value>| {
                    r.set(ME, &mut Hlc::new(ManualClock::new(1_000)), "v".into())
                })
                .unwrap()
            }),
        ),
        (
            Kind::Mv,
            Box::new(|d| {
                d.update_at(&path, |r: &mut MvRegister<Value>| {
                    r.write(ME, Value::Bool(true))
                })
                .unwrap()
            }),
        ),
        (
            Kind::Set,
            Box::new(|d| {
                d.update_at(&path, |s: &mut OrSet<Value>| s.add(ME, Value::Null))
                    .unwrap()
            }),
        ),
    ];
    for (kind, mutate) in cases {
        let before = busy_document(100);
        let mut after = before.clone();
        let delta = mutate(&mut after);
        let expected = vec![(path.map(str::to_owned).to_vec(), kind)];
        assert_eq!(leaf_paths(&delta), expected, "{kind:?}");
        assert_eq!(
            context_dots(&delta.as_causal().context),
            [Dot::new(ME, 1)],
            "{kind:?}"
        );
        let len = delta.encode().unwrap().len();
        println!("{kind:?} written three levels down: delta {len} bytes");
        assert!(len < 48, "{kind:?}: {len} bytes");
        let mut replayed = before;
        replayed.join(delta);
        assert_eq!(replayed, after, "{kind:?}");
    }
}

/// A nested remove carries no key, and exactly the dots it removed.
#[test]
fn a_nested_remove_carries_exactly_the_removed_dots() {
    let mut before = busy_document(100);
    add_apple(&mut before, ME);
    let removed = dots_under(&before, &["cart", "items"]);
    assert_eq!(removed.len(), 2);
    let mut after = before.clone();
    let delta = after.remove_at(&["cart", "items"]).unwrap();
    assert!(delta.is_empty());
    assert_eq!(context_dots(&delta.as_causal().context), removed);
    let len = delta.encode().unwrap().len();
    println!("nested remove of a two-element set: delta {len} bytes");
    let mut replayed = before;
    replayed.join(delta);
    assert_eq!(replayed, after);
    assert_eq!(leaf_paths(&after).len(), leaf_paths(&replayed).len());
    assert!(after.get_at(&["cart", "items"]).is_none());
    assert!(after.get_at(&["cart", "total"]).is_some());
}

/// A random document, built by writes of two replicas that sync now and then.
fn random_document() -> impl Strategy<Value = Document> {
    let step = (any::<bool>(), path(), write(), prop::bool::weighted(0.1));
    prop::collection::vec(step, 0..40).prop_map(|steps| {
        let mut replicas = [Document::new(), Document::new()];
        for (second, path, w, sync) in steps {
            let i = usize::from(second);
            write_at(&mut replicas[i], OTHERS[i], &keys_of(&path), &w);
            if sync {
                let sent = replicas[i].clone();
                replicas[1 - i].join(sent);
            }
        }
        let [mut a, b] = replicas;
        a.join(b);
        a
    })
}

proptest! {
    /// Any write at any path of any document: the delta holds at most that path with
    /// that kind, its context holds only the new dot, dots that were live under that
    /// path and (for a live write, which supersedes other kinds on its way) dots of
    /// non-map kinds at the keys on the way, and it is the mutation.
    #[test]
    fn any_nested_write_carries_only_its_path(
        before in random_document(),
        path in path(),
        w in write(),
    ) {
        let path = keys_of(&path);
        let mut after = before.clone();
        let delta = write_at(&mut after, ME, &path, &w);

        let mut replayed = before.clone();
        replayed.join(delta.clone());
        prop_assert_eq!(&replayed, &after);

        let leaves = leaf_paths(&delta);
        let own = (path.iter().map(|k| (*k).to_owned()).collect::<Vec<_>>(), w.kind());
        if w.is_live() {
            prop_assert_eq!(leaves, vec![own]);
        } else {
            prop_assert!(leaves.is_empty(), "a removal carries no value: {:?}", leaves);
        }

        let before_dots = all_dots(&before);
        let under_path = dots_under(&before, &path);
        let on_the_way = if w.is_live() { dots_on_the_way(&before, &path) } else { Vec::new() };
        let after_dots = all_dots(&after);
        for dot in context_dots(&delta.as_causal().context) {
            let new = !before_dots.contains(&dot) && after_dots.contains(&dot);
            prop_assert!(
                new || under_path.contains(&dot) || on_the_way.contains(&dot),
                "the delta speaks for {:?}, neither new nor under {:?}",
                dot,
                path
            );
        }
    }

    /// Removing any path of any document: no key, and exactly the dots under it.
    #[test]
    fn any_nested_remove_carries_exactly_the_removed_dots(
        before in random_document(),
        path in path(),
    ) {
        let path = keys_of(&path);
        let mut after = before.clone();
        let delta = after.remove_at(&path).unwrap();
        prop_assert!(delta.is_empty());
        prop_assert_eq!(context_dots(&delta.as_causal().context), dots_under(&before, &path));
        prop_assert!(after.get_at(&path).is_none());
        let mut replayed = before;
        replayed.join(delta);
        prop_assert_eq!(replayed, after);
    }
}
