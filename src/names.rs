//! Names that become file names, and user text shown on a terminal.
//!
//! A scenario's `name` becomes the directory `reports/runs/<name>-seed<N>/` and a sweep's
//! `name` the directory `reports/sweeps/<name>/` (or `<name>-shard<K>of<N>`), so both are
//! restricted at validation by [`check_name`]: no path separator, no `..`, no hidden name, no
//! control character, a bounded length. Strings read from files the user gives (report
//! fields, JSON keys) are passed through [`escape_controls`] before they are printed, so a
//! terminal escape sequence in a file cannot reach the terminal.

use std::borrow::Cow;

/// Longest accepted name, in bytes (= characters, since names are ASCII). With the suffixes
/// the tool appends (`-seed18446744073709551615`, `-shard<K>of<N>`, and the hidden
/// `.NAME.sdsim-tmp-PID` siblings of `crate::outdir`) a directory name stays far below the
/// 255-byte limit of common file systems.
pub const MAX_NAME_LEN: usize = 100;

/// Checks that `name` is safe as one directory-name component: 1 to [`MAX_NAME_LEN`]
/// characters from `A-Z a-z 0-9 . _ -`, not starting with `.` (so neither `.`, `..` nor a
/// hidden name).
///
/// # Errors
/// What is wrong, in words, quoting the name escaped (`{:?}`, cut to 60 characters) so
/// control characters and terminal escape sequences are shown, not interpreted.
pub fn check_name(name: &str) -> Result<(), String> {
    let rule = format!(
        "must be 1 to {MAX_NAME_LEN} characters from A-Z a-z 0-9 . _ - not starting with '.'"
    );
    let shown = || {
        let cut: String = name.chars().take(60).collect();
        if cut.len() < name.len() {
            format!("{cut:?}... ({} bytes)", name.len())
        } else {
            format!("{cut:?}")
        }
    };
    if name.is_empty() {
        return Err(format!("{rule}, got an empty name"));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(format!("{rule}, got {}", shown()));
    }
    if name.starts_with('.') {
        return Err(format!("{rule}, got {}", shown()));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(format!("{rule}, got {} (character {c:?})", shown()));
    }
    Ok(())
}

/// `s` with every control character (C0, DEL, C1: escape, carriage return, NUL, bell, ...)
/// written as its Rust escape (`\u{1b}`, `\r`, `\0`), so printing it cannot move the cursor,
/// recolour or retitle the terminal. Newlines are escaped too (the CLI's messages are one
/// line). Text without control characters is returned as is.
pub fn escape_controls(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in [
            "partition",
            "large-group-10k",
            "a",
            "x.y_z-1",
            &"n".repeat(100),
        ] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            ".hidden",
            "../../../x",
            "/tmp/x",
            "a/b",
            "a\\b",
            "a\0b",
            "with space",
            "\u{1b}[31mred",
            "é",
            &"n".repeat(101),
        ] {
            let e = check_name(bad).unwrap_err();
            assert!(!e.chars().any(char::is_control), "{e:?}");
        }
        let e = check_name(&"x".repeat(100_000)).unwrap_err();
        assert!(e.len() < 300 && e.contains("100000 bytes"), "{e}");
        assert!(check_name("\u{1b}[2J").unwrap_err().contains("\\u{1b}[2J"));
    }

    #[test]
    fn escaping() {
        assert!(matches!(escape_controls("plain é"), Cow::Borrowed(_)));
        assert_eq!(
            escape_controls("a\u{1b}[31mb\r\n\0"),
            "a\\u{1b}[31mb\\r\\n\\0"
        );
        assert_eq!(escape_controls("\u{9b}x"), "\\u{9b}x");
    }
}
