//! The command that reproduces a run (`sim run SCENARIO --seed N --set ...`), quoted for a
//! POSIX shell; shown by the CLI and in `report.html`.
//!
//! Pure functions; may touch nothing else.

use std::path::Path;

/// The command that reproduces a run: `sim run SCENARIO --seed N [--set KEY=VALUE ...]`,
/// each argument quoted for a POSIX shell where needed. `--out` is left out (it does not
/// change the results).
pub fn replay_command(scenario: &Path, seed: u64, sets: &[String]) -> String {
    let mut cmd = format!(
        "sim run {} --seed {seed}",
        shell_quote(&scenario.to_string_lossy())
    );
    for s in sets {
        cmd.push_str(" --set ");
        cmd.push_str(&shell_quote(s));
    }
    cmd
}

/// `s` as one POSIX shell word: as is when it holds only safe characters, else in single
/// quotes (a `'` inside becomes `'\''`).
pub fn shell_quote(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
