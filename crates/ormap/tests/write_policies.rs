//! Write-time policies (issue 14, items 11 to 13): an authority field refuses local
//! writes of other replicas, writes that peers still merge in are listed where they
//! are ignored, a conditional write refuses a stale version (and what it cannot
//! promise across replicas), and policy metrics count all of it.

use converge_core::{Hlc, Lattice, ManualClock, ReplicaId};
use converge_lwwregister::LwwRegister;
use converge_ormap::{
    Counter, Document, Error, FieldVersion, Outcome, Policies, Policy, PolicyCounts, PolicyMetrics,
    RuleKey, Value, Verdict, WriteGuard,
};

const OWNER: ReplicaId = ReplicaId::new(0xa);
const DESK: ReplicaId = ReplicaId::new(0xb);
const EMAIL: [&str; 3] = ["guests", "g1", "email"];

fn policies() -> Policies {
    let mut policies = Policies::new();
    policies.set(&["guests", "*", "email"], Policy::Authority([OWNER].into()));
    policies
}

fn joined(mut a: Document, b: Document) -> Document {
    a.join(b);
    a
}

fn set(doc: &mut Document, writer: ReplicaId, millis: u64, path: &[&str], v: &str) -> Document {
    let mut clock = Hlc::new(ManualClock::new(millis));
    doc.update_at(path, |r: &mut LwwRegister<Value>| {
        r.set(writer, &mut clock, v.into())
    })
    .unwrap()
}

fn guarded_set(
    doc: &mut Document,
    guard: &WriteGuard<'_>,
    millis: u64,
    path: &[&str],
    v: &str,
) -> Result<Document, Error> {
    let mut clock = Hlc::new(ManualClock::new(millis));
    let writer = guard.writer;
    doc.guarded_update_at(path, guard, |r: &mut LwwRegister<Value>| {
        r.set(writer, &mut clock, v.into())
    })
}

#[test]
fn a_local_non_authority_write_is_refused_and_changes_nothing() {
    let policies = policies();
    let mut doc = Document::new();
    let owner = WriteGuard {
        writer: OWNER,
        policies: &policies,
        if_match: None,
    };
    guarded_set(&mut doc, &owner, 1, &EMAIL, "ada@example.com").unwrap();
    let before = doc.clone();

    let desk = WriteGuard {
        writer: DESK,
        policies: &policies,
        if_match: None,
    };
    let refused = guarded_set(&mut doc, &desk, 2, &EMAIL, "bob@example.com");
    assert_eq!(
        refused,
        Err(Error::NotAuthority {
            path: EMAIL.map(String::from).to_vec(),
            writer: DESK
        })
    );
    // Below the field, and removing the field or a map that holds it: refused too.
    let below = ["guests", "g1", "email", "x"];
    assert!(matches!(
        guarded_set(&mut doc, &desk, 2, &below, "x"),
        Err(Error::NotAuthority { .. })
    ));
    assert!(matches!(
        doc.guarded_remove_at(&EMAIL, &desk),
        Err(Error::NotAuthority { .. })
    ));
    assert!(matches!(
        doc.guarded_remove_at(&["guests"], &desk),
        Err(Error::NotAuthority { .. })
    ));
    assert_eq!(doc, before);
    // Other fields stay writable; the owner may remove.
    guarded_set(&mut doc, &desk, 3, &["guests", "g1", "name"], "Ada").unwrap();
    doc.guarded_remove_at(&["guests"], &owner).unwrap();
    assert!(doc.is_empty());
}

/// Issue 14, item 11: a non-authority write that has seen the authority's value (made
/// by a peer without the policy) erased it, the read showed nothing, and `conflicts()`
/// did not list the field: the owner's email vanished silently. It still merges (the
/// state is a join), but the field is now listed with the ignored write.
#[test]
fn an_ignored_write_that_superseded_the_authority_is_listed_in_conflicts() {
    let policies = policies();
    let mut owner = Document::new();
    let first = set(&mut owner, OWNER, 1, &EMAIL, "ada@example.com");
    let mut peer = Document::new();
    peer.join(first);
    // The peer lacks the policy and overwrites what it has seen.
    let forged = set(&mut peer, DESK, 2, &EMAIL, "bob@example.com");
    owner.join(forged);

    let read = owner.read_at(&EMAIL, &policies).unwrap();
    assert_eq!((read.value, read.outcome), (None, Outcome::Empty));
    assert_eq!(read.ignored.len(), 1);
    let conflicts = owner.conflicts(&policies);
    assert_eq!(conflicts.len(), 1, "the field must be listed");
    assert_eq!(conflicts[0].path, EMAIL.map(String::from).to_vec());
    assert_eq!(conflicts[0].read.ignored[0].writer, DESK);
    assert_eq!(conflicts[0].read.ignored[0].value, "bob@example.com".into());
}

#[test]
fn a_session_writer_of_the_authority_is_the_authority() {
    let policies = policies();
    let restored = OWNER.session_writer(0x00ab_cdef_0123);
    let mut doc = Document::new();
    let guard = WriteGuard {
        writer: restored,
        policies: &policies,
        if_match: None,
    };
    guarded_set(&mut doc, &guard, 1, &EMAIL, "ada@example.com").unwrap();
    let read = doc.read_at(&EMAIL, &policies).unwrap();
    assert_eq!(read.value, Some("ada@example.com".into()));
    assert!(read.ignored.is_empty());
    // A session writer of another replica is not.
    let other = DESK.session_writer(0x00ab_cdef_0123);
    let guard = WriteGuard {
        writer: other,
        policies: &policies,
        if_match: None,
    };
    assert!(guarded_set(&mut doc, &guard, 2, &EMAIL, "x").is_err());
}

#[test]
fn a_conditional_write_refuses_a_stale_version_and_changes_nothing() {
    let policies = Policies::new();
    let status = ["holds", "h1", "status"];
    let mut doc = Document::new();
    // The empty version means "nothing written yet" (create if absent).
    let empty = FieldVersion::default();
    let create = WriteGuard {
        writer: DESK,
        policies: &policies,
        if_match: Some(&empty),
    };
    guarded_set(&mut doc, &create, 1, &status, "active").unwrap();
    assert!(guarded_set(&mut doc, &create, 2, &status, "again").is_err());

    let read = doc.read_at(&status, &policies).unwrap();
    let seen = read.version.clone();
    assert_eq!(seen.to_string().parse::<FieldVersion>().unwrap(), seen);
    let guard = WriteGuard {
        writer: DESK,
        policies: &policies,
        if_match: Some(&seen),
    };
    guarded_set(&mut doc, &guard, 3, &status, "confirmed").unwrap();
    let before = doc.clone();
    // The same version again is stale now.
    let stale = guarded_set(&mut doc, &guard, 4, &status, "released");
    let current = doc.read_at(&status, &policies).unwrap().version;
    assert_ne!(current, seen);
    assert_eq!(
        stale,
        Err(Error::Stale {
            path: status.map(String::from).to_vec(),
            current
        })
    );
    assert_eq!(doc, before);
    // Counters have versions too.
    let mut n = doc.version_at(&["holds", "h1", "seats"]);
    for _ in 0..2 {
        let guard = WriteGuard {
            writer: DESK,
            policies: &policies,
            if_match: Some(&n),
        };
        doc.guarded_update_at(&["holds", "h1", "seats"], &guard, |c: &mut Counter| {
            c.increment(DESK, 1)
        })
        .unwrap();
        n = doc.version_at(&["holds", "h1", "seats"]);
    }
}

/// What a precondition cannot promise: two replicas that read the same version both
/// pass their own check; their writes merge and show as concurrent.
#[test]
fn concurrent_conditional_writes_on_two_replicas_both_merge_and_show_as_a_conflict() {
    let mut policies = Policies::new();
    policies.set(&["holds", "*", "status"], Policy::KeepSiblings);
    let status = ["holds", "h1", "status"];
    let mut office = Document::new();
    let first = set(&mut office, OWNER, 1, &status, "active");
    let mut desk = Document::new();
    desk.join(first);
    let seen = office.version_at(&status);
    assert_eq!(desk.version_at(&status), seen);

    let g_office = WriteGuard {
        writer: OWNER,
        policies: &policies,
        if_match: Some(&seen),
    };
    let g_desk = WriteGuard {
        writer: DESK,
        policies: &policies,
        if_match: Some(&seen),
    };
    let a = guarded_set(&mut office, &g_office, 2, &status, "confirmed").unwrap();
    let b = guarded_set(&mut desk, &g_desk, 2, &status, "released").unwrap();
    let report = office.join_reporting(b, &policies);
    desk.join(a);
    assert_eq!(office, desk);
    assert_eq!(report.concurrent_writes, 1);
    assert_eq!(report.policies[0].verdict, Some(Verdict::Review));
    let conflicts = office.conflicts(&policies);
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].read.siblings.len(), 2);
    // And the merged version is neither one that was read or written.
    assert_ne!(office.version_at(&status), seen);
}

#[test]
fn policy_metrics_count_settled_review_ignored_and_refused_by_rule() {
    let mut policies = policies();
    policies.set(&["holds", "*", "notes"], Policy::KeepSiblings);
    let mut metrics = PolicyMetrics::new();
    let mut owner = Document::new();
    let mut desk = Document::new();
    // Concurrent writes: a default LWW field settles, a siblings field goes to review,
    // and the desk's email is ignored.
    set(&mut owner, OWNER, 1, &["holds", "h1", "status"], "active");
    set(&mut owner, OWNER, 1, &["holds", "h1", "notes"], "cot");
    set(&mut owner, OWNER, 1, &EMAIL, "ada@example.com");
    let b = joined(
        set(&mut desk, DESK, 2, &["holds", "h1", "status"], "confirmed"),
        set(&mut desk, DESK, 2, &["holds", "h1", "notes"], "late"),
    );
    let b = joined(b, set(&mut desk, DESK, 2, &EMAIL, "bob@example.com"));
    metrics.record_merge(&owner.join_reporting(b.clone(), &policies));
    // The same writes again are no news: nothing counted twice.
    metrics.record_merge(&owner.join_reporting(b, &policies));
    let guard = WriteGuard {
        writer: DESK,
        policies: &policies,
        if_match: None,
    };
    let refusal = guarded_set(&mut owner, &guard, 3, &EMAIL, "x").unwrap_err();
    metrics.record_refusal(&owner, &policies, &refusal);

    let key = |pattern: &str, policy: &str| RuleKey {
        pattern: pattern.to_owned().into(),
        policy: policy.to_owned().into(),
    };
    let counts = |k: RuleKey| metrics.get(&k).copied().unwrap_or_default();
    assert_eq!(
        counts(key("(default)", "lww")),
        PolicyCounts {
            settled: 1,
            ..PolicyCounts::default()
        }
    );
    assert_eq!(
        counts(key("holds/*/notes", "siblings")),
        PolicyCounts {
            review: 1,
            ..PolicyCounts::default()
        }
    );
    assert_eq!(
        counts(key("guests/*/email", "authority")),
        PolicyCounts {
            ignored: 1,
            refused: 1,
            ..PolicyCounts::default()
        }
    );
}

#[test]
fn field_versions_parse_only_their_own_form() {
    for bad in [
        "x",
        "a.1,",
        "000000000000000a.0",
        "000000000000000a.-1",
        "000000000000000a",
    ] {
        assert!(
            matches!(bad.parse::<FieldVersion>(), Err(Error::InvalidVersion(_))),
            "{bad}"
        );
    }
}
