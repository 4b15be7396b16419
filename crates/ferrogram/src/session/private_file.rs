//! A session file holds authorization keys, which are as good as the account: it and SQLite's
//! `-journal`, `-wal` and `-shm` files beside it are readable by their owner only (0600) on
//! Unix, whatever the process umask. Elsewhere nothing is done.

use std::io;
use std::path::{Path, PathBuf};

/// Permission bits of a session file and its companions.
#[cfg(unix)]
const MODE: u32 = 0o600;

/// Before SQLite opens `path`: creates it empty as 0600 if missing (SQLite gives the journal it
/// creates later the database's permissions) and tightens it and any existing companion to 0600.
pub(super) fn prepare(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let file = std::fs::OpenOptions::new().create(true).write(true).truncate(false).mode(MODE).open(path)?;
        // The mode only applies to a file this call created: one found looser is tightened
        // through the open handle.
        if file.metadata()?.permissions().mode() & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(MODE))?;
        }
        for suffix in ["-journal", "-wal", "-shm"] {
            let mut companion = path.as_os_str().to_owned();
            companion.push(suffix);
            let companion = PathBuf::from(companion);
            match std::fs::symlink_metadata(&companion) {
                Ok(meta) if meta.is_file() && meta.permissions().mode() & 0o077 != 0 => {
                    std::fs::set_permissions(&companion, std::fs::Permissions::from_mode(MODE))?;
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Writes `bytes` to `path` (replacing it), readable by its owner only on Unix.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.create(true).write(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(MODE);
        let mut file = options.open(path)?;
        file.set_permissions(std::fs::Permissions::from_mode(MODE))?;
        file.write_all(bytes)?;
        file.sync_all()
    }
    #[cfg(not(unix))]
    {
        let mut file = options.open(path)?;
        file.write_all(bytes)?;
        file.sync_all()
    }
}
