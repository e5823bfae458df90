//! One client's WebSocket: admission, per-frame checks (type, size, rate, sender),
//! handing frames to the document's hub, and sending what the hub queues.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, watch};
use tracing::debug;

use crate::check::check_frame;
use crate::close_code;
use crate::hub::{ConnHandle, Control, Frame};
use crate::limits::RateLimiter;
use crate::registry::Shared;
use crate::Scope;

/// The most queued frames written before one flush.
const WRITE_BATCH: usize = 32;

/// Decrements the connection gauge when the connection ends.
struct Counted(Arc<Shared>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.metrics.connections.fetch_sub(1, Relaxed);
    }
}

/// Runs one connection to its end. `admitted` is the scope granted, or the close code
/// refusing the connection.
pub(crate) async fn run(
    socket: WebSocket,
    shared: Arc<Shared>,
    doc: String,
    admitted: Result<Scope, u16>,
) {
    let count = shared.metrics.connections.fetch_add(1, Relaxed) + 1;
    let _counted = Counted(Arc::clone(&shared));
    let (mut sink, mut stream) = socket.split();
    let admitted = admitted.and_then(|scope| {
        if shared.draining() {
            Err(close_code::RESTARTING)
        } else if count > shared.limits.max_connections as u64 {
            Err(close_code::TOO_MANY_CONNECTIONS)
        } else {
            Ok(scope)
        }
    });
    let scope = match admitted {
        Ok(scope) => scope,
        Err(code) => {
            shared.metrics.reject(code);
            let _ = sink.send(close_message(code)).await;
            return;
        }
    };
    let (outbox, mut queued) = mpsc::channel::<Bytes>(shared.limits.send_queue.max(1));
    let (close_tx, mut close_rx) = watch::channel(0u16);
    let handle = ConnHandle {
        id: shared.conn_id(),
        scope,
        outbox,
        close: Arc::new(close_tx),
    };
    let hub = match shared.join(&doc, handle.clone()) {
        Ok(hub) => hub,
        Err(code) => {
            shared.metrics.reject(code);
            let _ = sink.send(close_message(code)).await;
            return;
        }
    };
    // The writer: queued frames out, then the close frame.
    let writer_shared = Arc::clone(&shared);
    let mut writer_close = close_rx.clone();
    let writer = tokio::spawn(async move {
        loop {
            tokio::select! {
                biased;
                _ = writer_close.changed() => {
                    let code = *writer_close.borrow();
                    let _ = sink.send(close_message(code)).await;
                    break;
                }
                frame = queued.recv() => match frame {
                    Some(bytes) => {
                        // What else is queued goes out in the same write (an ack and
                        // a forward, say): one flush, one packet, where possible.
                        let mut next = Some(bytes);
                        let mut fed = 0;
                        let mut failed = false;
                        while let Some(bytes) = next.take() {
                            writer_shared.metrics.sent(bytes.len());
                            if sink.feed(Message::Binary(bytes)).await.is_err() {
                                failed = true;
                                break;
                            }
                            fed += 1;
                            if fed < WRITE_BATCH {
                                next = queued.try_recv().ok();
                            }
                        }
                        if failed || sink.flush().await.is_err() {
                            break;
                        }
                    }
                    None => break,
                },
            }
        }
    });
    let mut shutdown = shared.shutdown.subscribe();
    let mut limiter = RateLimiter::new(shared.limits.max_messages_per_second);
    let mut sender = None;
    let max = shared.limits.max_frame_bytes;
    loop {
        tokio::select! {
            biased;
            _ = close_rx.changed() => break,
            _ = shutdown.changed() => {
                handle.close(close_code::RESTARTING);
                break;
            }
            message = stream.next() => {
                let message = match message {
                    Some(Ok(message)) => message,
                    Some(Err(e)) => {
                        if e.to_string().contains("too long") {
                            shared.metrics.reject(close_code::FRAME_TOO_LARGE);
                            handle.close(close_code::FRAME_TOO_LARGE);
                        }
                        break;
                    }
                    None => break,
                };
                let bytes = match message {
                    Message::Binary(bytes) => bytes,
                    Message::Text(_) => {
                        refuse(&shared, &handle, close_code::BAD_FRAME);
                        break;
                    }
                    Message::Close(_) => break,
                    Message::Ping(_) | Message::Pong(_) => continue,
                };
                shared.metrics.messages_in.fetch_add(1, Relaxed);
                shared.metrics.bytes_in.fetch_add(bytes.len() as u64, Relaxed);
                let head = match check_frame(&bytes, max, &mut limiter, &mut sender) {
                    Ok(head) => head,
                    Err(code) => {
                        refuse(&shared, &handle, code);
                        break;
                    }
                };
                let frame = Frame {
                    conn: handle.id,
                    head,
                    bytes,
                    arrived: std::time::Instant::now(),
                };
                if hub.frames.send(frame).await.is_err() {
                    refuse(&shared, &handle, close_code::STORAGE_UNAVAILABLE);
                    break;
                }
            }
        }
    }
    let _ = hub.control.send(Control::Leave(handle.id));
    // Let the writer send the close frame (or end with the socket), not forever.
    if *close_rx.borrow() == 0 {
        handle.close(close_code::NORMAL);
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), writer).await;
    debug!(doc, conn = handle.id, "connection ended");
}

fn refuse(shared: &Shared, handle: &ConnHandle, code: u16) {
    shared.metrics.reject(code);
    handle.close(code);
}

fn close_message(code: u16) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: close_code::reason(code).into(),
    }))
}
