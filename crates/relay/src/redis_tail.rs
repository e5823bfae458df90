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
//! and hands that over instead. So does a hub whose bounded queue overflowed, once
//! it has room again: a slow hub costs a reload, never unbounded memory.

use std::collections::HashMap;
use std::sync::Weak;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::streams::{StreamId, StreamReadReply};
use redis::AsyncConnectionConfig;
use tokio::sync::mpsc;
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
        // First the reloads owed to hubs that now have room for one.
        let reloads: Vec<(String, u64)> = strong.followed.lock().map_or(Vec::new(), |f| {
            f.iter()
                .filter(|(_, f)| f.needs_reload && f.sender.capacity() > 0)
                .map(|(doc, f)| (doc.clone(), f.id))
                .collect()
        });
        for (doc, subscription) in reloads {
            if let Err(e) = reload(&strong, &doc, subscription).await {
                return Some(e);
            }
        }
        let wake = wake_key(&strong.options.node_name);
        // The streams to read: (doc, subscription, from) by key.
        let mut reading: HashMap<String, (String, u64, StreamPos)> = HashMap::new();
        let mut keys = Vec::new();
        let mut ids = Vec::new();
        let mut reload_owed = false;
        if let Ok(followed) = strong.followed.lock() {
            for (doc, f) in followed.iter() {
                let key = stream_key(doc);
                keys.push(key.clone());
                ids.push(f.last.to_string());
                reading.insert(key, (doc.clone(), f.id, f.last));
                reload_owed |= f.needs_reload;
            }
        }
        keys.push(wake.clone());
        ids.push(wake_last.to_string());
        drop(strong);
        // A hub owed a reload is checked for room again soon.
        let block = if reload_owed { 50 } else { BLOCK_MS };
        let reply: Result<Option<StreamReadReply>, _> = redis::cmd("XREAD")
            .arg("COUNT")
            .arg(READ_COUNT)
            .arg("BLOCK")
            .arg(block)
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
            if let Some((doc, subscription, from)) = reading.remove(&stream.key) {
                deliver(&strong, &doc, subscription, from, &stream.ids);
            }
        }
    }
}

/// Hands the entries `ids` (read after `from`) of `doc` to its hub; or, when a trim
/// marker says entries after `from` may be gone or the hub's queue is full, owes it
/// a reload instead.
fn deliver(shared: &RedisShared, doc: &str, subscription: u64, from: StreamPos, ids: &[StreamId]) {
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
            gap |= trimmed > from;
        }
        last = last.max(id);
    }
    let Ok(mut followed) = shared.followed.lock() else {
        return;
    };
    let Some(f) = followed.get_mut(doc).filter(|f| f.id == subscription) else {
        return;
    };
    // What was read is in the reload, if one is owed: it is read later.
    f.last = f.last.max(last);
    if gap && !f.needs_reload {
        info!(doc, %from, "the stream was trimmed past what this node read: reloading");
        f.needs_reload = true;
    }
    if f.needs_reload || entries.is_empty() {
        return;
    }
    match f.sender.try_send(Tailed::Entries(entries)) {
        Ok(()) => {}
        Err(mpsc::error::TrySendError::Full(_)) => {
            warn!(doc, "the document's hub is a queue behind: it will reload");
            f.needs_reload = true;
        }
        Err(mpsc::error::TrySendError::Closed(_)) => {
            followed.remove(doc);
        }
    }
}

/// Reloads `doc` (snapshot and stream) for a hub owed a reload, and hands it over.
async fn reload(shared: &RedisShared, doc: &str, subscription: u64) -> Result<(), Error> {
    let mut conn = shared.conn.clone();
    let (loaded, reloaded_to) = load_raw(&mut conn, doc).await?;
    let Ok(mut followed) = shared.followed.lock() else {
        return Ok(());
    };
    let Some(f) = followed.get_mut(doc).filter(|f| f.id == subscription) else {
        return Ok(());
    };
    match f.sender.try_send(Tailed::Reloaded(loaded)) {
        Ok(()) => {
            f.needs_reload = false;
            f.last = f.last.max(reloaded_to);
        }
        // Only this task sends, so room does not shrink; still, try again later.
        Err(mpsc::error::TrySendError::Full(_)) => {}
        Err(mpsc::error::TrySendError::Closed(_)) => {
            followed.remove(doc);
        }
    }
    Ok(())
}
