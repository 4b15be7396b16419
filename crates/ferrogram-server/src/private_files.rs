//! The data dir and the files in it that hold secrets (the SQLite store with the RSA private key
//! and every auth key, its WAL and shared-memory files, the login codes file) are for the
//! server's user only, whatever the process umask: the dir is 0700, the files 0600, created so
//! from the start and tightened when found looser. Only `server-public.pem` stays readable by
//! others, since clients need it. On systems without Unix permissions these are plain creations.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

/// Permission bits of the data dir.
#[cfg(unix)]
const DIR_MODE: u32 = 0o700;
/// Permission bits of secret files.
#[cfg(unix)]
const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and missing parents) as 0700, or tightens an existing one to 0700 if it
/// belongs to this process's user. A dir of another user is left alone (a warning says so):
/// changing, say, a shared parent's permissions would break others.
pub(crate) fn create_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
        std::fs::DirBuilder::new().recursive(true).mode(DIR_MODE).create(dir)?;
        let meta = std::fs::metadata(dir)?;
        if meta.permissions().mode() & 0o077 != 0 {
            if meta.uid() == rustix::process::geteuid().as_raw() {
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE))?;
            } else {
                tracing::warn!(dir = %dir.display(), "data dir belongs to another user and is readable by others");
            }
        }
        Ok(())
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)
}

/// Makes sure the SQLite database at `path` and its `-wal`, `-shm` and `-journal` companions are
/// 0600 before SQLite opens them: the database is created empty as 0600 if missing (SQLite then
/// gives its companions the same permissions when it creates them), and existing files are
/// tightened.
pub(crate) fn prepare_database(path: &Path) -> io::Result<()> {
    drop(create_file(path)?);
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut companion = path.as_os_str().to_owned();
        companion.push(suffix);
        tighten(&PathBuf::from(companion))?;
    }
    Ok(())
}

/// Opens `path` for appending, creating it as 0600, and tightens it if it was looser.
pub(crate) fn open_append(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    open_private(&options, path)
}

/// Opens (creating if missing) `path` for writing without truncating it, as 0600.
fn create_file(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).write(true).truncate(false);
    open_private(&options, path)
}

fn open_private(options: &OpenOptions, path: &Path) -> io::Result<File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let file = options.clone().mode(FILE_MODE).open(path)?;
        // The mode only applies to a file this call created; one found looser is tightened
        // through the open handle, so it is the file just opened that changes.
        if file.metadata()?.permissions().mode() & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
        }
        Ok(file)
    }
    #[cfg(not(unix))]
    options.open(path)
}

/// Tightens `path` to 0600 if it exists and is looser.
fn tighten(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.is_file() && meta.permissions().mode() & 0o077 != 0 => {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(FILE_MODE))
            }
            Ok(_) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}
