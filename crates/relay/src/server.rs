//! The HTTP side: routes (`/v1/docs/{doc}`, `/healthz`, `/metrics`, static files),
//! admission, and draining on shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State, WebSocketUpgrade};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt as _;
use axum::Router;
use serde::Deserialize;
use tokio::net::TcpListener;
use tracing::info;

use crate::auth::Auth;
use crate::limits::Limits;
use crate::metrics::Metrics;
use crate::registry::Shared;
use crate::storage::Storage;
use crate::Scope;
use crate::{close_code, connection, doc_name, Error};

/// How the relay runs.
#[derive(Clone)]
pub struct RelayConfig {
    /// Where documents are kept.
    pub storage: Arc<dyn Storage>,
    /// Who may connect.
    pub auth: Auth,
    /// The limits.
    pub limits: Limits,
    /// A directory served at `/` (an app), if any.
    pub static_dir: Option<PathBuf>,
    /// How long draining waits for connections to close.
    pub drain_timeout: Duration,
}

impl std::fmt::Debug for RelayConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayConfig")
            .field("auth", &self.auth)
            .field("limits", &self.limits)
            .field("static_dir", &self.static_dir)
            .finish()
    }
}

impl RelayConfig {
    /// A relay on `storage` with no auth, default limits and no static files.
    pub fn new(storage: Arc<dyn Storage>) -> Self {
        RelayConfig {
            storage,
            auth: Auth::new(None, false),
            limits: Limits::default(),
            static_dir: None,
            drain_timeout: Duration::from_secs(10),
        }
    }
}

/// Checks that `addr` may be listened on: without a secret, only loopback, unless
/// anonymous access is explicitly allowed.
pub fn check_listen_address(
    addr: SocketAddr,
    has_secret: bool,
    allow_anonymous: bool,
) -> Result<(), Error> {
    if !has_secret && !allow_anonymous && !addr.ip().is_loopback() {
        return Err(Error::Config(format!(
            "refusing to listen on {addr} without auth: set a secret (--secret or \
             CONVERGE_RELAY_SECRET), listen on loopback, or pass --allow-anonymous"
        )));
    }
    Ok(())
}

/// Serves the relay on `listener` until `shutdown` resolves, then drains: stops
/// accepting, closes every socket with 1012, and returns once they are closed (or
/// the drain timeout passed). Returns the metrics for a last look.
pub async fn serve(
    listener: TcpListener,
    config: RelayConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Arc<Metrics>, Error> {
    let metrics = Arc::new(Metrics::default());
    let shared = Arc::new(Shared::new(
        Arc::clone(&config.storage),
        Arc::clone(&metrics),
        config.limits.clone(),
        config.auth.clone(),
    ));
    let mut app = Router::new()
        .route("/v1/docs/{*doc}", get(upgrade))
        .route("/healthz", get(healthz))
        .route("/metrics", get(render_metrics));
    if let Some(dir) = &config.static_dir {
        app = app.fallback_service(tower_http::services::ServeDir::new(dir));
    }
    let app = app.with_state(Arc::clone(&shared));
    let drain = Arc::clone(&shared);
    info!(addr = %listener.local_addr()?, "relay listening");
    // No Nagle: the relay writes small frames (acks, one-write deltas) that a
    // delayed ACK at the peer would otherwise hold back for up to 40 ms.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            info!("draining");
            drain.shutdown.send_replace(true);
        })
        .await?;
    let started = tokio::time::Instant::now();
    while metrics.connections.load(Relaxed) > 0 && started.elapsed() < config.drain_timeout {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    info!(
        documents = shared.loaded_documents(),
        "drained; every acknowledged write is committed"
    );
    Ok(metrics)
}

/// A connection's initial read buffer, bytes.
const READ_BUFFER: usize = 4 << 10;
/// How much a connection buffers before writing to the socket, bytes.
const WRITE_BUFFER: usize = 4 << 10;

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

async fn upgrade(
    State(shared): State<Arc<Shared>>,
    Path(doc): Path<String>,
    Query(query): Query<TokenQuery>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let token = bearer.or(query.token);
    let admitted: Result<Scope, u16> = if !doc_name::is_valid_doc_name(&doc) {
        Err(close_code::BAD_DOCUMENT)
    } else {
        shared
            .auth
            .admit(token.as_deref(), &doc)
            .ok_or(close_code::BAD_TOKEN)
    };
    let limit = shared.limits.max_frame_bytes;
    // The WebSocket layer allows twice the limit so that a frame over it still gets
    // the coded close (4413) rather than a dropped socket.
    let transport_limit = limit.saturating_mul(2).saturating_add(64 << 10);
    // Small socket buffers (they grow for large frames): an idle connection then
    // costs a few KB instead of tungstenite's default 128 KiB read buffer.
    ws.max_message_size(transport_limit)
        .max_frame_size(transport_limit)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .on_upgrade(move |socket| connection::run(socket, shared, doc, admitted))
}

async fn healthz(State(shared): State<Arc<Shared>>) -> Response {
    if shared.draining() {
        (StatusCode::SERVICE_UNAVAILABLE, "draining").into_response()
    } else {
        (StatusCode::OK, "ok").into_response()
    }
}

async fn render_metrics(State(shared): State<Arc<Shared>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        shared.metrics.render(),
    )
        .into_response()
}
