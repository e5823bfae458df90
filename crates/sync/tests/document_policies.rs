//! Write-time policies through a `Replica<Document>` (issue 14, items 9b, 11 to 14):
//! refused writes and rejected messages land in the bounded dead-letter list, policy
//! outcomes land in the sync metrics, merges and received messages report what they
//! changed, and an authority is still recognised after it restores from saved bytes.

use converge_core::{Codec, Hlc, ManualClock, ReplicaId};
use converge_lwwregister::LwwRegister;
use converge_ormap::{Document, FieldPath, FieldVersion, Policies, Policy, RuleKey, Value};
use converge_sync::{DeadLetterKind, Replica};

const OWNER: ReplicaId = ReplicaId::new(0xa);
const DESK: ReplicaId = ReplicaId::new(0xb);
const EMAIL: [&str; 3] = ["guests", "g1", "email"];

fn policies() -> Policies {
    let mut policies = Policies::new();
    policies.set(&["guests", "*", "email"], Policy::Authority([OWNER].into()));
    policies
}

fn set(
    replica: &mut Replica<Document>,
    policies: &Policies,
    if_match: Option<&FieldVersion>,
    path: &[&str],
    v: &str,
) -> Result<u64, converge_ormap::Error> {
    let mut clock = Hlc::new(ManualClock::new(1));
    replica.guarded_update(
        path,
        policies,
        if_match,
        |r: &mut LwwRegister<Value>, me| r.set(me, &mut clock, v.into()),
    )
}

fn sync(from: &mut Replica<Document>, to: &mut Replica<Document>, policies: &Policies) {
    while let Some(m) = from.message_for(to.id()).unwrap() {
        let (reply, _) = to.receive_reporting(&m, policies).unwrap();
        if let Some(reply) = reply {
            from.receive(&reply).unwrap();
        }
    }
}

#[test]
fn refused_writes_go_to_the_dead_letters_and_the_policy_metrics() {
    let policies = policies();
    let mut desk = Replica::new(DESK, Document::new()).unwrap();
    let refused = set(&mut desk, &policies, None, &EMAIL, "bob@example.com");
    assert!(matches!(
        refused,
        Err(converge_ormap::Error::NotAuthority { .. })
    ));
    assert!(desk.state().is_empty());
    assert_eq!(desk.buffer_depth(), 0, "a refused write is not sent");

    set(
        &mut desk,
        &policies,
        None,
        &["holds", "h1", "status"],
        "active",
    )
    .unwrap();
    let stale = FieldVersion::default();
    let refused = set(
        &mut desk,
        &policies,
        Some(&stale),
        &["holds", "h1", "status"],
        "x",
    );
    assert!(matches!(refused, Err(converge_ormap::Error::Stale { .. })));

    let letters: Vec<_> = desk.dead_letters().iter().collect();
    assert_eq!(letters.len(), 2);
    assert_eq!(letters[0].kind, DeadLetterKind::Write);
    assert_eq!(letters[0].code, "ERR_NOT_AUTHORITY");
    assert_eq!(letters[0].origin, Some(DESK));
    assert_eq!(letters[0].path, Some(EMAIL.map(String::from).to_vec()));
    assert_eq!(letters[1].code, "ERR_STALE");

    let metrics = &desk.metrics().policies;
    let authority = RuleKey {
        pattern: "guests/*/email".into(),
        policy: "authority".into(),
    };
    let default = RuleKey {
        pattern: "(default)".into(),
        policy: "lww".into(),
    };
    assert_eq!(metrics.get(&authority).map(|c| c.refused), Some(1));
    assert_eq!(metrics.get(&default).map(|c| c.refused), Some(1));
}

#[test]
fn rejected_messages_are_dead_letters_and_the_list_is_bounded() {
    let mut replica = Replica::new(OWNER, Document::new())
        .unwrap()
        .with_dead_letter_capacity(2);
    let wrong_type = converge_gcounter::GCounter::new().encode().unwrap();
    for junk in [&b"junk"[..], &wrong_type, &[0xc1, 0, 0][..]] {
        assert!(replica.receive(junk).is_err());
    }
    let letters: Vec<_> = replica.dead_letters().iter().collect();
    assert_eq!(letters.len(), 2, "bounded");
    assert_eq!(
        replica.dead_letters().dropped(),
        1,
        "the oldest dropped, counted"
    );
    assert_eq!(letters[0].kind, DeadLetterKind::Message);
    assert_eq!(letters[0].bytes, Some(wrong_type.len()));
    assert_eq!(letters[0].code, "ERR_WRONG_TYPE");
    assert!(!letters[0].message.is_empty());
    assert_eq!(replica.metrics().rejected, 3);
    replica.clear_dead_letters();
    assert!(replica.dead_letters().is_empty());
    assert_eq!(replica.dead_letters().dropped(), 3);
}

#[test]
fn a_refused_sync_token_is_a_dead_letter() {
    let mut replica = Replica::new(OWNER, Document::new()).unwrap();
    assert!(replica.resume(b"not a token").is_err());
    let letters: Vec<_> = replica.dead_letters().iter().collect();
    assert!(!letters.is_empty());
    assert_eq!(letters[0].kind, DeadLetterKind::Message);
    assert_eq!(letters[0].bytes, Some(b"not a token".len()));
    assert_eq!(letters[0].code, "ERR_DECODE");
}

#[test]
fn an_authority_restored_from_saved_bytes_is_still_the_authority() {
    let policies = policies();
    let owner = Replica::new(OWNER, Document::new()).unwrap();
    let mut owner = Replica::<Document>::restore(&owner.save().unwrap()).unwrap();
    assert_ne!(
        owner.writer(),
        OWNER,
        "a restored replica writes under a fresh id"
    );
    assert!(owner.writer().writes_for(OWNER));
    set(&mut owner, &policies, None, &EMAIL, "ada@example.com").unwrap();

    let mut desk = Replica::new(DESK, Document::new()).unwrap();
    sync(&mut owner, &mut desk, &policies);
    let read = desk.state().read_at(&EMAIL, &policies).unwrap();
    assert_eq!(read.value, Some("ada@example.com".into()));
    assert!(read.ignored.is_empty());
}

#[test]
fn received_messages_and_merges_report_what_they_changed() {
    let mut policies = policies();
    policies.set(&["holds", "*", "notes"], Policy::KeepSiblings);
    let notes = ["holds", "h1", "notes"];
    let mut owner = Replica::new(OWNER, Document::new()).unwrap();
    let mut desk = Replica::new(DESK, Document::new()).unwrap();
    set(&mut owner, &policies, None, &notes, "cot").unwrap();
    set(&mut desk, &policies, None, &notes, "late").unwrap();
    // A peer without the policy writes the email: merged, ignored, counted.
    let mut clock = Hlc::new(ManualClock::new(1));
    desk.update(|doc, _| {
        doc.update_at(&EMAIL, |r: &mut LwwRegister<Value>| {
            r.set(DESK, &mut clock, "bob@example.com".into())
        })
        .unwrap()
    });

    let message = desk.message_for(OWNER).unwrap().unwrap();
    let (_, report) = owner.receive_reporting(&message, &policies).unwrap();
    let path = |p: &[&str]| p.iter().map(|k| k.to_string()).collect::<Vec<_>>();
    assert_eq!(
        report.changed,
        [path(&EMAIL), path(&notes)].map(FieldPath::from)
    );
    assert_eq!(report.concurrent_writes, 1);
    assert_eq!(owner.metrics().conflicts, 1);
    let counts = |m: &converge_ormap::PolicyMetrics, pattern: &str, policy: &str| {
        m.get(&RuleKey {
            pattern: pattern.to_owned().into(),
            policy: policy.to_owned().into(),
        })
        .copied()
        .unwrap_or_default()
    };
    assert_eq!(
        counts(&owner.metrics().policies, "holds/*/notes", "siblings").review,
        1
    );
    assert_eq!(
        counts(&owner.metrics().policies, "guests/*/email", "authority").ignored,
        1
    );
    // Receiving it again reports nothing.
    let (_, again) = owner.receive_reporting(&message, &policies).unwrap();
    assert!(again.changed.is_empty());

    let mut other = Replica::new(ReplicaId::new(0xc), Document::new()).unwrap();
    let report = other.merge_reporting(owner.state().clone(), &policies);
    assert_eq!(
        report.changed,
        [path(&EMAIL), path(&notes)].map(FieldPath::from)
    );
    assert_eq!(
        other.merge_reporting(owner.state().clone(), &policies),
        Default::default()
    );
}
