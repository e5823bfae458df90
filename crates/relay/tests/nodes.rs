//! The Rust client with several relay URLs: a dead first node is skipped, and a client
//! whose node stops moves to the next one and has its writes acknowledged there.
//! (Two SQLite relays share no state; nodes sharing one document over Redis are tested
//! with the Redis backend.)

mod support;

use std::time::Duration;

use converge_relay::{Client, ClientOptions, Error};
use support::{has_marker, write_marker, TestRelay};
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(20);

/// A loopback URL nothing listens on (a port bound, then released).
async fn dead_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("ws://{addr}")
}

#[tokio::test]
async fn a_client_skips_a_dead_node_and_moves_on_when_its_node_stops() {
    let (dir_a, dir_b) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let a = TestRelay::start(dir_a.path(), |_| {}).await;
    let b = TestRelay::start(dir_b.path(), |_| {}).await;
    let dead = dead_url().await;
    let client = Client::connect_nodes(
        &[dead.clone(), a.url(), b.url()],
        "moving",
        ClientOptions::default(),
    )
    .expect("client");
    assert_eq!(client.node_url(), dead, "the first URL is tried first");
    timeout(WAIT, client.wait_connected())
        .await
        .expect("in time")
        .expect("connected");
    assert_eq!(client.node_url(), a.url(), "the dead node was skipped");
    let seq = client.update(|doc, id| write_marker(doc, id, "c", 1));
    timeout(WAIT, client.wait_acked(seq))
        .await
        .expect("in time")
        .expect("acked on a");

    // Node a stops (drains with 1012): the client moves to b and resends there.
    a.stop().await;
    let seq = client.update(|doc, id| write_marker(doc, id, "c", 2));
    timeout(WAIT, client.wait_acked(seq))
        .await
        .expect("in time")
        .expect("acked on b");
    assert_eq!(client.node_url(), b.url());
    // b holds both writes (the client's interval since b's first contact: all of it).
    let reader = Client::connect(&b.url(), "moving", ClientOptions::default()).expect("reader");
    timeout(
        WAIT,
        reader.wait_until(|doc| has_marker(doc, "c", 1) && has_marker(doc, "c", 2)),
    )
    .await
    .expect("in time")
    .expect("b has both");
    client.close().await;
    reader.close().await;
    b.stop().await;
}

#[tokio::test]
async fn an_empty_node_list_is_a_configuration_error() {
    let none: [&str; 0] = [];
    assert!(matches!(
        Client::connect_nodes(&none, "d", ClientOptions::default()),
        Err(Error::Config(_))
    ));
}
