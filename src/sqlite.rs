//! What the server's store and the kiosk's cache share about SQLite files in WAL mode.

use std::path::Path;
use std::sync::mpsc;
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
    /// Dropping it wakes the thread at once and ends it.
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    /// Start checkpointing the database at `path` every `every`. The thread sleeps in between,
    /// so an idle kiosk stays idle.
    pub fn start(path: &Path, every: Duration) -> std::io::Result<Checkpointer> {
        let conn = Connection::open(path).map_err(std::io::Error::other)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(std::io::Error::other)?;
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new().name("wal-checkpoint".into()).spawn(move || {
            let checkpoint = || conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                if let Err(e) = checkpoint() {
                    tracing::warn!(error = %e, "WAL checkpoint failed; will try again");
                }
            }
            // A last one on the way out, so a clean stop leaves a short WAL behind.
            let _ = checkpoint();
        })?;
        Ok(Checkpointer { stop: Some(stop), thread: Some(thread) })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
