//! Real processes for the Redis tests: a `redis-server` on a free port with a
//! temporary directory and AOF on (installed from Debian's packages when missing and
//! running as root), and relay nodes (the built binary) on it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Serializes the installation of redis-server across the tests of one binary.
static INSTALL: Mutex<()> = Mutex::new(());

/// The `redis-server` binary: on the PATH or in /usr/bin or /usr/sbin; installed
/// with apt-get when missing and running as root; else the test fails saying so.
pub fn redis_server_binary() -> PathBuf {
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(found) = find_redis_server() {
        return found;
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    assert!(
        root,
        "redis-server is not installed and this is not root: install it \
         (Debian/Ubuntu: `sudo apt-get install -y redis-server`, or `make redis-server`)"
    );
    eprintln!("redis-server missing: apt-get update && apt-get install -y redis-server");
    let status = Command::new("sh")
        .args([
            "-c",
            "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server",
        ])
        .status()
        .expect("run apt-get");
    assert!(status.success(), "apt-get install redis-server failed");
    find_redis_server().expect("redis-server installed but not found")
}

fn find_redis_server() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join("redis-server"))
        .find(|p| p.is_file())
}

/// A free loopback port (bound and released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A redis-server child process.
pub struct RedisServer {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts redis-server on a free port, its files in `dir`, with AOF synced on
    /// every write and no RDB snapshots.
    pub fn start(dir: &Path) -> RedisServer {
        let mut server = RedisServer {
            port: free_port(),
            dir: dir.to_owned(),
            child: None,
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let binary = redis_server_binary();
        let started = Instant::now();
        loop {
            let child = Command::new(&binary)
                .arg("--port")
                .arg(self.port.to_string())
                .arg("--bind")
                .arg("127.0.0.1")
                .arg("--dir")
                .arg(&self.dir)
                .args([
                    "--appendonly",
                    "yes",
                    "--appendfsync",
                    "always",
                    "--save",
                    "",
                ])
                .args(["--maxmemory-policy", "noeviction", "--daemonize", "no"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn redis-server");
            self.child = Some(child);
            if self.wait_ready(Duration::from_secs(10)) {
                return;
            }
            self.kill();
            // The port may still be held (a restart): try again for a while.
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "redis-server did not start on port {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn wait_ready(&mut self, limit: Duration) -> bool {
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Some(child) = &mut self.child {
                if child.try_wait().ok().flatten().is_some() {
                    return false;
                }
            }
            if ping(self.port) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// `redis://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// SIGKILLs the server.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port and directory (it replays its AOF).
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Whether a Redis answers PING on `port`.
fn ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    if stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut reply = [0u8; 7];
    stream.read_exact(&mut reply).is_ok() && &reply == b"+PONG\r\n"
}

/// A relay node child process on a Redis.
pub struct Node {
    pub name: String,
    pub addr: String,
    redis_url: String,
    extra: Vec<String>,
    child: Option<Child>,
}

impl Node {
    /// Starts node `name` on `redis_url`, listening on a free port; `extra` are more
    /// command-line arguments.
    pub fn start(name: &str, redis_url: &str, extra: &[&str]) -> Node {
        let mut node = Node {
            name: name.to_owned(),
            addr: "127.0.0.1:0".to_owned(),
            redis_url: redis_url.to_owned(),
            extra: extra.iter().map(|s| (*s).to_owned()).collect(),
            child: None,
        };
        node.spawn();
        node
    }

    fn spawn(&mut self) {
        let started = Instant::now();
        loop {
            let mut child = Command::new(env!("CARGO_BIN_EXE_converge-relay"))
                .args(["--redis", &self.redis_url, "--node-name", &self.name])
                .args(["--listen", &self.addr])
                .args(["--max-messages-per-second", "100000"])
                .args(&self.extra)
                .env(
                    "RUST_LOG",
                    std::env::var("REDIS_TEST_RELAY_LOG").unwrap_or_else(|_| "warn".into()),
                )
                .stdout(Stdio::piped())
                .stderr(if std::env::var_os("REDIS_TEST_RELAY_LOG").is_some() {
                    Stdio::inherit()
                } else {
                    Stdio::null()
                })
                .spawn()
                .expect("spawn the relay");
            let mut line = String::new();
            if let Some(stdout) = child.stdout.take() {
                let _ = BufReader::new(stdout).read_line(&mut line);
            }
            if let Some(addr) = line.trim().strip_prefix("listening on ") {
                self.addr = addr.to_owned();
                self.child = Some(child);
                return;
            }
            let _ = child.kill();
            let _ = child.wait();
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "relay node {} did not start",
                self.name
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `ws://addr`.
    pub fn url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// SIGKILLs the node.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends the node `signal` (`STOP`, `CONT`).
    pub fn signal(&self, signal: &str) {
        if let Some(child) = &self.child {
            let status = Command::new("kill")
                .arg(format!("-{signal}"))
                .arg(child.id().to_string())
                .status()
                .expect("run kill");
            assert!(status.success(), "kill -{signal} the node");
        }
    }

    /// Starts it again on the same address.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// The value of metric `name` (a counter or gauge without labels) on this node.
    pub fn metric(&self, name: &str) -> Option<f64> {
        let mut stream = TcpStream::connect(&self.addr).ok()?;
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let request = format!(
            "GET /metrics HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        );
        stream.write_all(request.as_bytes()).ok()?;
        let mut body = String::new();
        stream.read_to_string(&mut body).ok()?;
        body.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.signal("CONT");
        self.kill();
    }
}
