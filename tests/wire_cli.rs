//! `sim wire decode` / `sim wire encode` through the real binary: every `@waku/sds` wire
//! vector round-trips byte for byte, and bad input exits 2 with one helpful line.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Map, Value};

fn sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(args)
        .output()
        .expect("run sim")
}

/// Runs `sim wire <cmd> <input>`, asserts success and returns stdout.
fn ok(cmd: &str, input: &str) -> String {
    let out = sim(&["wire", cmd, input]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "wire {cmd} {input:.80}: {err}");
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

/// Runs `sim wire <cmd> <input>`, asserts exit 2 with a single `error: ` line containing every
/// needle and no panic, and returns that line.
fn rejected(cmd: &str, input: &str, needles: &[&str]) -> String {
    let out = sim(&["wire", cmd, input]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "wire {cmd} {input}: {err}");
    assert!(out.stdout.is_empty(), "stdout on error: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.starts_with("error: "), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
    for n in needles {
        assert!(err.contains(n), "{n:?} missing from: {err}");
    }
    err
}

fn vectors() -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/wire.json");
    let text = std::fs::read_to_string(&path).expect("read wire.json");
    let v: Value = serde_json::from_str(&text).expect("parse wire.json");
    v["vectors"].as_array().expect("vectors").clone()
}

/// The vector's `message` in the CLI's shape: `_hex` suffixes dropped, the Lamport timestamp
/// a JSON integer, plus `kind`.
fn cli_shape(message: &Value) -> Value {
    match message {
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                if k == "lamport_timestamp" {
                    let n: u64 = v.as_str().expect("string timestamp").parse().expect("u64");
                    out.insert(k.clone(), Value::from(n));
                } else {
                    let k = k.strip_suffix("_hex").unwrap_or(k).to_owned();
                    out.insert(k, cli_shape(v));
                }
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(cli_shape).collect()),
        v => v.clone(),
    }
}

#[test]
fn every_vector_decodes_to_its_message_and_encodes_back_byte_for_byte() {
    let vectors = vectors();
    assert!(vectors.len() >= 20);
    for v in &vectors {
        let name = v["name"].as_str().expect("name");
        let hex = v["hex"].as_str().expect("hex");
        let mut expected = cli_shape(&v["message"]);
        expected["kind"] = v["kind"].clone();

        let decoded_text = ok("decode", hex);
        let decoded: Value = serde_json::from_str(&decoded_text).expect("decode prints JSON");
        assert_eq!(decoded, expected, "{name}: decode");

        let encoded = ok("encode", &decoded_text);
        assert_eq!(encoded, format!("{hex}\n"), "{name}: encode");
    }
}

#[test]
fn decode_output_keys_follow_proto_order_and_big_lamport_is_exact() {
    let v = vectors();
    let v = v
        .iter()
        .find(|v| v["name"] == "content-1")
        .expect("content-1 has every field");
    let text = ok("decode", v["hex"].as_str().expect("hex"));
    let keys = [
        "kind",
        "sender_id",
        "message_id",
        "channel_id",
        "lamport_timestamp",
        "causal_history",
        "bloom_filter",
        "repair_request",
        "content",
    ];
    // Top-level keys only: two spaces of indentation in the pretty output.
    let pos: Vec<usize> = keys
        .iter()
        .map(|k| {
            text.find(&format!("\n  \"{k}\":"))
                .unwrap_or_else(|| panic!("{k} missing: {text}"))
        })
        .collect();
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "key order: {text}");

    // Above 2^53: must not go through f64.
    let max = ok(
        "encode",
        r#"{"sender_id":"a","message_id":"b","channel_id":"c","lamport_timestamp":18446744073709551615}"#,
    );
    let back = ok("decode", max.trim());
    assert!(
        back.contains("\"lamport_timestamp\": 18446744073709551615"),
        "{back}"
    );
    assert!(back.contains("\"kind\": \"sync\""), "{back}");
    assert!(back.contains("\"causal_history\": []"), "{back}");
    assert!(
        !back.contains("\"content\""),
        "absent content printed: {back}"
    );
}

#[test]
fn decode_tolerates_whitespace_prefix_and_uppercase() {
    let v = &vectors()[0];
    let hex = v["hex"].as_str().expect("hex");
    let plain = ok("decode", hex);
    let (a, b) = hex.split_at(10);
    let messy = format!("  0X{} \n {}\t", a.to_uppercase(), b);
    assert_eq!(ok("decode", &messy), plain);
}

#[test]
fn file_inputs_hex_binary_json_and_missing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let v = &vectors()[1];
    let hex = v["hex"].as_str().expect("hex");
    let plain = ok("decode", hex);

    let hex_file = tmp.path().join("msg.hex");
    std::fs::write(&hex_file, format!("{hex}\n")).expect("write");
    assert_eq!(ok("decode", &format!("@{}", hex_file.display())), plain);

    let bin_file = tmp.path().join("msg.bin");
    let bytes: Vec<u8> = (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex"))
        .collect();
    std::fs::write(&bin_file, &bytes).expect("write");
    assert_eq!(ok("decode", &format!("@{}", bin_file.display())), plain);

    let json_file = tmp.path().join("msg.json");
    std::fs::write(&json_file, &plain).expect("write");
    assert_eq!(
        ok("encode", &format!("@{}", json_file.display())),
        format!("{hex}\n")
    );

    let missing = tmp.path().join("nope.hex");
    let arg = format!("@{}", missing.display());
    let missing_s = missing.display().to_string();
    for cmd in ["decode", "encode"] {
        rejected(
            cmd,
            &arg,
            &["cannot read", &missing_s, "No such file or directory"],
        );
    }

    // A text file that is neither hex nor a message: both reasons, and the file name.
    let typo = tmp.path().join("typo.hex");
    std::fs::write(&typo, "0a0z").expect("write");
    let typo_s = typo.display().to_string();
    rejected(
        "decode",
        &format!("@{typo_s}"),
        &[&typo_s, "not hex text", "position 4", "as raw bytes"],
    );

    // A JSON file with an error names the file and the line.
    let bad_json = tmp.path().join("bad.json");
    std::fs::write(&bad_json, "{\n  \"sender_id\": 5\n}").expect("write");
    let bad_s = bad_json.display().to_string();
    rejected(
        "encode",
        &format!("@{bad_s}"),
        &[&bad_s, "invalid type", "line 2"],
    );
}

#[test]
fn decode_errors_are_distinct_and_helpful() {
    rejected("decode", "0a0g", &["invalid hex", "'g'", "position 4"]);
    rejected(
        "decode",
        "0a0",
        &["invalid hex", "odd number of hex digits (3)"],
    );

    // Field 10 (lamport, varint) whose varint never ends.
    let varint = rejected("decode", "5080", &["malformed SDS message"]);
    // Field 1 (sender_id, a string) sent as a varint.
    let wire_type = rejected("decode", "0801", &["malformed SDS message", "wire type"]);
    // Field 1 (sender_id) of one byte, 0xff: not UTF-8.
    let utf8 = rejected("decode", "0a01ff", &["malformed SDS message", "UTF-8"]);
    // Field 1 claims 5 bytes, 1 follows.
    let short = rejected("decode", "0a0561", &["malformed SDS message"]);
    assert!(varint.contains("varint"), "{varint}");
    let all = [&varint, &wire_type, &utf8, &short];
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            assert_ne!(a, b, "two decode errors read the same");
        }
    }

    // Valid protobuf, no valid kind: channel only (no lamport, no content), then empty
    // content and no lamport, then no bytes at all.
    for hex in ["1a0163", "1a0163a20100", ""] {
        rejected("decode", hex, &["invalid SDS message kind"]);
    }
}

#[test]
fn encode_errors_are_helpful() {
    const BASE: &str = r#""sender_id":"a","message_id":"b","channel_id":"c""#;
    let enc = |rest: &str| format!("{{{BASE}{rest}}}");

    rejected(
        "encode",
        "{\"sender_id\": ",
        &["invalid JSON", "line 1 column"],
    );
    rejected(
        "encode",
        &enc(r#","lamport_timestamp":"12""#),
        &["invalid type", "expected u64", "column"],
    );
    rejected(
        "encode",
        &enc(r#","lamport_timestamp":-1"#),
        &["invalid value", "expected u64"],
    );
    rejected(
        "encode",
        &enc(r#","lamport_timestamp":1,"colour":"red""#),
        &["unknown field `colour`"],
    );
    rejected(
        "encode",
        &enc(r#","lamport_timestamp":1,"causal_history":[{"message_id":"x","hint":"00"}]"#),
        &["unknown field `hint`"],
    );
    rejected(
        "encode",
        r#"{"sender_id":"a","channel_id":"c","lamport_timestamp":1}"#,
        &["missing field `message_id`"],
    );
    rejected(
        "encode",
        &enc(r#","content":"abc""#),
        &["invalid hex", "odd number", "column"],
    );
    rejected(
        "encode",
        &enc(r#","kind":"sync","content":"01""#),
        &["\"kind\" is \"sync\"", "make it \"ephemeral\""],
    );
    rejected(
        "encode",
        &enc(r#","kind":"bogus","lamport_timestamp":1"#),
        &["unknown variant `bogus`"],
    );
    rejected(
        "encode",
        &enc(r#","content":"""#),
        &["invalid SDS message kind"],
    );

    // `kind` that matches, missing repeated fields and `[]` both accepted, same bytes.
    let a = ok("encode", &enc(r#","kind":"sync","lamport_timestamp":7"#));
    let b = ok(
        "encode",
        &enc(r#","lamport_timestamp":7,"causal_history":[],"repair_request":[]"#),
    );
    assert_eq!(a, b);
}
