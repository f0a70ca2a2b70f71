//! Arbitrary bytes -> `wire::decode` (and the bounded decoder); whatever decodes must
//! re-encode and decode to the same message, and classification must not panic. The receive
//! path's view decoder (`sds::view`) must give the bounded decoder's value or error.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use sdsim::sds::wire::{classify, decode, decode_with_limits, encode};
use sdsim::sds::{Config, Limits};

fuzz_target!(|data: &[u8]| {
    let bytes = Bytes::copy_from_slice(data);
    if let Ok(m) = decode(&bytes) {
        let _ = classify(&m);
        let again = decode(&encode(&m)).expect("re-encoded message decodes");
        assert_eq!(again, m, "decode(encode(m)) == m");
    }
    let c = Config::default();
    let limits = Limits {
        max_message_bytes: c.max_message_bytes,
        max_causal_history_entries: 4,
        max_repair_request_entries: 2,
        max_id_bytes: 16,
    };
    for l in [Limits::UNLIMITED, limits] {
        assert_eq!(
            sdsim::sds::view::decode(&bytes, &l).map(|v| v.to_message()),
            decode_with_limits(&bytes, &l),
            "view decoder == prost"
        );
    }
    if let Ok(m) = decode_with_limits(&bytes, &limits) {
        assert!(m.causal_history.len() <= 4 && m.repair_request.len() <= 2);
        assert!(m.message_id.len() <= 16 && m.sender_id.len() <= 16 && m.channel_id.len() <= 16);
        assert_eq!(decode(&bytes).ok(), Some(m));
    }
});
