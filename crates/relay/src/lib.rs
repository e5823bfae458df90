//! converge-relay: a sync server for converge documents, and a Rust client for it.
//!
//! Clients open a WebSocket at `/v1/docs/{doc}` and speak converge's sync protocol
//! (see `PROTOCOL.md`) with the relay's hub replica of that document. Every message
//! that brings news is committed to durable storage (SQLite by default, or Redis
//! Streams shared by several relay nodes: [`RedisStorage`]; behind the [`Storage`]
//! trait) before the relay acknowledges or forwards it, so an acknowledged write
//! survives any crash of the relay.
//!
//! ```no_run
//! # async fn run() -> Result<(), converge_relay::Error> {
//! use std::sync::Arc;
//! use converge_relay::{serve, RelayConfig, SqliteStorage};
//!
//! let storage = Arc::new(SqliteStorage::open_dir("relay-data".as_ref())?);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8787").await?;
//! serve(listener, RelayConfig::new(storage), async {
//!     let _ = tokio::signal::ctrl_c().await;
//! })
//! .await?;
//! # Ok(()) }
//! ```

#[cfg(feature = "server")]
mod auth;
mod check;
#[cfg(feature = "server")]
mod client;
pub mod close_code;
#[cfg(feature = "server")]
mod connection;
#[cfg(feature = "server")]
mod delayed_ack;
mod doc_name;
mod error;
#[cfg(feature = "server")]
mod fanout;
mod frame;
#[cfg(feature = "server")]
mod hub;
mod limits;
mod metrics;
#[cfg(feature = "server")]
mod redis_position;
#[cfg(feature = "server")]
mod redis_storage;
#[cfg(feature = "server")]
mod redis_tail;
#[cfg(feature = "server")]
mod registry;
mod scope;
#[cfg(feature = "server")]
mod server;
#[cfg(feature = "server")]
mod sqlite;
mod storage;
#[cfg(feature = "server")]
mod window;

use converge_core::ReplicaId;

#[cfg(feature = "server")]
pub use auth::{sign_token, Auth, Claims};
pub use check::check_frame;
#[cfg(feature = "server")]
pub use client::{Client, ClientOptions};
pub use doc_name::{is_valid_doc_name, MAX_DOC_NAME_LEN};
pub use error::Error;
pub use frame::{apply_frame, FrameOutcome};
pub use limits::{Limits, RateLimiter};
pub use metrics::Metrics;
#[cfg(feature = "server")]
pub use redis_storage::{RedisOptions, RedisStorage};
pub use scope::Scope;
#[cfg(feature = "server")]
pub use server::{check_listen_address, serve, RelayConfig};
#[cfg(feature = "server")]
pub use sqlite::{SqliteStorage, DB_FILE};
#[cfg(feature = "server")]
pub use storage::{Follow, Tailed};
pub use storage::{Loaded, Storage, StorageFuture};

/// The replica id of every relay hub ("relay hu" in ASCII). Clients must use other
/// ids; they address the relay as this peer.
pub const RELAY_PEER_ID: ReplicaId = ReplicaId::new(0x7265_6c61_7920_6875);
