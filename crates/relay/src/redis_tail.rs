//! The tail task of the Redis backend: one per node, on its own connection, reading
//! the streams of every document the node has loaded with one `XREAD BLOCK` (plus
//! the node's wake stream, which a newly followed document pokes), and handing each
//! document's entries to its hub.
//!
//! One task for all documents rather than one per document: a blocked `XREAD` holds
//! its connection, so a task per document would need a connection per document
//! (100,000 documents, 100,000 connections per node); one `XREAD` over many keys
//! costs one connection and one round trip per wake-up. (On a Redis Cluster this
//! becomes one task per shard, since a multi-key `XREAD` must stay on one shard.)
//!
//! When Redis is unreachable the task reconnects with backoff and resumes every
//! stream from the last id it delivered. A compaction's marker entry (`trim` = the
//! id its snapshot covers) beyond where a follower had read means entries it never
//! saw may be gone: it reloads the document (snapshot and the rest of the stream)
//! and hands that over instead.

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::streams::{StreamId, StreamReadReply};
use redis::AsyncConnectionConfig;
use tracing::{debug, info, warn};

use crate::redis_position::StreamPos;
use crate::redis_storage::{load_raw, stream_key, wake_key, RedisShared, DELTA_FIELD, TRIM_FIELD};
use crate::storage::Tailed;
use crate::Error;

/// How long one `XREAD` blocks when nothing arrives, milliseconds.
const BLOCK_MS: u64 = 2_000;
/// Entries read per stream per `XREAD`.
const READ_COUNT: usize = 512;
/// The longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// Runs until the storage is dropped.
pub(crate) async fn run(shared: Weak<RedisShared>) {
    let mut backoff = Duration::from_millis(50);
    loop {
        let Some(strong) = shared.upgrade() else {
            return;
        };
        let connected = connect(&strong).await;
        drop(strong);
        match connected {
            Ok((conn, wake_last)) => {
                backoff = Duration::from_millis(50);
                let e = follow(&shared, conn, wake_last).await;
                match e {
                    None => return,
                    Some(e) => warn!(error = %e, "redis tail: connection lost; reconnecting"),
                }
            }
            Err(e) => debug!(error = %e, "redis tail: cannot connect"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// A connection for blocking reads, and the wake stream's last id.
async fn connect(shared: &RedisShared) -> Result<(MultiplexedConnection, StreamPos), Error> {
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Duration::from_secs(2))
        .set_response_timeout(Duration::from_millis(BLOCK_MS + 3_000));
    let mut conn = shared
        .client
        .get_multiplexed_async_connection_with_config(&config)
        .await?;
    let last: Vec<StreamId> = redis::cmd("XREVRANGE")
        .arg(wake_key(&shared.options.node_name))
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(1)
        .query_async::<redis::streams::StreamRangeReply>(&mut conn)
        .await?
        .ids;
    let wake_last = last
        .first()
        .and_then(|id| StreamPos::parse(&id.id))
        .unwrap_or_default();
    info!("redis tail: connected");
    Ok((conn, wake_last))
}

/// Reads until the connection fails (the error) or the storage is dropped (`None`).
async fn follow(
    shared: &Weak<RedisShared>,
    mut conn: MultiplexedConnection,
    mut wake_last: StreamPos,
) -> Option<Error> {
    loop {
        let strong = shared.upgrade()?;
        let wake = wake_key(&strong.options.node_name);
        // The streams to read: (doc, subscription, from) in key order.
        let mut reading: HashMap<String, (String, u64, StreamPos)> = HashMap::new();
        let mut keys = Vec::new();
        let mut ids = Vec::new();
        if let Ok(followed) = strong.followed.lock() {
            for (doc, f) in followed.iter() {
                let key = stream_key(doc);
                keys.push(key.clone());
                ids.push(f.last.to_string());
                reading.insert(key, (doc.clone(), f.id, f.last));
            }
        }
        keys.push(wake.clone());
        ids.push(wake_last.to_string());
        drop(strong);
        let reply: Result<Option<StreamReadReply>, _> = redis::cmd("XREAD")
            .arg("COUNT")
            .arg(READ_COUNT)
            .arg("BLOCK")
            .arg(BLOCK_MS)
            .arg("STREAMS")
            .arg(&keys)
            .arg(&ids)
            .query_async(&mut conn)
            .await;
        let reply = match reply {
            Ok(reply) => reply.unwrap_or_default(),
            Err(e) => return Some(e.into()),
        };
        let strong = shared.upgrade()?;
        for stream in reply.keys {
            if stream.key == wake {
                if let Some(last) = stream.ids.last().and_then(|id| StreamPos::parse(&id.id)) {
                    wake_last = last;
                }
                continue;
            }
            let Some((doc, subscription, from)) = reading.remove(&stream.key) else {
                continue;
            };
            if let Err(e) = deliver(&strong, &doc, subscription, from, &stream.ids).await {
                return Some(e);
            }
        }
    }
}

/// Hands the entries `ids` (read after `from`) of `doc` to its hub, or a reload when
/// a trim marker says entries after `from` may be gone.
async fn deliver(
    shared: &Arc<RedisShared>,
    doc: &str,
    subscription: u64,
    from: StreamPos,
    ids: &[StreamId],
) -> Result<(), Error> {
    let mut entries = Vec::new();
    let mut last = from;
    let mut gap = false;
    for entry in ids {
        let Some(id) = StreamPos::parse(&entry.id) else {
            warn!(doc, id = entry.id, "skipping a stream entry with a bad id");
            continue;
        };
        if let Some(bytes) = entry.get::<Vec<u8>>(DELTA_FIELD) {
            entries.push((id.pack(), bytes));
        } else if let Some(trimmed) = entry
            .get::<String>(TRIM_FIELD)
            .and_then(|t| StreamPos::parse(&t))
        {
            if trimmed > from {
                gap = true;
                break;
            }
        }
        last = last.max(id);
    }
    let event = if gap {
        info!(doc, %from, "the stream was trimmed past what this node read: reloading");
        let mut conn = shared.conn.clone();
        let (loaded, reloaded_to) = load_raw(&mut conn, doc).await?;
        last = reloaded_to;
        Some(Tailed::Reloaded(loaded))
    } else if entries.is_empty() {
        None
    } else {
        Some(Tailed::Entries(entries))
    };
    let Ok(mut followed) = shared.followed.lock() else {
        return Ok(());
    };
    if let Some(f) = followed.get_mut(doc).filter(|f| f.id == subscription) {
        f.last = f.last.max(last);
        if let Some(event) = event {
            if f.sender.send(event).is_err() {
                followed.remove(doc);
            }
        }
    }
    Ok(())
}
