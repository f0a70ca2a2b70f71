//! Reading the `@waku/sds` interop vectors (`tests/vectors/*.json`, from
//! `../shared/interop/`), shared by the tests that replay them: `interop.rs` (against js-waku),
//! `decoded.rs` (bytes vs one shared decoding) and `view_decoder.rs` (view decoder vs prost).
#![allow(dead_code)]

use sdsim::sds::{Config, MessageIdRule, SyncPolicy};
use serde_json::Value;

/// `tests/vectors/<name>` parsed.
pub fn load(name: &str) -> Value {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect(&path)).expect("json")
}

/// Bytes of a lowercase hex string.
pub fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// A u64 written as a JSON number or a decimal string (the vectors' timestamps).
pub fn num(v: &Value) -> u64 {
    match v {
        Value::String(s) => s.parse().expect("u64 string"),
        v => v.as_u64().expect("u64"),
    }
}

/// The core configuration a trace of `traces.json` was recorded with: its `options`
/// (`causalHistorySize`, default 200; `possibleAcksThreshold`, default 2: js-waku 0.0.8's
/// `MessageChannel` defaults), payload-SHA-256 ids, no sync timer, no SDS-R.
pub fn trace_config(trace: &Value) -> Config {
    let opts = &trace["options"];
    Config {
        causal_history_size: opts.get("causalHistorySize").map_or(200, num) as usize,
        possible_acks_threshold: opts.get("possibleAcksThreshold").map_or(2, num) as u32,
        message_id: MessageIdRule::PayloadSha256,
        sync: SyncPolicy::Off,
        repair: None,
        ..Config::default()
    }
}

/// The participants of a trace, in the order of its `final_local_history` (each one's index
/// is its seed).
pub fn trace_participants(trace: &Value) -> Vec<String> {
    trace["final_local_history"]
        .as_object()
        .expect("final")
        .keys()
        .cloned()
        .collect()
}
