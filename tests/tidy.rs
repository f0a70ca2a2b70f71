//! Keeps the SDS core sans-IO and self-contained: `src/sds/**/*.rs` must not name the rest of
//! the crate, read clocks, use unseeded randomness, touch files or sockets, or print.

use std::path::{Path, PathBuf};

const FORBIDDEN: &[&str] = &[
    "crate::",
    "super::super",
    "Instant::now",
    "SystemTime",
    "thread_rng",
    "rand::rng(",
    "std::fs",
    "std::net",
    "println!",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn sds_core_is_sans_io_and_self_contained() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/sds");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(!files.is_empty(), "no files under {}", root.display());
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read");
        for (n, line) in text.lines().enumerate() {
            for pat in FORBIDDEN {
                if line.contains(pat) {
                    failures.push(format!(
                        "{}:{}: forbidden `{pat}`: {}",
                        file.display(),
                        n + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "the SDS core must stay sans-IO:\n{}",
        failures.join("\n")
    );
}
