//! WAL checkpoints on a thread of their own.
//!
//! A checkpoint copies the pages the WAL holds back into the database file and syncs both. Run
//! by SQLite's automatic checkpoint it happens inside a commit, on the thread that writes, and
//! every call queued behind that commit waits for the copy and the two fsyncs. Here a second
//! connection to the same file checkpoints every [`INTERVAL`] in `PASSIVE` mode (never blocking
//! the writer), so the writer's own automatic checkpoint, still set as a fallback, finds almost
//! nothing left to copy: it only restarts the WAL from its start once all of it is copied (which
//! a checkpoint running beside a busy writer never quite sees), keeping the file bounded.

use std::path::Path;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::{Context, StoreError};

/// How often the checkpointer copies what the WAL gained: at the writer's full speed a few
/// hundred pages. Often, so that the writer's fallback checkpoint (which restarts the WAL) finds
/// little left to copy and stalls the calls behind it briefly: at 100 ms its stalls put the p99
/// of the messaging benchmark near 100 ms, at 25 ms under 90 ms.
const INTERVAL: Duration = Duration::from_millis(25);

/// The checkpoint thread of one database file; stopped (and joined) when dropped.
pub(crate) struct Checkpointer {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts checkpointing the WAL-mode database at `path`.
    pub(crate) fn start(path: &Path) -> Result<Checkpointer, StoreError> {
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
                .during("open the checkpoint connection")?;
        // The writer's own fallback checkpoint may hold the checkpoint lock for a moment.
        conn.busy_timeout(Duration::from_millis(50)).during("set the checkpoint connection's busy timeout")?;
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("ferrogram-checkpoint".into())
            .spawn(move || run(&conn, &stopped))
            .map_err(|source| StoreError::Thread { source })?;
        Ok(Checkpointer { stop: Some(stop), thread: Some(thread) })
    }
}

fn run(conn: &Connection, stopped: &mpsc::Receiver<()>) {
    while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
        // (busy, frames in the WAL, frames copied); a busy or failed round is tried again at the
        // next tick, and the writer's fallback checkpoint keeps the WAL bounded meanwhile.
        let outcome = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
        });
        if let Err(error) = outcome {
            tracing::debug!(%error, "a background checkpoint failed");
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
