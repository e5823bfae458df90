//! The relay's shared state: storage, limits, auth, metrics, and the registry of
//! loaded documents (one hub each), which loads a document on first use and lets an
//! idle one go.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, watch};

use crate::auth::Auth;
use crate::close_code;
use crate::hub::{self, Control, HubHandle};
use crate::limits::Limits;
use crate::metrics::Metrics;
use crate::storage::Storage;

/// How many frames may wait for a hub before a connection's reads pause.
const HUB_INBOX: usize = 4096;

/// What every connection and hub share.
pub(crate) struct Shared {
    pub(crate) storage: Arc<dyn Storage>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) limits: Limits,
    pub(crate) auth: Auth,
    hubs: Mutex<HashMap<String, HubHandle>>,
    next_generation: AtomicU64,
    next_conn: AtomicU64,
    /// True once the relay drains (SIGTERM): connections close with 1012.
    pub(crate) shutdown: watch::Sender<bool>,
}

impl Shared {
    pub(crate) fn new(
        storage: Arc<dyn Storage>,
        metrics: Arc<Metrics>,
        limits: Limits,
        auth: Auth,
    ) -> Self {
        Shared {
            storage,
            metrics,
            limits,
            auth,
            hubs: Mutex::new(HashMap::new()),
            next_generation: AtomicU64::new(1),
            next_conn: AtomicU64::new(1),
            shutdown: watch::Sender::new(false),
        }
    }

    /// A fresh connection id.
    pub(crate) fn conn_id(&self) -> u64 {
        self.next_conn.fetch_add(1, Relaxed)
    }

    /// Whether the relay is draining.
    pub(crate) fn draining(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Joins connection `handle` to the hub of `doc`, loading the document if needed.
    /// Fails with a close code (too many documents).
    pub(crate) fn join(
        self: &Arc<Self>,
        doc: &str,
        handle: hub::ConnHandle,
    ) -> Result<HubHandle, u16> {
        let mut hubs = self
            .hubs
            .lock()
            .map_err(|_| close_code::STORAGE_UNAVAILABLE)?;
        let mut join = Control::Join(handle);
        if let Some(existing) = hubs.get(doc) {
            match existing.control.send(join) {
                Ok(()) => return Ok(existing.clone()),
                // The hub ended without leaving (it is leaving now): replace it.
                Err(mpsc::error::SendError(back)) => join = back,
            }
            hubs.remove(doc);
        }
        if hubs.len() >= self.limits.max_documents {
            return Err(close_code::TOO_MANY_DOCUMENTS);
        }
        let (control_tx, control_rx) = mpsc::unbounded_channel();
        let (frames_tx, frames_rx) = mpsc::channel(HUB_INBOX);
        let generation = self.next_generation.fetch_add(1, Relaxed);
        let handle = HubHandle {
            generation,
            control: control_tx,
            frames: frames_tx,
        };
        handle
            .control
            .send(join)
            .map_err(|_| close_code::STORAGE_UNAVAILABLE)?;
        hubs.insert(doc.to_owned(), handle.clone());
        self.metrics
            .documents_loaded
            .store(hubs.len() as u64, Relaxed);
        tokio::spawn(hub::run(
            Arc::clone(self),
            doc.to_owned(),
            generation,
            control_rx,
            frames_rx,
        ));
        Ok(handle)
    }

    /// Removes the hub of `doc` if it is still `generation`.
    pub(crate) fn remove_hub(&self, doc: &str, generation: u64) {
        self.evict_hub(doc, generation, || true);
    }

    /// Removes the hub of `doc` if it is still `generation` and `can_go` agrees
    /// (checked under the registry's lock, so no join slips in between).
    pub(crate) fn evict_hub(
        &self,
        doc: &str,
        generation: u64,
        can_go: impl FnOnce() -> bool,
    ) -> bool {
        let Ok(mut hubs) = self.hubs.lock() else {
            return false;
        };
        if hubs.get(doc).is_some_and(|h| h.generation == generation) {
            if !can_go() {
                return false;
            }
            hubs.remove(doc);
        } else if !can_go() {
            return false;
        }
        self.metrics
            .documents_loaded
            .store(hubs.len() as u64, Relaxed);
        true
    }

    /// The documents loaded now.
    pub(crate) fn loaded_documents(&self) -> usize {
        self.hubs.lock().map_or(0, |h| h.len())
    }
}
