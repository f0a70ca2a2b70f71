//! Unit tests of `outdir.rs`.

use super::*;

static KIND: OutputKind = OutputKind {
    name: "test",
    files: &["a.json", "b.csv"],
    subdirs: &[("plots", &["png", "svg"])],
};

#[test]
fn allow_lists() {
    assert!(KIND.allows(Path::new("a.json")));
    assert!(KIND.allows(Path::new("plots/x-vs-y.png")));
    assert!(!KIND.allows(Path::new("plots/x.txt")));
    assert!(!KIND.allows(Path::new("plots/.png")));
    assert!(!KIND.allows(Path::new("plots/a b.png")));
    assert!(!KIND.allows(Path::new("c.json")));
    assert!(!KIND.allows(Path::new("plots/deeper/x.png")));
}

#[test]
fn inspect_judges_marker_and_entries() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("o");
    fs::create_dir(&d).unwrap();
    assert_eq!(inspect(&d, &KIND).unwrap(), Contents::Empty);
    fs::write(d.join("a.json"), "{}").unwrap();
    assert!(
        matches!(inspect(&d, &KIND).unwrap(), Contents::Foreign { entries, .. } if entries.is_empty())
    );
    fs::write(d.join(MARKER_FILE), KIND.marker_text()).unwrap();
    fs::create_dir(d.join("plots")).unwrap();
    fs::write(d.join("plots/m-vs-k.svg"), "").unwrap();
    assert_eq!(inspect(&d, &KIND).unwrap(), Contents::Ours);
    fs::write(d.join("plots/notes.txt"), "").unwrap();
    fs::write(d.join("\u{1b}[31m"), "").unwrap();
    let Contents::Foreign { entries, .. } = inspect(&d, &KIND).unwrap() else {
        panic!()
    };
    assert_eq!(entries, ["\\u{1b}[31m", "plots/notes.txt"]);
    fs::write(d.join(MARKER_FILE), "sdsim output: other\n").unwrap();
    let Contents::Foreign { reason, .. } = inspect(&d, &KIND).unwrap() else {
        panic!()
    };
    assert!(
        reason.contains("other output, not a test output"),
        "{reason}"
    );
}

#[test]
fn a_second_prepare_is_busy_until_the_first_is_done() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("out");
    let first = prepare(&d, &KIND).unwrap();
    assert!(first.temp().join(MARKER_FILE).is_file());
    let e = prepare(&d, &KIND).unwrap_err();
    assert!(
        matches!(e, OutDirError::Busy { pid: Some(p), .. } if p == std::process::id()),
        "{e}"
    );
    fs::write(first.temp().join("a.json"), "1").unwrap();
    let c = first.commit().unwrap();
    assert!(!c.replaced && c.warnings.is_empty());
    let second = prepare(&d, &KIND).unwrap();
    fs::write(second.temp().join("a.json"), "2").unwrap();
    assert!(second.commit().unwrap().replaced);
    assert_eq!(fs::read_to_string(d.join("a.json")).unwrap(), "2");
    // Dropped without a commit: nothing changes, nothing is left.
    let third = prepare(&d, &KIND).unwrap();
    fs::write(third.temp().join("a.json"), "3").unwrap();
    drop(third);
    assert_eq!(fs::read_to_string(d.join("a.json")).unwrap(), "2");
    let mut left: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    left.sort();
    assert_eq!(left, ["out"]);
}

#[test]
fn leftover_names() {
    let tmp = tempfile::tempdir().unwrap();
    for n in [
        ".o.sdsim-tmp-12",
        ".o.sdsim-old-3",
        ".o.sdsim-tmp-",
        ".o.sdsim-tmp-1x",
        ".oo.sdsim-tmp-1",
        ".o.sdsim-lock",
    ] {
        fs::create_dir(tmp.path().join(n)).unwrap();
    }
    let found: Vec<(bool, String)> = leftovers(tmp.path(), OsStr::new("o"))
        .unwrap()
        .into_iter()
        .map(|(a, p)| (a, p.file_name().unwrap().to_string_lossy().into_owned()))
        .collect();
    assert_eq!(
        found,
        [
            (false, ".o.sdsim-tmp-12".to_string()),
            (true, ".o.sdsim-old-3".to_string())
        ]
    );
}
