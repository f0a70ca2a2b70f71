//! Output directories that never lose a user's files: every writer of a result directory
//! (`sim run`, `sim sweep`, `sim merge`) goes through [`prepare`] and [`Prepared::commit`].
//! Nothing here knows what a run or a sweep is; each writer describes its files with an
//! [`OutputKind`].
//!
//! ```text
//! prepare(--out, kind)                          before any simulating; errors exit 2
//!   resolve: canonical path (symlinks followed)  refuse "", ".", "..", "/", the current
//!                                                directory and its ancestors
//!   create the parent; lock .NAME.sdsim-lock     flock, held until commit; busy: "another
//!                                                sim is writing DIR (pid N)"
//!   recover leftovers of killed runs             restore .NAME.sdsim-old-PID if NAME is
//!                                                missing; remove marked .NAME.sdsim-tmp-PID
//!                                                and .NAME.sdsim-old-PID; report them
//!   NAME exists? it must be empty or hold only   else refuse, listing the entries
//!     this kind's files and the marker
//!   create .NAME.sdsim-tmp-PID with the marker   proves the location writable
//! writer fills Prepared::temp()
//! commit()                                     (SDSIM_FAULT_INJECT=after-temp-complete
//!   NAME absent: rename .NAME.sdsim-tmp-PID -> NAME  aborts here)
//!   NAME present (checked again):
//!     Linux: renameat2(RENAME_EXCHANGE) of NAME and .NAME.sdsim-tmp-PID: one atomic step
//!     else:  rename NAME -> .NAME.sdsim-old-PID   (=after-aside forces this path and
//!            rename .NAME.sdsim-tmp-PID -> NAME    aborts between the two renames)
//!     delete the old output                       (=after-swap aborts just before)
//!   unlock, remove the lock file
//! ```
//!
//! So `NAME` holds a whole old result or a whole new one at every instant. Where the atomic
//! exchange is not available (not Linux, or a file system without it) `NAME` is missing
//! between the two renames; a run killed there leaves the old result aside, and the next run
//! to the same directory puts it back before anything else.
//!
//! **The marker.** Every output directory holds [`MARKER_FILE`] (`.sdsim-output`, one line
//! `sdsim output: <kind>`), written first into the temporary directory. A directory is
//! replaced only if it is empty, or holds the marker of the same kind and otherwise only the
//! files the kind lists ([`OutputKind::files`], [`OutputKind::subdirs`]); anything else (a
//! committed `scenario.toml`, notes, a symbolic link, an output of another kind, an output
//! of a sim older than the marker) is refused with the entries named. Leftover siblings are
//! removed only under the same rule.
//!
//! **The lock.** `.NAME.sdsim-lock` next to the output, locked with `flock` (`fs4`), holding
//! the owner's pid (for the message). It is removed when the lock is released, while still
//! held; a run that locked a lock file that was removed meanwhile notices (different inode)
//! and tries again, so two runs never both believe they hold it. A killed run leaves the
//! file; the kernel has released its lock, and the next run takes it over. Leftovers are
//! cleaned only under the lock, so they never belong to a live writer.
//!
//! Unix semantics are assumed (rename over a path, `flock`); on a network file system
//! `flock` may not be shared between machines.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::names::escape_controls;

mod lock;
use lock::Lock;

/// The marker file in every output directory (hidden; one line `sdsim output: <kind>`).
pub const MARKER_FILE: &str = ".sdsim-output";

/// Test-only fault injection: the process aborts (SIGABRT, no cleanup, like a kill) in
/// [`Prepared::commit`] at a chosen instant. `after-temp-complete`: the temporary directory
/// is complete, nothing renamed yet. `after-aside`: the two-rename swap is used (as on file
/// systems without an atomic exchange) and the process dies right after the old output was
/// renamed aside, before the new one is renamed in. `after-swap`: the new output is in
/// place, the old one not yet deleted. Any other value does nothing.
pub const FAULT_INJECT_ENV: &str = "SDSIM_FAULT_INJECT";

/// Entries named in a refusal at most (then "and N more").
const MAX_LISTED: usize = 10;

/// The files one kind of output consists of: what [`prepare`] lets it replace.
#[derive(Debug)]
pub struct OutputKind {
    /// Short name, written in the marker and shown in messages (`run`, `sweep`).
    pub name: &'static str,
    /// File names the writer may put directly in the directory.
    pub files: &'static [&'static str],
    /// Subdirectories the writer may create, each with the file extensions it may hold
    /// (`("plots", &["png", "svg"])`); file names in them must be of `A-Z a-z 0-9 . _ -`.
    pub subdirs: &'static [(&'static str, &'static [&'static str])],
}

impl OutputKind {
    fn marker_text(&self) -> String {
        format!("sdsim output: {}\n", self.name)
    }

    /// Whether a file the writer wrote at `rel` (`report.json`, `plots/x-vs-y.png`) is one
    /// this kind lists. Writers' tests use it to keep the lists complete.
    pub fn allows(&self, rel: &Path) -> bool {
        let parts: Vec<&OsStr> = rel.iter().collect();
        match parts.as_slice() {
            [f] => f.to_str().is_some_and(|f| self.files.contains(&f)),
            [d, f] => {
                let (Some(d), Some(f)) = (d.to_str(), f.to_str()) else {
                    return false;
                };
                self.subdirs
                    .iter()
                    .any(|(sd, exts)| *sd == d && subdir_file_ok(f, exts))
            }
            _ => false,
        }
    }
}

fn subdir_file_ok(name: &str, exts: &[&str]) -> bool {
    !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && name
            .rsplit_once('.')
            .is_some_and(|(stem, ext)| !stem.is_empty() && exts.contains(&ext))
}

/// Why an output directory cannot be used or written. `Display` is one line starting with
/// the path as the user gave it (control characters escaped), never a hidden temporary
/// path: `PATH: MESSAGE` ([`path`](Self::path), [`message`](Self::message)).
#[derive(Debug)]
pub enum OutDirError {
    /// The path can never be an output directory: empty, `.`, `..`, `/`, the current
    /// directory or one of its ancestors (also through a symbolic link), a dangling link.
    Refused { path: PathBuf, reason: String },
    /// The directory exists and holds something this tool did not write for this kind of
    /// output; `entries` names them (relative to the directory, escaped).
    NotReplaceable {
        path: PathBuf,
        reason: String,
        entries: Vec<String>,
    },
    /// Another process holds the lock of this output directory.
    Busy { path: PathBuf, pid: Option<u32> },
    /// A file-system operation failed; `what` says which, in the user's terms.
    Io {
        path: PathBuf,
        what: String,
        source: io::Error,
    },
    /// `error` came after [`prepare`] had cleaned up leftovers of killed runs; `notes` says
    /// what it did (as [`Prepared::notes`]), so the message reports it too.
    AfterRecovery {
        error: Box<OutDirError>,
        notes: Vec<String>,
    },
}

impl OutDirError {
    /// The output directory as the user gave it.
    pub fn path(&self) -> &Path {
        match self {
            OutDirError::Refused { path, .. }
            | OutDirError::NotReplaceable { path, .. }
            | OutDirError::Busy { path, .. }
            | OutDirError::Io { path, .. } => path,
            OutDirError::AfterRecovery { error, .. } => error.path(),
        }
    }

    /// What is wrong, without the path prefix (one line, control characters escaped).
    pub fn message(&self) -> String {
        match self {
            OutDirError::Refused { reason, .. } => {
                format!("refusing to write an output directory there: {reason}")
            }
            OutDirError::NotReplaceable {
                reason, entries, ..
            } => format!(
                "refusing to replace it: {reason}{}; {}choose another --out",
                listed(entries),
                if entries.is_empty() {
                    ""
                } else {
                    "move them away or "
                }
            ),
            OutDirError::Busy { pid, .. } => format!(
                "another sim is writing it{}; wait for it to finish or choose another --out",
                pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
            ),
            OutDirError::Io { what, source, .. } => format!("{what}: {source}"),
            OutDirError::AfterRecovery { error, notes } => format!(
                "{} (first cleaned up after an interrupted earlier run: {})",
                error.message(),
                notes.join("; ")
            ),
        }
    }
}

impl std::fmt::Display for OutDirError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", shown(self.path()), self.message())
    }
}

impl std::error::Error for OutDirError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            OutDirError::Io { source, .. } => Some(source),
            OutDirError::AfterRecovery { error, .. } => Some(error),
            _ => None,
        }
    }
}

fn shown(p: &Path) -> String {
    escape_controls(&p.display().to_string()).into_owned()
}

fn listed(entries: &[String]) -> String {
    if entries.is_empty() {
        return String::new();
    }
    let mut s = format!(": {}", entries[..entries.len().min(MAX_LISTED)].join(", "));
    if entries.len() > MAX_LISTED {
        s.push_str(&format!(" and {} more", entries.len() - MAX_LISTED));
    }
    s
}

fn io_err(path: &Path, what: impl Into<String>) -> impl FnOnce(io::Error) -> OutDirError {
    let (path, what) = (path.to_owned(), what.into());
    move |source| OutDirError::Io { path, what, source }
}

/// An output directory ready to be written: locked, checked, with its temporary sibling
/// created. Write into [`temp`](Self::temp), then [`commit`](Self::commit). Dropped without
/// a commit (an error while simulating or writing), it removes the temporary directory and
/// releases the lock; the existing output is untouched.
#[derive(Debug)]
pub struct Prepared {
    user: PathBuf,
    target: PathBuf,
    temp: PathBuf,
    kind: &'static OutputKind,
    notes: Vec<String>,
    committed: bool,
    // Dropped last: the temporary directory is removed while the lock is still held.
    _lock: Lock,
}

/// What [`Prepared::commit`] did.
#[derive(Debug, Clone, Default)]
pub struct Committed {
    /// A previous output was replaced (false for a new or an empty directory).
    pub replaced: bool,
    /// Problems that did not stop the commit (the previous output could not be deleted),
    /// one line each, for stderr.
    pub warnings: Vec<String>,
}

/// Checks and claims the output directory `path` (as the user gave it) for an output of
/// `kind`, before anything is computed: resolves it (symbolic links followed), refuses the
/// current directory and its ancestors, creates the parent, takes the lock, recovers
/// leftovers of killed runs to the same directory ([`Prepared::notes`]), checks that an
/// existing directory may be replaced, and creates the temporary directory (which proves
/// the location writable).
///
/// # Errors
/// [`OutDirError`], naming `path`: refused path, a directory that holds other files, a
/// lock held by another process, or an I/O failure (parent not creatable, not writable).
pub fn prepare(path: &Path, kind: &'static OutputKind) -> Result<Prepared, OutDirError> {
    let refused = |reason: &str| OutDirError::Refused {
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    if path.as_os_str().is_empty() {
        return Err(refused("the path is empty"));
    }
    let target = resolve(path)?;
    let cwd = std::env::current_dir()
        .and_then(fs::canonicalize)
        .map_err(io_err(path, "cannot resolve the current directory"))?;
    if cwd.starts_with(&target) {
        return Err(OutDirError::Refused {
            path: path.to_owned(),
            reason: format!(
                "it is the current directory or one of its parents ({}); replacing it would \
                 delete the directory you are in",
                shown(&target)
            ),
        });
    }
    let (Some(parent), Some(name)) = (target.parent(), target.file_name()) else {
        return Err(refused("it is the root directory"));
    };
    let (parent, name) = (parent.to_owned(), name.to_owned());
    let lock = Lock::acquire(sibling(&parent, &name, "lock"), path)?;
    let mut notes = Vec::new();
    let recovered = recover(&parent, &name, &target, kind, &mut notes).map_err(io_err(
        path,
        "cannot clean up after an earlier interrupted run",
    ));
    let with_notes = |error: OutDirError| {
        if notes.is_empty() {
            error
        } else {
            OutDirError::AfterRecovery {
                error: Box::new(error),
                notes: notes.clone(),
            }
        }
    };
    recovered.map_err(with_notes)?;
    claim(path, kind, &parent, &name, target, lock, notes.clone()).map_err(with_notes)
}

/// The rest of [`prepare`], after the recovery: the target may be replaced, the temporary
/// directory is created.
fn claim(
    path: &Path,
    kind: &'static OutputKind,
    parent: &Path,
    name: &OsStr,
    target: PathBuf,
    lock: Lock,
    notes: Vec<String>,
) -> Result<Prepared, OutDirError> {
    match fs::symlink_metadata(&target) {
        Ok(m) if !m.is_dir() => {
            return Err(OutDirError::NotReplaceable {
                path: path.to_owned(),
                reason: "it exists and is not a directory".into(),
                entries: Vec::new(),
            })
        }
        Ok(_) => check(&target, kind, path)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_err(path, "cannot inspect it")(e)),
    }
    let temp = sibling(parent, name, &format!("tmp-{}", std::process::id()));
    fs::create_dir(&temp).map_err(io_err(
        path,
        format!(
            "cannot create a directory next to it (in {})",
            shown(parent)
        ),
    ))?;
    let prepared = Prepared {
        user: path.to_owned(),
        target,
        temp,
        kind,
        notes,
        committed: false,
        _lock: lock,
    };
    fs::write(prepared.temp.join(MARKER_FILE), kind.marker_text()).map_err(io_err(
        path,
        format!("cannot write next to it (in {})", shown(parent)),
    ))?;
    Ok(prepared)
}

impl Prepared {
    /// The output directory as the user gave it (for messages).
    pub fn path(&self) -> &Path {
        &self.user
    }

    /// The output directory resolved: absolute, symbolic links followed.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The temporary directory to write the output into (a hidden sibling of the target,
    /// `.NAME.sdsim-tmp-PID`, holding the marker already).
    pub fn temp(&self) -> &Path {
        &self.temp
    }

    /// What [`prepare`] recovered from earlier killed runs (restored or removed leftovers,
    /// and leftovers it left alone because they hold other files), one item each; empty
    /// normally. The CLI prints them on one line.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Puts the finished temporary directory in place of the target, then releases the
    /// lock. A new target: one rename. An existing one (checked again first: files added by
    /// hand during the run make it not replaceable any more): swapped atomically with the
    /// temporary directory where the system can (Linux `renameat2(RENAME_EXCHANGE)`), else
    /// renamed aside to `.NAME.sdsim-old-PID` before the new one is renamed in; the old
    /// output is then deleted.
    ///
    /// # Errors
    /// [`OutDirError`] naming the user's path; the temporary directory is removed and the
    /// old output stays in place (it is moved back if the second rename fails).
    pub fn commit(mut self) -> Result<Committed, OutDirError> {
        fault_point("after-temp-complete");
        let mut out = Committed::default();
        match fs::symlink_metadata(&self.target) {
            Ok(_) => {
                check(&self.target, self.kind, &self.user)?;
                let old = self.swap_in()?;
                self.committed = true;
                out.replaced = true;
                fault_point("after-swap");
                match remove_if_ours(&old, self.kind) {
                    Ok(true) => {}
                    Ok(false) => out.warnings.push(format!(
                        "{}: the previous output, moved to {}, held files sim did not write \
                         (added during the swap); left it there",
                        shown(&self.user),
                        shown(&old)
                    )),
                    Err(e) => out.warnings.push(format!(
                        "{}: could not delete the previous output, moved to {}: {e}; the next \
                         run to this directory removes it",
                        shown(&self.user),
                        shown(&old)
                    )),
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::rename(&self.temp, &self.target)
                    .map_err(io_err(&self.user, "cannot move the new output into place"))?;
                self.committed = true;
            }
            Err(e) => return Err(io_err(&self.user, "cannot inspect it")(e)),
        }
        Ok(out)
    }

    /// Replaces the existing target by the temporary directory; returns where the old
    /// output is now.
    fn swap_in(&self) -> Result<PathBuf, OutDirError> {
        // The test hook for the two-rename swap forces it where the exchange would work.
        if !fault_is("after-aside") {
            match exchange(&self.temp, &self.target) {
                Ok(()) => return Ok(self.temp.clone()),
                Err(e) if exchange_unsupported(&e) => {}
                Err(e) => return Err(io_err(&self.user, "cannot swap the new output in")(e)),
            }
        }
        let (parent, name) = self.parent_and_name();
        let aside = sibling(&parent, &name, &format!("old-{}", std::process::id()));
        fs::rename(&self.target, &aside)
            .map_err(io_err(&self.user, "cannot move the previous output aside"))?;
        fault_point("after-aside");
        if let Err(e) = fs::rename(&self.temp, &self.target) {
            let _ = fs::rename(&aside, &self.target);
            return Err(io_err(&self.user, "cannot move the new output into place")(
                e,
            ));
        }
        Ok(aside)
    }

    fn parent_and_name(&self) -> (PathBuf, OsString) {
        (
            self.target.parent().unwrap_or(Path::new("/")).to_owned(),
            self.target.file_name().unwrap_or_default().to_owned(),
        )
    }
}

impl Drop for Prepared {
    fn drop(&mut self) {
        if !self.committed {
            // Ours: created by prepare, marked, only written by this process.
            let _ = fs::remove_dir_all(&self.temp);
        }
    }
}

/// `.NAME.sdsim-<what>` in `parent`.
fn sibling(parent: &Path, name: &OsStr, what: &str) -> PathBuf {
    let mut s = OsString::from(".");
    s.push(name);
    s.push(".sdsim-");
    s.push(what);
    parent.join(s)
}

/// The absolute path `path` stands for, symbolic links followed; for a path that does not
/// exist yet, its parent is created and resolved.
fn resolve(path: &Path) -> Result<PathBuf, OutDirError> {
    match fs::symlink_metadata(path) {
        Ok(_) => fs::canonicalize(path).map_err(|e| OutDirError::Refused {
            path: path.to_owned(),
            reason: format!("cannot resolve it (a symbolic link to a missing path?): {e}"),
        }),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            let Some(name) = path.file_name() else {
                return Err(OutDirError::Refused {
                    path: path.to_owned(),
                    reason: "it names no directory".into(),
                });
            };
            let parent = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            fs::create_dir_all(parent).map_err(io_err(
                path,
                format!("cannot create the directory it goes in ({})", shown(parent)),
            ))?;
            let parent = fs::canonicalize(parent)
                .map_err(io_err(path, "cannot resolve the directory it goes in"))?;
            Ok(parent.join(name))
        }
        Err(e) => Err(io_err(path, "cannot inspect it")(e)),
    }
}

/// What a directory holds, judged for one kind of output.
#[derive(Debug, PartialEq)]
enum Contents {
    Empty,
    /// The marker of this kind and only files the kind lists.
    Ours,
    Foreign {
        reason: String,
        entries: Vec<String>,
    },
}

/// The kind named by `dir`'s marker, if it has a readable one.
fn marker_kind(dir: &Path) -> Option<String> {
    let file = fs::File::open(dir.join(MARKER_FILE)).ok()?;
    let mut text = String::new();
    file.take(256).read_to_string(&mut text).ok()?;
    text.trim_end()
        .strip_prefix("sdsim output: ")
        .map(str::to_owned)
}

fn inspect(dir: &Path, kind: &OutputKind) -> io::Result<Contents> {
    let mut names: Vec<(OsString, fs::FileType)> = Vec::new();
    for e in fs::read_dir(dir)? {
        let e = e?;
        names.push((e.file_name(), e.file_type()?));
    }
    if names.is_empty() {
        return Ok(Contents::Empty);
    }
    names.sort_by(|a, b| a.0.cmp(&b.0));
    let esc = |s: &OsStr| format!("{:?}", s.to_string_lossy().as_ref());
    let mut foreign = Vec::new();
    let mut has_marker = false;
    for (name, ty) in &names {
        let n = name.to_str().unwrap_or("");
        if n == MARKER_FILE && ty.is_file() {
            has_marker = true;
        } else if ty.is_file() && kind.files.contains(&n) {
        } else if let (true, Some((_, exts))) =
            (ty.is_dir(), kind.subdirs.iter().find(|(d, _)| *d == n))
        {
            for c in fs::read_dir(dir.join(name))? {
                let c = c?;
                let cn = c.file_name();
                let ok = c.file_type()?.is_file()
                    && cn.to_str().is_some_and(|s| subdir_file_ok(s, exts));
                if !ok {
                    foreign.push(format!("{n}/{}", esc(&cn).trim_matches('"')));
                }
            }
        } else {
            foreign.push(esc(name).trim_matches('"').to_owned());
        }
    }
    let reason = if !has_marker {
        if foreign.is_empty() {
            format!(
                "it has no {MARKER_FILE} marker, so sim cannot tell that it wrote it (outputs \
                 of sim versions before the marker have none: delete such a directory \
                 yourself)"
            )
        } else {
            format!("it holds files sim did not write (no {MARKER_FILE} marker)")
        }
    } else {
        match marker_kind(dir) {
            Some(k) if k == kind.name => {
                if foreign.is_empty() {
                    return Ok(Contents::Ours);
                }
                format!(
                    "it holds files sim does not write in a {} output",
                    kind.name
                )
            }
            Some(k) => {
                return Ok(Contents::Foreign {
                    reason: format!(
                        "it holds a {} output, not a {} output",
                        escape_controls(&k),
                        kind.name
                    ),
                    entries: Vec::new(),
                })
            }
            None => format!("its {MARKER_FILE} marker is not one sim writes"),
        }
    };
    Ok(Contents::Foreign {
        reason,
        entries: foreign,
    })
}

/// `dir` may be replaced by an output of `kind`; else [`OutDirError::NotReplaceable`].
fn check(dir: &Path, kind: &OutputKind, user: &Path) -> Result<(), OutDirError> {
    match inspect(dir, kind).map_err(io_err(user, "cannot read it"))? {
        Contents::Empty | Contents::Ours => Ok(()),
        Contents::Foreign { reason, entries } => Err(OutDirError::NotReplaceable {
            path: user.to_owned(),
            reason,
            entries,
        }),
    }
}

/// Removes `dir` if it is empty or an output of `kind` (marker and listed files only);
/// `Ok(false)` when it holds anything else (then it is left alone).
fn remove_if_ours(dir: &Path, kind: &OutputKind) -> io::Result<bool> {
    match inspect(dir, kind)? {
        Contents::Empty => fs::remove_dir(dir).map(|()| true),
        Contents::Ours => fs::remove_dir_all(dir).map(|()| true),
        Contents::Foreign { .. } => Ok(false),
    }
}

/// Temporary (`tmp`) and aside (`old`) siblings `.NAME.sdsim-{tmp,old}-PID` of `name` in
/// `parent`, as (is_aside, path), sorted by name.
fn leftovers(parent: &Path, name: &OsStr) -> io::Result<Vec<(bool, PathBuf)>> {
    let mut prefix = OsString::from(".");
    prefix.push(name);
    prefix.push(".sdsim-");
    let prefix = prefix.as_encoded_bytes().to_vec();
    let mut found = Vec::new();
    for e in fs::read_dir(parent)? {
        let e = e?;
        let n = e.file_name();
        let Some(rest) = n.as_encoded_bytes().strip_prefix(prefix.as_slice()) else {
            continue;
        };
        let (aside, pid) = if let Some(p) = rest.strip_prefix(b"old-") {
            (true, p)
        } else if let Some(p) = rest.strip_prefix(b"tmp-") {
            (false, p)
        } else {
            continue;
        };
        if !pid.is_empty() && pid.iter().all(u8::is_ascii_digit) && e.file_type()?.is_dir() {
            found.push((aside, e.path()));
        }
    }
    found.sort();
    Ok(found)
}

/// Under the lock: no live process owns a leftover. Puts an aside output back when the
/// target is missing (a run killed between its two renames), then removes the leftovers
/// that are ours and notes the rest.
fn recover(
    parent: &Path,
    name: &OsStr,
    target: &Path,
    kind: &OutputKind,
    notes: &mut Vec<String>,
) -> io::Result<()> {
    let mut found = leftovers(parent, name)?;
    if found.is_empty() {
        return Ok(());
    }
    let file_name = |p: &Path| shown(Path::new(p.file_name().unwrap_or_default()));
    if fs::symlink_metadata(target).is_err() {
        // An aside directory was the target itself (an output of any kind, or empty):
        // putting the most recently modified one back deletes nothing.
        let mut asides: Vec<(std::time::SystemTime, usize)> = Vec::new();
        for (i, (aside, p)) in found.iter().enumerate() {
            if *aside && (marker_kind(p).is_some() || inspect(p, kind)? == Contents::Empty) {
                asides.push((fs::metadata(p)?.modified()?, i));
            }
        }
        if let Some(&(_, i)) = asides.iter().max() {
            let (_, p) = found.remove(i);
            fs::rename(&p, target)?;
            notes.push(format!(
                "restored the previous output from {} (a run was killed while replacing it)",
                file_name(&p)
            ));
        }
    }
    for (_, p) in found {
        match inspect(&p, kind)? {
            Contents::Empty => fs::remove_dir(&p)?,
            Contents::Ours => fs::remove_dir_all(&p)?,
            Contents::Foreign { reason, .. } => {
                notes.push(format!("left {} alone: {reason}", file_name(&p)));
                continue;
            }
        }
        notes.push(format!("removed {} (left by a killed run)", file_name(&p)));
    }
    Ok(())
}

/// Atomically exchanges two existing directories (Linux `renameat2(RENAME_EXCHANGE)`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

/// The file system or kernel has no atomic exchange (then two renames are used).
fn exchange_unsupported(e: &io::Error) -> bool {
    // EINVAL: flag not supported by the file system; ENOSYS: no renameat2; EOPNOTSUPP.
    matches!(e.raw_os_error(), Some(22 | 38 | 95)) || e.kind() == io::ErrorKind::Unsupported
}

fn fault_is(point: &str) -> bool {
    std::env::var_os(FAULT_INJECT_ENV).is_some_and(|v| v == point)
}

fn fault_point(point: &str) {
    if fault_is(point) {
        eprintln!("{FAULT_INJECT_ENV}={point}: aborting");
        std::process::abort();
    }
}

#[cfg(test)]
mod tests;
