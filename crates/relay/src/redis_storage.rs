//! The Redis Streams backend of [`Storage`], for several relay nodes serving the same
//! documents: one stream per document (`converge:doc:{doc}:log`, the document name
//! hash-tagged so a Redis Cluster keeps a document's keys on one shard), its snapshot
//! in a hash (`converge:doc:{doc}:snapshot`: `ms`, `seq`, `bytes`, the snapshot
//! covering every entry up to stream id `ms-seq`).
//!
//! - **Append**: one `XADD` per entry in a `MULTI` transaction; resolves when Redis
//!   replied, so the relay acknowledges only what Redis holds. With `appendonly yes`
//!   and `appendfsync always` Redis replies only once the AOF is synced (the
//!   zero-loss promise needs both, and `maxmemory-policy noeviction`;
//!   [`RedisStorage::persistence_warnings`] checks them).
//! - **Follow**: every node tails the streams of its loaded documents (see
//!   `redis_tail.rs`) and hands the entries to the document's hub.
//! - **Compaction**: a lease (`SET NX PX`) lets one node at a time compact; the
//!   snapshot write itself is a script that refuses a snapshot older than the stored
//!   one and trims (`XTRIM MINID`) only below the snapshot it stored, in one atomic
//!   step, so correctness does not depend on the lease. The script then appends a
//!   marker entry (`trim` = the snapshot's id), by which a follower that had not read
//!   that far learns it must reload.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::streams::StreamRangeReply;
use tokio::sync::mpsc;
use tracing::{debug, warn};

use crate::redis_position::StreamPos;
use crate::redis_tail;
use crate::storage::{Follow, Loaded, Storage, StorageFuture, Tailed};
use crate::Error;

/// The field of a stream entry that holds a delta.
pub(crate) const DELTA_FIELD: &str = "d";
/// The field of a compaction's marker entry: the id its snapshot covers.
pub(crate) const TRIM_FIELD: &str = "trim";

/// How long one Redis command may take before it counts as failed (the write is
/// then not acknowledged; it may still be in Redis, which is harmless).
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a node's wake stream outlives its last use, milliseconds.
const WAKE_STREAM_TTL_MS: u64 = 24 * 3600 * 1000;
/// How long connecting to Redis may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Stores the snapshot only if it is newer than the stored one, trims the stream
/// below it and appends the trim marker, atomically. KEYS: stream, snapshot hash.
/// ARGV: snapshot bytes, ms, seq (the id it covers), the trim's MINID, the id again
/// as text. Returns 1 when stored, 0 when refused as older or equal.
const COMPACT_SCRIPT: &str = r"
local cur = redis.call('HMGET', KEYS[2], 'ms', 'seq')
if cur[1] then
  local cms, cseq = tonumber(cur[1]), tonumber(cur[2])
  local ms, seq = tonumber(ARGV[2]), tonumber(ARGV[3])
  if cms > ms or (cms == ms and cseq >= seq) then
    return 0
  end
end
redis.call('HSET', KEYS[2], 'ms', ARGV[2], 'seq', ARGV[3], 'bytes', ARGV[1])
redis.call('XTRIM', KEYS[1], 'MINID', ARGV[4])
redis.call('XADD', KEYS[1], '*', 'trim', ARGV[5])
return 1
";

/// Deletes the lease KEYS[1] if this node (ARGV[1]) still holds it.
const RELEASE_SCRIPT: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// How the Redis backend runs.
#[derive(Clone, Debug)]
pub struct RedisOptions {
    /// This node's name (in leases and logs; unique per node).
    pub node_name: String,
    /// How long a compaction lease lasts; `None` compacts without one (safe, only
    /// wasteful: two nodes may then write the same snapshot).
    pub compaction_lease: Option<Duration>,
    /// How many deliveries may wait for a document's hub (default 1024). A hub that
    /// falls further behind gets the document reloaded once it catches up, so a slow
    /// hub costs a reload, not unbounded memory.
    pub follow_queue: usize,
}

impl RedisOptions {
    /// Options for node `node_name` with a 30 s compaction lease and a follow queue
    /// of 1024.
    pub fn new(node_name: impl Into<String>) -> Self {
        RedisOptions {
            node_name: node_name.into(),
            compaction_lease: Some(Duration::from_secs(30)),
            follow_queue: 1024,
        }
    }
}

/// A document followed by this node: where its reading resumes and where entries go.
pub(crate) struct Followed {
    /// Which subscription this is (a reloaded document gets a new one).
    pub(crate) id: u64,
    /// The last stream id delivered.
    pub(crate) last: StreamPos,
    /// The hub's channel.
    pub(crate) sender: mpsc::Sender<Tailed>,
    /// The next delivery, once the channel has room, is a reload: entries were
    /// dropped because the channel was full, or the stream was trimmed past `last`.
    pub(crate) needs_reload: bool,
}

/// What the backend and its tail task share.
pub(crate) struct RedisShared {
    pub(crate) client: redis::Client,
    pub(crate) conn: ConnectionManager,
    pub(crate) options: RedisOptions,
    /// The documents followed, by name.
    pub(crate) followed: Mutex<HashMap<String, Followed>>,
    next_follow: AtomicU64,
    compact_script: redis::Script,
    release_script: redis::Script,
}

/// Redis Streams storage, for several relay nodes on one Redis (see the crate's
/// README). Cloning shares the connection and the tail task.
///
/// ```no_run
/// # async fn run() -> Result<(), converge_relay::Error> {
/// use std::sync::Arc;
/// use converge_relay::{serve, RedisOptions, RedisStorage, RelayConfig};
///
/// let storage =
///     RedisStorage::connect("redis://127.0.0.1:6379", RedisOptions::new("node-a")).await?;
/// for warning in storage.persistence_warnings().await {
///     eprintln!("{warning}"); // appendfsync, appendonly or eviction settings that lose writes
/// }
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8787").await?;
/// serve(listener, RelayConfig::new(Arc::new(storage)), async {
///     let _ = tokio::signal::ctrl_c().await;
/// })
/// .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStorage {
    shared: Arc<RedisShared>,
}

impl std::fmt::Debug for RedisStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStorage")
            .field("node_name", &self.shared.options.node_name)
            .finish_non_exhaustive()
    }
}

/// The key of `doc`'s stream.
pub(crate) fn stream_key(doc: &str) -> String {
    format!("converge:doc:{{{doc}}}:log")
}

/// The key of `doc`'s snapshot hash.
fn snapshot_key(doc: &str) -> String {
    format!("converge:doc:{{{doc}}}:snapshot")
}

/// The key of `doc`'s sync epoch (see [`Follow::epoch`]).
fn epoch_key(doc: &str) -> String {
    format!("converge:doc:{{{doc}}}:epoch")
}

/// `doc`'s sync epoch: the one stored, or a random one stored now (`SET NX`, so the
/// nodes that load a document at once agree on the first one set). Its high 32 bits
/// are 0: sessions of a relay are told apart by these random bits, not ordered.
async fn epoch(conn: &mut ConnectionManager, doc: &str) -> Result<u64, Error> {
    let random = converge_core::ReplicaId::random()?.get() & 0xffff_ffff;
    let (stored,): (u64,) = redis::pipe()
        .atomic()
        .cmd("SET")
        .arg(epoch_key(doc))
        .arg(random)
        .arg("NX")
        .ignore()
        .cmd("GET")
        .arg(epoch_key(doc))
        .query_async(conn)
        .await?;
    Ok(stored)
}

/// The key of `doc`'s compaction lease.
fn lease_key(doc: &str) -> String {
    format!("converge:doc:{{{doc}}}:lease")
}

/// The key of the stream that wakes node `node`'s tail task when it follows a new
/// document.
pub(crate) fn wake_key(node: &str) -> String {
    format!("converge:node:{{{node}}}:wake")
}

impl From<redis::RedisError> for Error {
    fn from(e: redis::RedisError) -> Self {
        Error::Storage(format!("redis: {e}"))
    }
}

impl RedisStorage {
    /// Connects to Redis at `url` (`redis://host:port[/db]`) and starts the task that
    /// follows this node's documents. Fails when Redis cannot be reached now; later
    /// outages are ridden out (commands fail meanwhile, and the relay refuses writes
    /// with 4503).
    pub async fn connect(url: &str, options: RedisOptions) -> Result<Self, Error> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(CONNECT_TIMEOUT)
            .set_response_timeout(RESPONSE_TIMEOUT)
            .set_number_of_retries(2)
            .set_max_delay(500);
        let conn = ConnectionManager::new_with_config(client.clone(), config).await?;
        let shared = Arc::new(RedisShared {
            client,
            conn,
            options,
            followed: Mutex::new(HashMap::new()),
            next_follow: AtomicU64::new(1),
            compact_script: redis::Script::new(COMPACT_SCRIPT),
            release_script: redis::Script::new(RELEASE_SCRIPT),
        });
        tokio::spawn(redis_tail::run(Arc::downgrade(&shared)));
        Ok(RedisStorage { shared })
    }

    /// What in Redis's configuration breaks the zero-loss promise: `appendonly`
    /// must be `yes`, `appendfsync` `always`, `maxmemory-policy` `noeviction`. Empty
    /// when all is well; a note when `CONFIG GET` is not allowed.
    pub async fn persistence_warnings(&self) -> Vec<String> {
        let mut conn = self.shared.conn.clone();
        let mut warnings = Vec::new();
        for (name, wanted) in [
            ("appendonly", "yes"),
            ("appendfsync", "always"),
            ("maxmemory-policy", "noeviction"),
        ] {
            let reply: Result<HashMap<String, String>, _> = redis::cmd("CONFIG")
                .arg("GET")
                .arg(name)
                .query_async(&mut conn)
                .await;
            match reply {
                Ok(values) => match values.get(name) {
                    Some(value) if value == wanted => {}
                    other => warnings.push(format!(
                        "redis {name} is {}, not {wanted}: acknowledged writes can be lost",
                        other.map_or("unset", String::as_str)
                    )),
                },
                Err(e) => {
                    warnings.push(format!("cannot check redis {name} (CONFIG GET: {e})"));
                }
            }
        }
        warnings
    }

    /// This node's name.
    pub fn node_name(&self) -> &str {
        &self.shared.options.node_name
    }
}

/// Reads `doc` atomically (snapshot and stream in one transaction); returns it with
/// the last stream id it covers.
pub(crate) async fn load_raw(
    conn: &mut ConnectionManager,
    doc: &str,
) -> Result<(Loaded, StreamPos), Error> {
    let (snapshot, range): (Vec<Option<Vec<u8>>>, StreamRangeReply) = redis::pipe()
        .atomic()
        .cmd("HMGET")
        .arg(snapshot_key(doc))
        .arg("ms")
        .arg("seq")
        .arg("bytes")
        .cmd("XRANGE")
        .arg(stream_key(doc))
        .arg("-")
        .arg("+")
        .query_async(conn)
        .await?;
    let mut loaded = Loaded::default();
    let mut last = StreamPos::default();
    if let [Some(ms), Some(seq), Some(bytes)] = snapshot.as_slice() {
        let id = std::str::from_utf8(ms)
            .ok()
            .zip(std::str::from_utf8(seq).ok())
            .and_then(|(ms, seq)| StreamPos::parse(&format!("{ms}-{seq}")))
            .ok_or_else(|| Error::Storage(format!("redis: a bad snapshot id for {doc}")))?;
        loaded.snapshot = Some((id.pack(), bytes.clone()));
        last = id;
    }
    for entry in range.ids {
        let Some(id) = StreamPos::parse(&entry.id) else {
            warn!(doc, id = entry.id, "skipping a stream entry with a bad id");
            continue;
        };
        if let Some(bytes) = entry.get::<Vec<u8>>(DELTA_FIELD) {
            loaded.log.push((id.pack(), bytes));
        }
        last = last.max(id);
    }
    Ok((loaded, last))
}

impl Storage for RedisStorage {
    fn load<'a>(&'a self, doc: &'a str) -> StorageFuture<'a, Loaded> {
        Box::pin(async move {
            let mut conn = self.shared.conn.clone();
            Ok(load_raw(&mut conn, doc).await?.0)
        })
    }

    fn append<'a>(&'a self, doc: &'a str, entries: Vec<Vec<u8>>) -> StorageFuture<'a, u64> {
        Box::pin(async move {
            let key = stream_key(doc);
            let mut pipe = redis::pipe();
            pipe.atomic();
            for entry in &entries {
                pipe.cmd("XADD")
                    .arg(&key)
                    .arg("*")
                    .arg(DELTA_FIELD)
                    .arg(entry.as_slice());
            }
            let mut conn = self.shared.conn.clone();
            let ids: Vec<String> = pipe.query_async(&mut conn).await?;
            let last = ids
                .last()
                .and_then(|id| StreamPos::parse(id))
                .map_or(0, StreamPos::pack);
            Ok(last)
        })
    }

    fn compact<'a>(&'a self, doc: &'a str, snapshot: Vec<u8>, up_to: u64) -> StorageFuture<'a, ()> {
        Box::pin(async move {
            let shared = &self.shared;
            let mut conn = shared.conn.clone();
            let node = &shared.options.node_name;
            if let Some(lease) = shared.options.compaction_lease {
                let millis = u64::try_from(lease.as_millis()).unwrap_or(u64::MAX).max(1);
                let got: Option<String> = redis::cmd("SET")
                    .arg(lease_key(doc))
                    .arg(node)
                    .arg("NX")
                    .arg("PX")
                    .arg(millis)
                    .query_async(&mut conn)
                    .await?;
                if got.is_none() {
                    debug!(doc, "another node holds the compaction lease");
                    return Ok(());
                }
            }
            let id = StreamPos::unpack(up_to);
            let stored: Result<i64, _> = shared
                .compact_script
                .key(stream_key(doc))
                .key(snapshot_key(doc))
                .arg(snapshot)
                .arg(id.ms)
                .arg(id.seq)
                .arg(id.successor().to_string())
                .arg(id.to_string())
                .invoke_async(&mut conn)
                .await;
            if shared.options.compaction_lease.is_some() {
                let released: Result<i64, _> = shared
                    .release_script
                    .key(lease_key(doc))
                    .arg(node)
                    .invoke_async(&mut conn)
                    .await;
                if let Err(e) = released {
                    debug!(doc, error = %e, "cannot release the lease (it expires)");
                }
            }
            if stored? == 0 {
                debug!(doc, %id, "a newer snapshot is stored: nothing to compact");
            }
            Ok(())
        })
    }

    fn load_and_follow<'a>(&'a self, doc: &'a str) -> StorageFuture<'a, (Loaded, Option<Follow>)> {
        Box::pin(async move {
            let shared = &self.shared;
            let mut conn = shared.conn.clone();
            let epoch = epoch(&mut conn, doc).await?;
            let (loaded, last) = load_raw(&mut conn, doc).await?;
            let (sender, entries) = mpsc::channel(shared.options.follow_queue.max(1));
            let id = shared.next_follow.fetch_add(1, Relaxed);
            shared
                .followed
                .lock()
                .map_err(|_| Error::Storage("the redis tail task panicked".into()))?
                .insert(
                    doc.to_owned(),
                    Followed {
                        id,
                        last,
                        sender,
                        needs_reload: false,
                    },
                );
            // Wake the tail task so that it reads this stream too (else it would from
            // its next round, within its block timeout). The wake stream expires a day
            // after its last use, so nodes that are gone leave nothing behind.
            let wake = wake_key(&shared.options.node_name);
            let woke: Result<(), _> = redis::pipe()
                .cmd("XADD")
                .arg(&wake)
                .arg("MAXLEN")
                .arg("~")
                .arg(16)
                .arg("*")
                .arg("w")
                .arg(1)
                .ignore()
                .cmd("PEXPIRE")
                .arg(&wake)
                .arg(WAKE_STREAM_TTL_MS)
                .ignore()
                .query_async(&mut conn)
                .await;
            if let Err(e) = woke {
                debug!(doc, error = %e, "cannot wake the tail task");
            }
            let guard = Unfollow {
                shared: Arc::downgrade(shared),
                doc: doc.to_owned(),
                id,
            };
            Ok((
                loaded,
                Some(Follow {
                    entries,
                    epoch,
                    guard: Box::new(guard),
                }),
            ))
        })
    }
}

/// Stops following a document when the hub drops its [`Follow`].
struct Unfollow {
    shared: std::sync::Weak<RedisShared>,
    doc: String,
    id: u64,
}

impl Drop for Unfollow {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.upgrade() {
            if let Ok(mut followed) = shared.followed.lock() {
                if followed.get(&self.doc).is_some_and(|f| f.id == self.id) {
                    followed.remove(&self.doc);
                }
            }
        }
    }
}
