//! The data folder on disk: created `0700`, its files `0600` (on Unix), and the lock that keeps a
//! second Loupe out of it.
//!
//! Elsewhere the folder's access is the user's profile's (Windows ACLs), which is already private.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use super::StoreError;

/// Name of the lock file inside `--data`.
pub const LOCK_FILE: &str = "loupe.lock";
/// The files SQLite keeps next to the database in WAL mode.
pub const SIDE_FILES: [&str; 2] = ["-wal", "-shm"];

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError {
    let path = path.to_path_buf();
    move |source| StoreError::Io { path, source }
}

/// Creates the data folder (and its parents) readable by this user only. A folder that already
/// exists keeps its mode (an administrator may have chosen it), with a warning when other users
/// can enter it: the files inside are `0600` whatever the folder's mode.
pub fn create_data_dir(dir: &Path) -> Result<(), StoreError> {
    if dir.is_dir() {
        warn_if_open(dir);
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(io(dir))?;
    // The mode given at creation is filtered by the umask; set it exactly.
    private(dir, 0o700).map_err(io(dir))?;
    tracing::info!(path = %dir.display(), "data folder created");
    Ok(())
}

#[cfg(unix)]
fn warn_if_open(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(dir) {
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                path = %dir.display(),
                mode = %format!("{mode:o}"),
                "the data folder is open to other users of this computer; `chmod 700` it \
                 (Loupe's files inside it are readable by this user only)"
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_open(_dir: &Path) {}

/// Sets `path`'s mode on Unix; nothing elsewhere.
fn private(path: &Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, mode);
        Ok(())
    }
}

/// Opens (creating it `0600`) a file of the data folder.
fn open_private(path: &Path) -> Result<File, StoreError> {
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path).map_err(io(path))?;
    private(path, 0o600).map_err(io(path))?;
    Ok(file)
}

/// Takes the data folder's exclusive lock (`loupe.lock`), or says another Loupe holds it.
pub fn lock(dir: &Path) -> Result<File, StoreError> {
    let lock = open_private(&dir.join(LOCK_FILE))?;
    if lock.try_lock().is_err() {
        return Err(StoreError::Locked(dir.to_path_buf()));
    }
    Ok(lock)
}

/// Makes the database file exist as `0600` before SQLite opens it: SQLite gives its `-wal` and
/// `-shm` files the database file's mode. Files left by an older Loupe are tightened too.
pub fn prepare_db(db: &Path) -> Result<(), StoreError> {
    drop(open_private(db)?);
    tighten_side_files(db)
}

/// Sets the `-wal` and `-shm` files that exist now to `0600`.
pub fn tighten_side_files(db: &Path) -> Result<(), StoreError> {
    for suffix in SIDE_FILES {
        let side = side_file(db, suffix);
        if side.exists() {
            private(&side, 0o600).map_err(io(&side))?;
        }
    }
    Ok(())
}

/// `loupe.db` + `-wal` → `loupe.db-wal`.
pub fn side_file(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
