//! Two devices share a booking board, go offline, write concurrently, swap only
//! deltas as bytes, and converge; then the conflicts they met are put on display.
//!
//! Run it with `make demo` (`cargo run --release -p converge --example offline_demo`).

use converge::{
    Clock, Codec, Counter, DecodeError, Document, Hlc, Lattice, LwwRegister, ManualClock,
    MvRegister, NodeKind, OrSet, Policies, Policy, ReplicaId, Value,
};

type Lww = LwwRegister<Value>;
type Mv = MvRegister<Value>;
type Set = OrSet<Value>;

const PHONE: ReplicaId = ReplicaId::new(1);
const LAPTOP: ReplicaId = ReplicaId::new(2);
/// 2025-06-01 09:00:00 UTC, in milliseconds since the Unix epoch.
const NINE_AM: u64 = 1_748_768_400_000;
/// The laptop's wall clock runs this far behind real time (the phone's is exact).
const LAPTOP_LAG_MS: u64 = 2_000;
/// Concurrent LWW writes closer together than this may have been ordered by clock skew.
const SKEW_TOLERANCE_MS: u64 = 5_000;

/// One device: its replica id, its wall clock driving a hybrid logical clock, its
/// copy of the board, and the deltas it has made but not sent yet.
struct Device {
    id: ReplicaId,
    wall: ManualClock,
    hlc: Hlc<ManualClock>,
    board: Document,
    outbox: Vec<Document>,
}

impl Device {
    fn new(id: ReplicaId, wall: ManualClock) -> Self {
        let hlc = Hlc::new(wall.clone());
        let (board, outbox) = (Document::new(), Vec::new());
        Device {
            id,
            wall,
            hlc,
            board,
            outbox,
        }
    }

    /// Changes one field of hold h1 and keeps the delta for the next sync.
    fn edit<T: NodeKind>(
        &mut self,
        field: &str,
        change: impl FnOnce(&mut T, ReplicaId, &mut Hlc<ManualClock>) -> T,
    ) {
        let (id, hlc, path) = (self.id, &mut self.hlc, ["holds", "h1", field]);
        let delta = self
            .board
            .update_at(&path, |crdt: &mut T| change(crdt, id, hlc))
            .expect("a short path and a plain value are never refused");
        self.outbox.push(delta);
        // Show the field as it now reads on this device.
        let path: Vec<String> = path.iter().map(|k| (*k).to_owned()).collect();
        let value = self.board.to_value_with(&policies());
        let value = path.iter().try_fold(&value, |v, k| match v {
            Value::Object(fields) => fields.get(k),
            _ => None,
        });
        let value = value.map(Value::to_string).unwrap_or_default();
        let (who, now) = (name(id), time(self.wall.now_millis()));
        println!("  {who:<6} [clock {now}] {field}: {value}");
    }

    fn set(&mut self, field: &str, to: &str) {
        self.edit(field, |r: &mut Lww, id, hlc| r.set(id, hlc, to.into()))
    }

    fn note(&mut self, text: &str) {
        self.edit("notes", |r: &mut Mv, id, _| r.write(id, text.into()))
    }

    fn tag(&mut self, tag: &str) {
        self.edit("tags", |s: &mut Set, id, _| s.add(id, tag.into()))
    }

    fn add_seats(&mut self, n: u64) {
        self.edit("seats", |c: &mut Counter, id, _| c.increment(id, n))
    }
}

/// Sends `from`'s pending deltas to `to` as bytes, the way a transport would: joined
/// into one delta (a join of deltas is a delta), encoded, decoded on the other side.
fn sync(from: &mut Device, to: &mut Device) -> Result<(), DecodeError> {
    let count = from.outbox.len();
    let mut batch = Document::new();
    for delta in from.outbox.drain(..) {
        batch.join(delta);
    }
    let bytes = batch.encode().unwrap();
    let (sender, receiver, size) = (name(from.id), name(to.id), bytes.len());
    let full = from.board.encode().unwrap().len();
    println!("  {sender} -> {receiver}: {count} deltas, {size} bytes (full state: {full} bytes)");
    let report = to
        .board
        .join_reporting(Document::decode(&bytes)?, &policies());
    for (path, writes) in &report.by_path {
        println!(
            "    {receiver} met {writes} concurrent write(s) at {}",
            path.join("/")
        );
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut phone = Device::new(PHONE, ManualClock::new(NINE_AM));
    let mut laptop = Device::new(LAPTOP, ManualClock::new(NINE_AM - LAPTOP_LAG_MS));
    println!(
        "The laptop's clock runs {} s slow.\n",
        LAPTOP_LAG_MS / 1_000
    );

    println!("Online: the phone puts a hold on the board and syncs it to the laptop.");
    phone.set("status", "held");
    phone.set("expires_at", "09:30");
    phone.note("window seats?");
    phone.add_seats(2);
    phone.tag("vip");
    sync(&mut phone, &mut laptop)?;

    let (phone_edits_at, laptop_edits_at) = (NINE_AM + 60_000, NINE_AM + 61_000); // real time
    let gap = (laptop_edits_at - phone_edits_at) / 1_000;
    println!("\nOffline: both edit h1, the laptop {gap} s after the phone in real time.");
    phone.wall.set(phone_edits_at);
    phone.set("status", "confirmed");
    phone.tag("paid");
    phone.note("paid at the desk");
    laptop.wall.set(laptop_edits_at - LAPTOP_LAG_MS);
    laptop.set("expires_at", "10:00");
    laptop.set("status", "released");
    laptop.note("will call back");
    laptop.add_seats(1);
    let relation = phone.board.version().compare(laptop.board.version());
    println!("  phone's history vs laptop's: {relation:?}");

    println!("\nBack online: they swap only their deltas, as bytes.");
    sync(&mut phone, &mut laptop)?;
    sync(&mut laptop, &mut phone)?;
    let relation = phone.board.version().compare(laptop.board.version());
    println!("  phone's history vs laptop's: {relation:?}");

    println!("\nConverged board:");
    println!("  phone : {}", phone.board.to_value_with(&policies()));
    println!("  laptop: {}", laptop.board.to_value_with(&policies()));
    let (on_phone, on_laptop) = (
        phone.board.encode().unwrap(),
        laptop.board.encode().unwrap(),
    );
    let (a, b, same) = (on_phone.len(), on_laptop.len(), on_phone == on_laptop);
    println!("  encoded: {a} and {b} bytes, byte for byte identical: {same}");

    report_conflicts(&phone.board);
    Ok(())
}

/// The app's field policies: status by timestamp, but flagged when clock skew could
/// have decided it; notes keep every sibling.
fn policies() -> Policies {
    let mut policies = Policies::new();
    let skew_tolerance_ms = SKEW_TOLERANCE_MS;
    policies.set(
        &["holds", "*", "status"],
        Policy::LastWriterWins { skew_tolerance_ms },
    );
    policies.set(&["holds", "*", "notes"], Policy::KeepSiblings);
    policies
}

/// Lists the fields a person should look at, read under the app's policies.
fn report_conflicts(board: &Document) {
    println!(
        "\nNeeds a person (skew tolerance {} s):",
        SKEW_TOLERANCE_MS / 1_000
    );
    for conflict in board.conflicts(&policies()) {
        let (read, path) = (&conflict.read, conflict.path.join("/"));
        println!("  {path}: {:?}", read.outcome);
        for write in &read.siblings {
            let (value, by) = (&write.value, name(write.writer));
            let stamp = write.timestamp.map(|t| (time(t.millis), t.logical));
            let stamp = stamp.map(|(at, n)| format!(", stamped {at} (logical {n})"));
            let chosen = (read.value.as_ref() == Some(&write.value)).then_some("  <- the value");
            println!(
                "    {value} by {by}{}{}",
                stamp.unwrap_or_default(),
                chosen.unwrap_or_default()
            );
        }
    }
}

fn name(id: ReplicaId) -> &'static str {
    match id {
        PHONE => "phone",
        LAPTOP => "laptop",
        _ => "another replica",
    }
}

/// Time of day (UTC) of a wall-clock reading, to the millisecond.
fn time(millis: u64) -> String {
    let ms = millis % 86_400_000;
    let (h, m, s) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1_000 % 60);
    format!("{h:02}:{m:02}:{s:02}.{:03}", ms % 1_000)
}
