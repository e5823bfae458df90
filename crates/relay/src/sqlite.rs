//! The SQLite backend of [`Storage`]: one database file in WAL mode with
//! `synchronous=FULL`, so a committed append survives a power cut, and a torn WAL tail
//! is rolled back to the last commit when the database is opened.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{params, Connection, OptionalExtension};

use crate::storage::{Loaded, Storage, StorageFuture};
use crate::Error;

/// SQLite storage: tables `snapshots(doc, up_to, bytes)` and `log(doc, seq, bytes)`.
#[derive(Clone, Debug)]
pub struct SqliteStorage {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
}

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "relay.sqlite3";

impl SqliteStorage {
    /// Opens (creating if needed) the database in directory `dir`.
    pub fn open_dir(dir: &Path) -> Result<Self, Error> {
        std::fs::create_dir_all(dir)?;
        Self::open(&dir.join(DB_FILE))
    }

    /// Opens (creating if needed) the database file `path`.
    pub fn open(path: &Path) -> Result<Self, Error> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS snapshots (
                doc TEXT PRIMARY KEY NOT NULL,
                up_to INTEGER NOT NULL,
                bytes BLOB NOT NULL
            );
            CREATE TABLE IF NOT EXISTS log (
                doc TEXT NOT NULL,
                seq INTEGER NOT NULL,
                bytes BLOB NOT NULL,
                PRIMARY KEY (doc, seq)
            ) WITHOUT ROWID;",
        )?;
        Ok(SqliteStorage {
            conn: Arc::new(Mutex::new(conn)),
            path: path.to_owned(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` on the connection on a blocking thread.
    async fn with_conn<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let mut guard = conn
                .lock()
                .map_err(|_| Error::Storage("a storage thread panicked".into()))?;
            f(&mut guard)
        })
        .await
        .map_err(|e| Error::Storage(format!("storage task failed: {e}")))?
    }

    /// [`Storage::load`], blocking (for tools and tests).
    pub fn load_blocking(conn: &Connection, doc: &str) -> Result<Loaded, Error> {
        let snapshot = conn
            .query_row(
                "SELECT up_to, bytes FROM snapshots WHERE doc = ?1",
                params![doc],
                |row| Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?)),
            )
            .optional()?
            .map(|(up_to, bytes)| (up_to.max(0) as u64, bytes));
        let mut statement =
            conn.prepare_cached("SELECT seq, bytes FROM log WHERE doc = ?1 ORDER BY seq")?;
        let log = statement
            .query_map(params![doc], |row| {
                Ok((
                    row.get::<_, i64>(0)?.max(0) as u64,
                    row.get::<_, Vec<u8>>(1)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Loaded { snapshot, log })
    }
}

fn append_blocking(conn: &mut Connection, doc: &str, entries: &[Vec<u8>]) -> Result<u64, Error> {
    let tx = conn.transaction()?;
    let last_log: Option<i64> = tx.query_row(
        "SELECT MAX(seq) FROM log WHERE doc = ?1",
        params![doc],
        |row| row.get(0),
    )?;
    let snapshot: Option<i64> = tx
        .query_row(
            "SELECT up_to FROM snapshots WHERE doc = ?1",
            params![doc],
            |row| row.get(0),
        )
        .optional()?;
    let mut seq = last_log.unwrap_or(0).max(snapshot.unwrap_or(0));
    {
        let mut insert =
            tx.prepare_cached("INSERT INTO log (doc, seq, bytes) VALUES (?1, ?2, ?3)")?;
        for entry in entries {
            seq += 1;
            insert.execute(params![doc, seq, entry])?;
        }
    }
    tx.commit()?;
    Ok(seq.max(0) as u64)
}

fn compact_blocking(
    conn: &mut Connection,
    doc: &str,
    snapshot: &[u8],
    up_to: u64,
) -> Result<(), Error> {
    let up_to = i64::try_from(up_to).map_err(|_| Error::Storage("sequence overflow".into()))?;
    let tx = conn.transaction()?;
    let current: Option<i64> = tx
        .query_row(
            "SELECT up_to FROM snapshots WHERE doc = ?1",
            params![doc],
            |row| row.get(0),
        )
        .optional()?;
    if current.is_some_and(|c| c >= up_to) {
        return Ok(());
    }
    tx.execute(
        "INSERT INTO snapshots (doc, up_to, bytes) VALUES (?1, ?2, ?3)
         ON CONFLICT (doc) DO UPDATE SET up_to = excluded.up_to, bytes = excluded.bytes",
        params![doc, up_to, snapshot],
    )?;
    tx.execute(
        "DELETE FROM log WHERE doc = ?1 AND seq <= ?2",
        params![doc, up_to],
    )?;
    tx.commit()?;
    Ok(())
}

impl Storage for SqliteStorage {
    fn load<'a>(&'a self, doc: &'a str) -> StorageFuture<'a, Loaded> {
        let doc = doc.to_owned();
        Box::pin(self.with_conn(move |conn| Self::load_blocking(conn, &doc)))
    }

    fn append<'a>(&'a self, doc: &'a str, entries: Vec<Vec<u8>>) -> StorageFuture<'a, u64> {
        let doc = doc.to_owned();
        Box::pin(self.with_conn(move |conn| append_blocking(conn, &doc, &entries)))
    }

    fn compact<'a>(&'a self, doc: &'a str, snapshot: Vec<u8>, up_to: u64) -> StorageFuture<'a, ()> {
        let doc = doc.to_owned();
        Box::pin(self.with_conn(move |conn| compact_blocking(conn, &doc, &snapshot, up_to)))
    }
}
