//! What the server's store and the kiosk's cache share about SQLite files in WAL mode.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rusqlite::Connection;

/// Checkpoints of a WAL database on a thread of its own, for as long as the guard lives.
///
/// SQLite normally checkpoints inside whichever commit pushes the WAL past 1,000 pages, and with
/// `synchronous = NORMAL` that commit then waits for an fsync: tens of milliseconds in which a
/// kiosk push or a student's tap waits too. The owner turns that off on its writer
/// (`PRAGMA wal_autocheckpoint = 0`) and this thread checkpoints in PASSIVE mode instead, which
/// never blocks a writer or a reader.
pub struct Checkpointer {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    /// Start checkpointing the database at `path` every `every`.
    pub fn start(path: &Path, every: Duration) -> std::io::Result<Checkpointer> {
        let conn = Connection::open(path).map_err(std::io::Error::other)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(std::io::Error::other)?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new().name("wal-checkpoint".into()).spawn(move || {
            let tick = Duration::from_millis(20);
            let mut waited = Duration::ZERO;
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(tick);
                waited += tick;
                if waited >= every {
                    waited = Duration::ZERO;
                    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                        tracing::warn!(error = %e, "WAL checkpoint failed; will try again");
                    }
                }
            }
            // A last one on the way out, so a clean stop leaves a short WAL behind.
            let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
        })?;
        Ok(Checkpointer { stop, thread: Some(thread) })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
