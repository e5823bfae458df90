//! Field policies and conflict visibility, on the seeds' booking case: a hold record
//! edited on two replicas at once. A status resolver keeps `confirmed` (it absorbs),
//! an expiry resolver keeps the later time, `released` against `active` is surfaced as
//! a conflict (not silently settled), and a plain write resolves it everywhere.

use std::collections::BTreeSet;

use converge_core::{Hlc, Lattice, ManualClock, ReplicaId};
use converge_lwwregister::LwwRegister;
use converge_mvregister::MvRegister;
use converge_ormap::{Document, Outcome, Policies, Policy, Resolution, Resolver, Sibling, Value};

const OFFICE: ReplicaId = ReplicaId::new(0xa);
const DESK: ReplicaId = ReplicaId::new(0xb);

struct Replica {
    id: ReplicaId,
    time: ManualClock,
    clock: Hlc<ManualClock>,
    doc: Document,
}

impl Replica {
    fn new(id: ReplicaId, now: u64) -> Self {
        let time = ManualClock::new(now);
        Replica {
            id,
            clock: Hlc::new(time.clone()),
            time,
            doc: Document::new(),
        }
    }

    fn set(&mut self, path: &[&str], value: impl Into<Value>) -> Document {
        let (id, clock, value) = (self.id, &mut self.clock, value.into());
        self.doc
            .update_at(path, |r: &mut LwwRegister<Value>| r.set(id, clock, value))
            .unwrap()
    }
}

fn booking_policies() -> Policies {
    let status = Resolver::new("status", |siblings: &[Sibling]| {
        let values: BTreeSet<&str> = siblings.iter().filter_map(|s| s.value.as_str()).collect();
        if values.contains("confirmed") {
            Resolution::Value("confirmed".into())
        } else if values.len() == 1 {
            Resolution::Value(siblings[0].value.clone())
        } else {
            Resolution::Unresolved
        }
    });
    let later = Resolver::new("later", |siblings: &[Sibling]| {
        siblings
            .iter()
            .map(|s| s.value.clone())
            .max()
            .map_or(Resolution::Unresolved, Resolution::Value)
    });
    let mut policies = Policies::new();
    policies
        .set(&["holds", "*", "status"], Policy::Resolve(status))
        .set(&["holds", "*", "expires_at"], Policy::Resolve(later))
        .set(&["holds", "*", "notes"], Policy::KeepSiblings)
        .set(&["holds", "*", "guest"], Policy::Authority([OFFICE].into()));
    policies
}

/// Two replicas that share a hold, then write concurrently: returns both, merged.
fn concurrently(
    office_writes: impl FnOnce(&mut Replica) -> Document,
    desk_writes: impl FnOnce(&mut Replica) -> Document,
) -> (Replica, Replica) {
    let mut office = Replica::new(OFFICE, 1_000);
    let mut desk = Replica::new(DESK, 1_000);
    let d1 = office.set(&["holds", "h1", "status"], "active");
    let d2 = office.set(&["holds", "h1", "expires_at"], 5_000i64);
    desk.doc.join(d1.joined(d2));

    office.time.set(2_000);
    desk.time.set(3_000); // the desk's clock runs ahead
    let from_office = office_writes(&mut office);
    let from_desk = desk_writes(&mut desk);
    let policies = booking_policies();
    let office_report = office.doc.join_reporting(from_desk, &policies);
    let desk_report = desk.doc.join_reporting(from_office, &policies);
    assert_eq!(office.doc, desk.doc, "replicas diverged");
    assert_eq!(
        office_report.concurrent_writes,
        desk_report.concurrent_writes
    );
    (office, desk)
}

trait Joined {
    fn joined(self, other: Document) -> Document;
}

impl Joined for Document {
    fn joined(mut self, other: Document) -> Document {
        self.join(other);
        self
    }
}

#[test]
fn confirmed_absorbs_and_the_later_expiry_wins() {
    let policies = booking_policies();
    let (office, desk) = concurrently(
        |office| {
            // The office extends the hold and (concurrently) re-activates it.
            let a = office.set(&["holds", "h1", "expires_at"], 9_000i64);
            a.joined(office.set(&["holds", "h1", "status"], "active"))
        },
        |desk| {
            // The desk confirms it and, with a later clock, shortens the expiry.
            let a = desk.set(&["holds", "h1", "status"], "confirmed");
            a.joined(desk.set(&["holds", "h1", "expires_at"], 6_000i64))
        },
    );
    for replica in [&office, &desk] {
        let status = replica
            .doc
            .read_at(&["holds", "h1", "status"], &policies)
            .unwrap();
        assert_eq!(status.value, Some("confirmed".into()));
        assert_eq!(
            status.outcome,
            Outcome::Resolved {
                resolver: "status".into()
            }
        );
        assert_eq!(status.siblings.len(), 2);

        let expiry = replica
            .doc
            .read_at(&["holds", "h1", "expires_at"], &policies)
            .unwrap();
        assert_eq!(
            expiry.value,
            Some(9_000i64.into()),
            "the later expiry must win"
        );
        // Plain last-writer-wins would have taken the desk's 6,000 (its clock is ahead).
        let lww = replica
            .doc
            .read_at(&["holds", "h1", "expires_at"], &Policies::new())
            .unwrap();
        assert_eq!(lww.value, Some(6_000i64.into()));
        assert_eq!(lww.outcome, Outcome::LastWriterWins);

        assert!(
            replica.doc.conflicts(&policies).is_empty(),
            "resolved fields are not conflicts"
        );
    }
}

#[test]
fn released_against_active_is_surfaced_then_resolved_by_a_write() {
    let policies = booking_policies();
    let (mut office, mut desk) = concurrently(
        |office| office.set(&["holds", "h1", "status"], "released"),
        |desk| desk.set(&["holds", "h1", "status"], "active"),
    );
    for replica in [&office, &desk] {
        let conflicts = replica.doc.conflicts(&policies);
        assert_eq!(conflicts.len(), 1);
        let c = &conflicts[0];
        assert_eq!(c.path, ["holds", "h1", "status"]);
        assert_eq!(
            c.read.outcome,
            Outcome::Conflict {
                resolver: "status".into()
            }
        );
        let mut seen: Vec<(ReplicaId, Value)> = c
            .read
            .siblings
            .iter()
            .map(|s| (s.writer, s.value.clone()))
            .collect();
        seen.sort();
        assert_eq!(
            seen,
            vec![(OFFICE, "released".into()), (DESK, "active".into())]
        );
    }

    // A person picks "released" at the desk: an ordinary write supersedes both.
    let resolution = desk.set(&["holds", "h1", "status"], "released");
    let report = office.doc.join_reporting(resolution, &policies);
    assert_eq!(report.concurrent_writes, 0);
    assert_eq!(office.doc, desk.doc);
    for replica in [&office, &desk] {
        assert!(replica.doc.conflicts(&policies).is_empty());
        let status = replica
            .doc
            .read_at(&["holds", "h1", "status"], &policies)
            .unwrap();
        assert_eq!(
            (status.value, status.outcome),
            (Some("released".into()), Outcome::Single)
        );
    }
}

#[test]
fn merges_report_the_concurrent_writes_they_meet() {
    let mut office = Replica::new(OFFICE, 1_000);
    let mut desk = Replica::new(DESK, 1_000);
    let a = office.set(&["holds", "h1", "status"], "active");
    let b = desk.set(&["holds", "h1", "status"], "confirmed");
    let c = desk.set(&["holds", "h2", "status"], "active");
    let policies = Policies::new();
    let report = office.doc.join_reporting(b.joined(c), &policies);
    assert_eq!(report.concurrent_writes, 1);
    assert_eq!(report.by_path.len(), 1);
    assert_eq!(*report.by_path[0].0, ["holds", "h1", "status"]);
    // The same delta again meets nothing new.
    let again = desk.doc.clone();
    assert_eq!(
        office
            .doc
            .join_reporting(again, &policies)
            .concurrent_writes,
        0
    );
    drop(a);
}

#[test]
fn keep_siblings_shows_every_note_and_authority_ignores_other_writers() {
    let policies = booking_policies();
    let (office, _desk) = concurrently(
        |office| {
            let id = office.id;
            let n = office
                .doc
                .update_at(&["holds", "h1", "notes"], |r: &mut MvRegister<Value>| {
                    r.write(id, "late check-in".into())
                })
                .unwrap();
            n.joined(office.set(&["holds", "h1", "guest"], "Ada"))
        },
        |desk| {
            let id = desk.id;
            let n = desk
                .doc
                .update_at(&["holds", "h1", "notes"], |r: &mut MvRegister<Value>| {
                    r.write(id, "needs cot".into())
                })
                .unwrap();
            n.joined(desk.set(&["holds", "h1", "guest"], "Bob"))
        },
    );
    let notes = office
        .doc
        .read_at(&["holds", "h1", "notes"], &policies)
        .unwrap();
    assert_eq!(notes.outcome, Outcome::Siblings);
    assert_eq!(notes.value, None);
    assert_eq!(notes.siblings.len(), 2);

    let guest = office
        .doc
        .read_at(&["holds", "h1", "guest"], &policies)
        .unwrap();
    assert_eq!(
        guest.value,
        Some("Ada".into()),
        "only the office's write counts"
    );
    assert_eq!(guest.outcome, Outcome::Single);
    assert_eq!(guest.ignored.len(), 1);
    assert_eq!(guest.ignored[0].writer, DESK);

    let paths: Vec<Vec<String>> = office
        .doc
        .conflicts(&policies)
        .into_iter()
        .map(|c| c.path)
        .collect();
    // The ignored write is listed too (issue 14, item 11): nothing vanishes silently.
    assert_eq!(
        paths,
        vec![
            vec!["holds".to_owned(), "h1".into(), "guest".into()],
            vec!["holds".to_owned(), "h1".into(), "notes".into()]
        ]
    );
}
