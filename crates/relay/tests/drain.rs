//! SIGTERM drains the relay binary: sockets close with 1012 (reconnect), the process
//! exits cleanly, and what it acknowledged is there after a restart.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use converge_core::ReplicaId;
use converge_ormap::Document;
use converge_relay::{close_code, Client, ClientOptions, RELAY_PEER_ID};
use futures_util::{SinkExt, StreamExt};
use support::{count_write, counted};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(20);

fn spawn_relay(listen: &str, data: &std::path::Path) -> (std::process::Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_converge-relay"))
        .args(["--listen", listen, "--data"])
        .arg(data)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the relay");
    let mut line = String::new();
    if let Some(stdout) = child.stdout.take() {
        let _ = BufReader::new(stdout).read_line(&mut line);
    }
    let addr = line.trim().strip_prefix("listening on ").map(str::to_owned);
    match addr {
        Some(addr) => (child, addr),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the relay did not start: {line:?}");
        }
    }
}

#[tokio::test]
async fn sigterm_closes_sockets_with_1012_and_exits_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut relay, addr) = spawn_relay("127.0.0.1:0", dir.path());
    let url = format!("ws://{addr}");
    let writer = Client::connect(&url, "d", ClientOptions::default()).expect("client");
    let seq = writer.update(|doc, w| count_write(doc, w, "writer"));
    timeout(WAIT, writer.wait_acked(seq))
        .await
        .expect("acked")
        .expect("acked");

    let (mut socket, _) = tokio_tungstenite::connect_async(format!("{url}/v1/docs/d"))
        .await
        .expect("connect");
    let mut replica =
        converge_sync::Replica::new(ReplicaId::new(5), Document::new()).expect("replica");
    let hello = replica.hello(RELAY_PEER_ID).expect("hello");
    socket
        .send(Message::Binary(hello.into()))
        .await
        .expect("send");

    let status = Command::new("kill")
        .args(["-TERM", &relay.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(status.success());
    let code = timeout(WAIT, async {
        while let Some(message) = socket.next().await {
            if let Ok(Message::Close(frame)) = message {
                return frame.map(|f| u16::from(f.code));
            }
        }
        None
    })
    .await
    .expect("closed in time");
    assert_eq!(code, Some(close_code::RESTARTING));
    let exit = timeout(WAIT, tokio::task::spawn_blocking(move || relay.wait()))
        .await
        .expect("exits in time")
        .expect("join")
        .expect("wait");
    assert!(exit.success(), "{exit:?}");
    writer.close().await;

    let (relay, addr) = spawn_relay("127.0.0.1:0", dir.path());
    let _reaper = Reaper(relay);
    let reader =
        Client::connect(&format!("ws://{addr}"), "d", ClientOptions::default()).expect("client");
    timeout(WAIT, reader.wait_until(|d| counted(d, "writer") == 1))
        .await
        .expect("the write survives")
        .expect("synced");
    reader.close().await;
}

/// Kills the relay child when dropped (also when the test panics).
struct Reaper(std::process::Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
