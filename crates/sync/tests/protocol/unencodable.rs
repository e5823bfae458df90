//! Values that cannot be encoded: an `OrSet<PathBuf>` holding a path that is not
//! UTF-8 (MessagePack strings are UTF-8, so its `Serialize` fails). Encoding returns
//! an error instead of panicking; a replica holding such a value refuses to send or
//! save it with `Error::Encode`, changes nothing, and keeps working: it receives and
//! acknowledges, and once the value is removed it syncs and saves again. (Regression
//! tests, issue 14 item 3: `Codec::encode` panicked through `unreachable!`.)

#![cfg(unix)]

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use converge_core::Codec;
use converge_orset::OrSet;
use converge_sync::{Error, Replica};

use crate::support::{deliver, replica, same_bytes, sync_pair, A, B};

type Paths = OrSet<PathBuf>;

fn not_utf8() -> PathBuf {
    PathBuf::from(OsStr::from_bytes(b"/tmp/\xff\xfe"))
}

#[test]
fn encoding_a_value_that_does_not_serialize_is_an_error() {
    let mut set = Paths::new();
    set.add(A, PathBuf::from("/tmp/fine"));
    assert!(set.encode().is_ok());
    let delta = set.add(A, not_utf8());
    let error = set
        .encode()
        .expect_err("a path that is not UTF-8 has no encoding");
    assert_eq!(error.type_name, "OrSet");
    assert!(delta.encode().is_err());
    assert!(error.to_string().contains("cannot encode"));
}

#[test]
fn a_replica_holding_an_unencodable_value_refuses_to_send_and_save_and_stays_usable() {
    let mut a = replica::<Paths>(A);
    let mut b = replica::<Paths>(B);
    a.update(|s, w| s.add(w, PathBuf::from("/tmp/fine")));
    sync_pair(&mut a, &mut b);

    a.update(|s, w| s.add(w, not_utf8()));
    let (state, metrics, depth) = (a.state().clone(), a.metrics().clone(), a.buffer_depth());
    assert!(matches!(a.message_for(B), Err(Error::Encode(_))));
    assert!(matches!(a.save(), Err(Error::Encode(_))));
    assert_eq!(a.state(), &state, "nothing changed");
    assert_eq!(a.metrics(), &metrics, "nothing was sent");
    assert_eq!(a.buffer_depth(), depth);

    // A still receives and acknowledges B's writes.
    b.update(|s, w| s.add(w, PathBuf::from("/tmp/from b")));
    deliver(b.message_for(A).unwrap().unwrap(), &mut a, &mut b);
    assert!(a.state().contains(&PathBuf::from("/tmp/from b")));

    // Once the value is gone, A sends and saves again, and B converges.
    a.update(|s, _| s.remove(&not_utf8()));
    sync_pair(&mut a, &mut b);
    assert!(same_bytes(&a, &b));
    let restored = Replica::<Paths>::restore(&a.save().unwrap()).unwrap();
    assert_eq!(restored.state(), a.state());
}
