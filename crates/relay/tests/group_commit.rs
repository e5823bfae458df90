//! Group commit: a write that reaches the relay while an earlier one waits out the
//! gather time (`Limits::commit_gather`) shares its commit, so a burst of writes
//! costs one commit (one disk flush), not one each.

mod support;

use std::time::Duration;

use converge_relay::{Client, ClientOptions};
use support::{write_marker, TestRelay};
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(20);

/// How many commits the metrics text reports.
fn commits(metrics: &str) -> u64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("converge_relay_commit_seconds_count "))
        .and_then(|n| n.trim().parse().ok())
        .expect("the commit histogram")
}

#[tokio::test]
async fn writes_within_the_gather_time_share_one_commit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let relay = TestRelay::start(dir.path(), |c| {
        c.limits.commit_gather = Duration::from_secs(2);
    })
    .await;
    let a = Client::connect(&relay.url(), "burst", ClientOptions::default()).expect("a");
    let b = Client::connect(&relay.url(), "burst", ClientOptions::default()).expect("b");
    for c in [&a, &b] {
        timeout(WAIT, c.wait_connected())
            .await
            .expect("in time")
            .expect("connected");
    }
    // Both clients' empty states go first (a client with nothing acked sends its
    // full state); they bring no news and commit nothing.
    let seq_a = a.update(|doc, id| write_marker(doc, id, "a", 1));
    // Well within the gather time, well beyond a commit of a's write alone.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let seq_b = b.update(|doc, id| write_marker(doc, id, "b", 1));
    for (c, seq) in [(&a, seq_a), (&b, seq_b)] {
        timeout(WAIT, c.wait_acked(seq))
            .await
            .expect("in time")
            .expect("acked");
    }
    a.close().await;
    b.close().await;
    let metrics = relay.stop().await;
    assert_eq!(
        commits(&metrics.render()),
        1,
        "the two writes took two commits"
    );
}
