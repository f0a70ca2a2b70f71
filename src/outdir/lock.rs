//! The lock of one output directory: `flock` (`fs4`) on `.NAME.sdsim-lock` beside it,
//! holding the owner's pid; removed while still held when released (see `outdir`'s docs).

use std::fs;
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

use super::{io_err, shown, OutDirError};

/// The `flock` on `.NAME.sdsim-lock`; the file is removed (while locked) on drop.
#[derive(Debug)]
pub(super) struct Lock {
    file: fs::File,
    path: PathBuf,
}

impl Lock {
    pub(super) fn acquire(path: PathBuf, user: &Path) -> Result<Lock, OutDirError> {
        let lock_name = shown(Path::new(path.file_name().unwrap_or_default()));
        let what = || format!("cannot write next to it (lock file {lock_name})");
        // A lock file removed between our open and our lock is a stale one: try again.
        for _ in 0..16 {
            let file = fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(io_err(user, what()))?;
            match fs4::FileExt::try_lock(&file) {
                Ok(()) => {}
                Err(fs4::TryLockError::WouldBlock) => {
                    return Err(OutDirError::Busy {
                        path: user.to_owned(),
                        pid: holder_pid(&file),
                    })
                }
                Err(fs4::TryLockError::Error(e)) => return Err(io_err(user, what())(e)),
            }
            if same_file(&file, &path) {
                let lock = Lock { file, path };
                lock.write_pid().map_err(io_err(user, what()))?;
                return Ok(lock);
            }
        }
        Err(io_err(user, what())(io::Error::other(
            "the lock file keeps being replaced",
        )))
    }

    fn write_pid(&self) -> io::Result<()> {
        self.file.set_len(0)?;
        (&self.file).write_all(format!("{}\n", std::process::id()).as_bytes())
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Removed while still locked; closing the file then releases the lock.
        if cfg!(unix) && same_file(&self.file, &self.path) {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// The pid the holder wrote. The holder writes it just after taking the lock, so a reader
/// that comes in between finds the file empty: wait for it a little (at most 0.2 s, still
/// failing fast), then give up and report the lock without a pid.
fn holder_pid(file: &fs::File) -> Option<u32> {
    for _ in 0..20 {
        if let Some(pid) = read_pid(file) {
            return Some(pid);
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    None
}

fn read_pid(mut file: &fs::File) -> Option<u32> {
    file.seek(io::SeekFrom::Start(0)).ok()?;
    let mut text = String::new();
    file.take(32).read_to_string(&mut text).ok()?;
    // Only a whole line: a reader racing the write sees no newline yet.
    text.strip_suffix('\n')?.trim().parse().ok()
}

/// `file` is still the file at `path` (not removed or replaced since it was opened).
#[cfg(unix)]
fn same_file(file: &fs::File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &fs::File, path: &Path) -> bool {
    path.exists()
}
