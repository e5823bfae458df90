//! The `converge-relay` binary: serves the relay (and optionally a static app) until
//! SIGTERM or Ctrl-C, then drains.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use converge_relay::{
    check_listen_address, serve, Auth, Limits, RedisOptions, RedisStorage, RelayConfig,
    SqliteStorage, Storage,
};
use tracing::warn;

/// converge-relay: a durable sync server for converge documents.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Address to listen on (port 0 picks a free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// Directory for the SQLite database (ignored with --redis).
    #[arg(long, default_value = "relay-data")]
    data: PathBuf,
    /// Store in Redis Streams at this URL (`redis://127.0.0.1:6379`) instead of SQLite:
    /// several relay nodes on the same Redis serve the same documents. Redis must run
    /// with `appendonly yes`, `appendfsync always` and `maxmemory-policy noeviction`
    /// for the zero-loss promise (checked at startup).
    #[arg(long, env = "CONVERGE_RELAY_REDIS")]
    redis: Option<String>,
    /// This node's name with --redis (unique per node; default: host name and pid).
    #[arg(long)]
    node_name: Option<String>,
    /// Milliseconds a node holds the compaction lease of a document with --redis (0:
    /// no lease; still safe, since a snapshot only replaces an older one).
    #[arg(long, default_value_t = 30_000)]
    compaction_lease_ms: u64,
    /// HS256 secret for tokens. Without one, every connection may write, and the relay
    /// listens on loopback only (unless --allow-anonymous).
    #[arg(long, env = "CONVERGE_RELAY_SECRET", hide_env_values = true)]
    secret: Option<String>,
    /// Admit connections without a token (with write scope), and allow a non-loopback
    /// listen address without a secret.
    #[arg(long)]
    allow_anonymous: bool,
    /// Serve this directory's files at every other path (one process hosts an app).
    #[arg(long = "static")]
    static_dir: Option<PathBuf>,
    /// Largest frame accepted, bytes (close 4413).
    #[arg(long, default_value_t = Limits::default().max_frame_bytes)]
    max_frame_bytes: usize,
    /// Messages per second per connection (close 4429).
    #[arg(long, default_value_t = Limits::default().max_messages_per_second)]
    max_messages_per_second: u32,
    /// Open connections (close 4430).
    #[arg(long, default_value_t = Limits::default().max_connections)]
    max_connections: usize,
    /// Documents loaded at once (close 4431).
    #[arg(long, default_value_t = Limits::default().max_documents)]
    max_documents: usize,
    /// Frames queued per connection before it is dropped as a slow consumer (4408).
    #[arg(long, default_value_t = Limits::default().send_queue)]
    send_queue: usize,
    /// Seconds a document stays loaded with no connection.
    #[arg(long, default_value_t = 30)]
    idle_evict_secs: u64,
    /// Log entries between snapshots.
    #[arg(long, default_value_t = Limits::default().compact_every)]
    compact_every: u64,
    /// Microseconds the first message with news waits for others to share its commit
    /// (0: commit at once).
    #[arg(long, default_value_t = 2_000)]
    commit_gather_us: u64,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("converge-relay: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("converge-relay: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), converge_relay::Error> {
    let secret = args.secret.filter(|s| !s.is_empty());
    check_listen_address(args.listen, secret.is_some(), args.allow_anonymous)?;
    let storage: Arc<dyn Storage> = match &args.redis {
        Some(url) => {
            let node_name = args.node_name.clone().unwrap_or_else(|| {
                let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "node".into());
                format!("{host}-{}", std::process::id())
            });
            let mut options = RedisOptions::new(node_name);
            options.compaction_lease = (args.compaction_lease_ms > 0)
                .then(|| Duration::from_millis(args.compaction_lease_ms));
            let redis = RedisStorage::connect(url, options).await?;
            for warning in redis.persistence_warnings().await {
                warn!("{warning}");
            }
            Arc::new(redis)
        }
        None => Arc::new(SqliteStorage::open_dir(&args.data)?),
    };
    let limits = Limits {
        max_frame_bytes: args.max_frame_bytes,
        max_messages_per_second: args.max_messages_per_second,
        max_connections: args.max_connections,
        max_documents: args.max_documents,
        send_queue: args.send_queue,
        idle_evict: Duration::from_secs(args.idle_evict_secs),
        compact_every: args.compact_every.max(1),
        commit_gather: Duration::from_micros(args.commit_gather_us),
    };
    let mut config = RelayConfig::new(storage);
    config.auth = Auth::new(secret.as_deref().map(str::as_bytes), args.allow_anonymous);
    config.limits = limits;
    config.static_dir = args.static_dir;
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    // Tests and scripts read the bound address (port 0 picks one) from stdout.
    println!("listening on {}", listener.local_addr()?);
    serve(listener, config, shutdown_signal()).await?;
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
