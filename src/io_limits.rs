//! Byte caps on every file read from user input, through one function ([`read_capped`]).
//!
//! A path given by a user may name anything: a 10 GB log, `/dev/zero`, `/dev/urandom`. An
//! unbounded `read_to_end` on those grows until memory runs out. Every file the tool reads
//! from user input goes through [`read_capped`] or [`read_capped_string`] with the cap of its
//! kind (below): at most `cap + 1` bytes are read (`Read::take`), so `/dev/zero` is refused
//! after `cap` bytes, in well under a second; a regular file whose size is known to exceed the
//! cap is refused before reading.
//!
//! The caps (documented in `scenarios/README.md`, "File size limits"):
//!
//! | kind | cap | why |
//! |---|---|---|
//! | scenario file, sweep base | [`SCENARIO_BYTES`] 16 MiB | explicit id lists for 1,000,000 participants are ~8 MB |
//! | region RTT matrix (CSV) | [`REGION_MATRIX_BYTES`] 1 MiB | 100 regions are ~60 KB |
//! | sweep file | [`SWEEP_FILE_BYTES`] 1 MiB | 10,000 values per key are ~100 KB |
//! | tolerance file | [`TOLERANCES_BYTES`] 1 MiB | one line per metric |
//! | `report.json` (`sim compare`, `sim check`) | [`REPORT_BYTES`] 64 MiB | ~15 KB at 10,000 participants; the delivery-over-time series is at most 100,000 points (~6 MB) |
//! | `sim wire decode/encode @FILE` | [`WIRE_FILE_BYTES`] 8 MiB | a message is at most 1 MiB (`sds::Config::max_message_bytes`), ~2 MiB as hex or JSON |
//! | `sweep.json`, `perf.json` of a sweep output (`sim merge`) | [`SWEEP_OUTPUT_BYTES`] 1 GiB | ~3.3 KB per row, at most 100,000 rows (`sweep::spec::MAX_RUNS`); parsed while read ([`read_capped_json`]), so a file that is not JSON (`/dev/zero`) fails at its first byte |

use std::fmt;
use std::io::Read;
use std::path::Path;

/// 1 MiB.
const MIB: u64 = 1 << 20;

/// Cap on a scenario file (also a sweep's base scenario and a baseline's `scenario.toml`).
pub const SCENARIO_BYTES: u64 = 16 * MIB;
/// Cap on a region RTT matrix (`network.latency.regions`).
pub const REGION_MATRIX_BYTES: u64 = MIB;
/// Cap on a sweep file.
pub const SWEEP_FILE_BYTES: u64 = MIB;
/// Cap on a tolerance file (`sim compare --tolerances`, `sim check`).
pub const TOLERANCES_BYTES: u64 = MIB;
/// Cap on a `report.json` read by `sim compare` and `sim check`.
pub const REPORT_BYTES: u64 = 64 * MIB;
/// Cap on a `sim wire decode @FILE` / `sim wire encode @FILE` input.
pub const WIRE_FILE_BYTES: u64 = 8 * MIB;
/// Cap on a sweep output's `sweep.json` or `perf.json` read by `sim merge`.
pub const SWEEP_OUTPUT_BYTES: u64 = 1024 * MIB;

/// Why a capped read failed. `Display` is the reason without the path (callers put the path
/// in front, in their own error type): e.g. `larger than 16 MiB (the limit for a scenario
/// file), refusing to read (is it the right file?)`.
#[derive(Debug)]
pub enum ReadError {
    /// The file could not be opened or read.
    Io(std::io::Error),
    /// The file holds more than `cap` bytes.
    TooLarge {
        /// The cap in bytes.
        cap: u64,
        /// What kind of file it was supposed to be (`"a scenario file"`).
        what: &'static str,
    },
    /// [`read_capped_string`] only: the contents are not UTF-8.
    NotUtf8,
}

impl ReadError {
    /// The reason alone, without `cannot read file:`: the OS error, `not UTF-8 text`, or
    /// `larger than ...`.
    pub fn reason(&self) -> String {
        match self {
            ReadError::Io(e) => e.to_string(),
            ReadError::TooLarge { cap, what } => format!(
                "larger than {} (the limit for {what}), refusing to read (is it the right file?)",
                human_cap(*cap)
            ),
            ReadError::NotUtf8 => "not UTF-8 text".to_string(),
        }
    }

    /// True for [`ReadError::TooLarge`].
    pub fn is_too_large(&self) -> bool {
        matches!(self, ReadError::TooLarge { .. })
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_too_large() {
            f.write_str(&self.reason())
        } else {
            write!(f, "cannot read file: {}", self.reason())
        }
    }
}

impl std::error::Error for ReadError {}

/// `cap` for people: `16 MiB`, `1 GiB`, `512 bytes`.
fn human_cap(cap: u64) -> String {
    if cap >= 1024 * MIB && cap.is_multiple_of(1024 * MIB) {
        format!("{} GiB", cap / (1024 * MIB))
    } else if cap >= MIB && cap.is_multiple_of(MIB) {
        format!("{} MiB", cap / MIB)
    } else if cap >= 1024 && cap.is_multiple_of(1024) {
        format!("{} KiB", cap / 1024)
    } else {
        format!("{cap} bytes")
    }
}

/// Reads the whole file at `path` if it holds at most `cap` bytes. `what` names the kind of
/// file in the error (`"a scenario file"`).
///
/// Reads at most `cap + 1` bytes, whatever the file is (a device, a pipe, a file growing
/// while read); a regular file whose size exceeds `cap` is refused without reading.
///
/// # Errors
/// [`ReadError::Io`] when the file cannot be opened or read (missing, a directory, no
/// permission); [`ReadError::TooLarge`] when it holds more than `cap` bytes.
pub fn read_capped(path: &Path, cap: u64, what: &'static str) -> Result<Vec<u8>, ReadError> {
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    let meta = file.metadata().map_err(ReadError::Io)?;
    if meta.is_dir() {
        return Err(ReadError::Io(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "is a directory",
        )));
    }
    if meta.is_file() && meta.len() > cap {
        return Err(ReadError::TooLarge { cap, what });
    }
    let mut buf = Vec::new();
    file.take(cap.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(ReadError::Io)?;
    if buf.len() as u64 > cap {
        return Err(ReadError::TooLarge { cap, what });
    }
    Ok(buf)
}

/// [`read_capped`], then UTF-8.
///
/// # Errors
/// Those of [`read_capped`], and [`ReadError::NotUtf8`].
pub fn read_capped_string(path: &Path, cap: u64, what: &'static str) -> Result<String, ReadError> {
    String::from_utf8(read_capped(path, cap, what)?).map_err(|_| ReadError::NotUtf8)
}

/// Parses the JSON file at `path` as a `T`, streaming (no copy of the text is kept), reading at
/// most `cap + 1` bytes: for large outputs (`sweep.json`), where reading the whole text first
/// would double the memory. A file that is not JSON (`/dev/zero`) fails at its first bytes.
///
/// # Errors
/// [`JsonError::Read`] when the file cannot be opened or holds more than `cap` bytes (found
/// while parsing), [`JsonError::Parse`] when it is not JSON of `T`'s shape.
pub fn read_capped_json<T: serde::de::DeserializeOwned>(
    path: &Path,
    cap: u64,
    what: &'static str,
) -> Result<T, JsonError> {
    let file = std::fs::File::open(path).map_err(|e| JsonError::Read(ReadError::Io(e)))?;
    let meta = file
        .metadata()
        .map_err(|e| JsonError::Read(ReadError::Io(e)))?;
    if meta.is_file() && meta.len() > cap {
        return Err(JsonError::Read(ReadError::TooLarge { cap, what }));
    }
    let mut reader = Capped {
        inner: std::io::BufReader::new(file),
        left: cap,
        exceeded: false,
    };
    let parsed = serde_json::from_reader(&mut reader);
    if reader.exceeded {
        return Err(JsonError::Read(ReadError::TooLarge { cap, what }));
    }
    parsed.map_err(|e| {
        if e.is_io() {
            JsonError::Read(ReadError::Io(e.into()))
        } else {
            JsonError::Parse(e)
        }
    })
}

/// Why [`read_capped_json`] failed.
#[derive(Debug)]
pub enum JsonError {
    /// Unreadable or too large.
    Read(ReadError),
    /// Not JSON of the expected shape.
    Parse(serde_json::Error),
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonError::Read(e) => e.fmt(f),
            JsonError::Parse(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for JsonError {}

/// A reader that fails once more than `left` bytes were asked of it.
struct Capped<R> {
    inner: R,
    left: u64,
    exceeded: bool,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // Allow one byte past the cap to tell "exactly cap" from "more".
        let want = buf
            .len()
            .min(usize::try_from(self.left.saturating_add(1)).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n as u64 > self.left {
            self.exceeded = true;
            return Err(std::io::Error::other("file larger than its cap"));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_small_files_and_refuses_large_ones() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"hello").unwrap();
        assert_eq!(read_capped(&p, 5, "a test file").unwrap(), b"hello");
        assert_eq!(read_capped_string(&p, 100, "a test file").unwrap(), "hello");
        let e = read_capped(&p, 4, "a test file").unwrap_err().to_string();
        assert_eq!(
            e,
            "larger than 4 bytes (the limit for a test file), refusing to read (is it the right file?)"
        );
        std::fs::write(&p, [0xff, 0xfe]).unwrap();
        assert!(read_capped_string(&p, 100, "x")
            .unwrap_err()
            .to_string()
            .contains("not UTF-8"));
        let e = read_capped(&dir.path().join("nope"), 10, "x").unwrap_err();
        assert!(matches!(e, ReadError::Io(_)), "{e}");
        let e = read_capped(dir.path(), 10, "x").unwrap_err();
        assert!(e.to_string().contains("directory"), "{e}");
    }

    /// A device of unknown size is read only up to the cap.
    #[cfg(unix)]
    #[test]
    fn dev_zero_stops_at_the_cap() {
        let e = read_capped(Path::new("/dev/zero"), MIB, "a scenario file")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("larger than 1 MiB (the limit for a scenario file)"),
            "{e}"
        );
    }

    #[test]
    fn json_is_streamed_and_capped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.json");
        std::fs::write(&p, br#"{"a": [1, 2, 3]}"#).unwrap();
        let v: serde_json::Value = read_capped_json(&p, 100, "x").unwrap();
        assert_eq!(v["a"][2], 3);
        // Exactly at the cap is fine; one byte less is too large.
        let len = std::fs::metadata(&p).unwrap().len();
        assert!(read_capped_json::<serde_json::Value>(&p, len, "x").is_ok());
        let e = read_capped_json::<serde_json::Value>(&p, len - 1, "a sweep output").unwrap_err();
        assert!(e.to_string().contains("limit for a sweep output"), "{e}");
        // Not JSON: fails at once (never reads on).
        std::fs::write(&p, b"\0\0\0").unwrap();
        let e = read_capped_json::<serde_json::Value>(&p, 100, "x").unwrap_err();
        assert!(matches!(e, JsonError::Parse(_)), "{e}");
    }

    /// A pipe or device of unknown size that holds valid JSON past the cap is refused.
    #[test]
    fn json_past_the_cap_in_an_unsized_stream() {
        let mut r = Capped {
            inner: std::io::Cursor::new(vec![b' '; 1000]),
            left: 10,
            exceeded: false,
        };
        let e = serde_json::from_reader::<_, serde_json::Value>(&mut r).unwrap_err();
        assert!(e.is_io() && r.exceeded, "{e}");
    }

    #[test]
    fn caps_print_in_binary_units() {
        assert_eq!(human_cap(SCENARIO_BYTES), "16 MiB");
        assert_eq!(human_cap(SWEEP_OUTPUT_BYTES), "1 GiB");
        assert_eq!(human_cap(2048), "2 KiB");
    }
}
