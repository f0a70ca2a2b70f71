//! `sim adapter check -- PROG ARGS...`: the conformance suite passes the reference adapter
//! and fails, naming the check, on deliberately broken ones (`sdsim-adapter --fault`).

use std::process::Command;

const ADAPTER: &str = env!("CARGO_BIN_EXE_sdsim-adapter");

fn check(args: &[&str]) -> (String, i32) {
    let o = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(["adapter", "check", "--timeout", "10s", "--"])
        .args(args)
        .output()
        .expect("run sim adapter check");
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&o.stderr);
    (format!("{stdout}{stderr}"), o.status.code().unwrap_or(-1))
}

#[test]
fn the_reference_adapter_passes_every_check() {
    let (out, code) = check(&[ADAPTER]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("FAIL"), "{out}");
    assert!(out.contains("13 checks, 13 passed, 0 failed"), "{out}");
    for name in [
        "handshake",
        "delivery",
        "ack-by-causal-history",
        "missing-dependency",
        "timers-fire",
        "malformed-input",
        "deterministic",
    ] {
        assert!(out.contains(&format!("pass  {name}: ")), "{name}:\n{out}");
    }
}

#[test]
fn broken_adapters_fail_the_check_they_break() {
    for (fault, check_name) in [
        ("drop-event=delivered", "delivery"),
        ("drop-event=acknowledged", "ack-by-causal-history"),
        ("drop-event=missing-dependencies", "missing-dependency"),
        ("no-timers", "timers-fire"),
        ("crash-on-malformed", "malformed-input"),
    ] {
        let (out, code) = check(&[ADAPTER, "--fault", fault]);
        assert_eq!(code, 1, "{fault}: exit code\n{out}");
        assert!(
            out.contains(&format!("FAIL  {check_name}: ")),
            "{fault} should fail {check_name}:\n{out}"
        );
    }
}

#[test]
fn a_missing_or_wrong_version_adapter_fails_the_handshake() {
    let (out, code) = check(&["/nonexistent/adapter"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL  handshake: cannot start the adapter"),
        "{out}"
    );
    let (out, code) = check(&[ADAPTER, "--fault", "version=7"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("speaks adapter protocol version 7"), "{out}");
}

#[test]
fn the_command_is_required() {
    let o = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(["adapter", "check"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2));
}
