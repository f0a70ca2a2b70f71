//! SDS-R timing and response-group functions (PROTOCOL.md §3), as js-waku computes them
//! (`packages/sds/src/message_channel/repair/utils.ts` and `repair.ts`), checked against
//! `tests/vectors/repair.json`.
//!
//! ```text
//! hash(s)  = first 8 bytes of SHA-256(UTF-8 s), big-endian u64
//! T_req    = now + hash(own_id ‖ msg_id) mod (T_max − T_min) + T_min
//! distance = hash(own_id) XOR hash(sender_id)           (0 for the original sender)
//! T_resp   = now + (distance · hash(msg_id)) mod T_max   (exact 128-bit product)
//! eligible = hash(own_id ‖ msg_id) mod G == hash(sender_id ‖ msg_id) mod G
//! ```
//! `‖` is plain string concatenation. All times are Unix milliseconds; sums saturate.

use sha2::{Digest, Sha256};

/// Number of participants per response group (SDS-R spec; js-waku
/// `PARTICIPANTS_PER_RESPONSE_GROUP`).
pub const PARTICIPANTS_PER_RESPONSE_GROUP: u64 = 128;

/// `hash(s)`: the first 8 bytes of SHA-256 of the UTF-8 string, as a big-endian u64
/// (js-waku `hashToInteger`).
pub fn hash(s: &str) -> u64 {
    let digest = Sha256::digest(s.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// `hash(a ‖ b)` (js-waku `combinedHash`).
pub fn combined_hash(a: &str, b: &str) -> u64 {
    let mut h = Sha256::new();
    h.update(a.as_bytes());
    h.update(b.as_bytes());
    let digest = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// `T_req` in Unix ms: when `own_id` should request repair of `message_id` first noticed
/// missing at `now_ms`. If `t_max_ms <= t_min_ms` the random part is 0 (js-waku would divide
/// by zero).
pub fn t_req_ms(own_id: &str, message_id: &str, now_ms: u64, t_min_ms: u64, t_max_ms: u64) -> u64 {
    let range = t_max_ms.saturating_sub(t_min_ms);
    let offset = if range == 0 {
        0
    } else {
        combined_hash(own_id, message_id) % range
    };
    now_ms.saturating_add(offset).saturating_add(t_min_ms)
}

/// The SDS-R inputs of one repair request that do not depend on who receives it: computed
/// once per request (a received message shared by many receivers, `Decoded`) instead of
/// once per receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestHashes {
    /// `hash(sender_id ‖ message_id)`, the sender's side of the response group.
    pub sender_message: u64,
    /// `hash(sender_id)`, the sender's side of the distance.
    pub sender: u64,
    /// `hash(message_id)`.
    pub message: u64,
}

impl RequestHashes {
    /// The hashes of a request for `message_id`, originally sent by `sender_id`.
    pub fn new(sender_id: &str, message_id: &str) -> RequestHashes {
        RequestHashes {
            sender_message: combined_hash(sender_id, message_id),
            sender: hash(sender_id),
            message: hash(message_id),
        }
    }
}

/// `T_resp` in Unix ms: when `own_id` should re-broadcast `message_id` (originally sent by
/// `sender_id`) after seeing a request at `now_ms`. The original sender gets distance 0 and
/// answers at once. `t_max_ms == 0` also answers at once.
pub fn t_resp_ms(
    own_id: &str,
    sender_id: &str,
    message_id: &str,
    now_ms: u64,
    t_max_ms: u64,
) -> u64 {
    if t_max_ms == 0 {
        return now_ms;
    }
    t_resp_ms_from(
        hash(own_id),
        hash(sender_id),
        hash(message_id),
        now_ms,
        t_max_ms,
    )
}

/// [`t_resp_ms`] from `own_hash = hash(own_id)` and the request's hashes.
pub fn t_resp_ms_hashed(own_hash: u64, request: &RequestHashes, now_ms: u64, t_max_ms: u64) -> u64 {
    t_resp_ms_from(own_hash, request.sender, request.message, now_ms, t_max_ms)
}

/// `T_resp` from the three hashes it needs (the formula in the module docs).
fn t_resp_ms_from(own: u64, sender: u64, message: u64, now_ms: u64, t_max_ms: u64) -> u64 {
    if t_max_ms == 0 {
        return now_ms;
    }
    let distance = own ^ sender;
    let product = u128::from(distance) * u128::from(message);
    let offset = (product % u128::from(t_max_ms)) as u64;
    now_ms.saturating_add(offset)
}

/// Whether `own_id` is in the response group of `message_id` sent by `sender_id`, with
/// `num_response_groups` groups. As js-waku `isInResponseGroup`: with 0 or 1 groups everyone
/// is; with an empty `sender_id` nobody is (the group cannot be determined).
pub fn in_response_group(
    own_id: &str,
    sender_id: &str,
    message_id: &str,
    num_response_groups: u64,
) -> bool {
    in_response_group_with(own_id, sender_id, message_id, num_response_groups, || {
        RequestHashes::new(sender_id, message_id)
    })
}

/// [`in_response_group`], taking the request's hashes from `request` when it needs them.
pub fn in_response_group_with(
    own_id: &str,
    sender_id: &str,
    message_id: &str,
    num_response_groups: u64,
    request: impl FnOnce() -> RequestHashes,
) -> bool {
    if sender_id.is_empty() {
        return false;
    }
    if num_response_groups <= 1 {
        return true;
    }
    combined_hash(own_id, message_id) % num_response_groups
        == request().sender_message % num_response_groups
}

/// Number of response groups for a channel of `num_participants`: `n div 128 + 1`
/// (PROTOCOL.md §3). js-waku's `updateResponseGroups` uses `max(1, n div 128)`, which differs
/// for n >= 128 (e.g. 200 participants: 2 here, 1 in js-waku); all members of a channel must
/// use the same value.
pub fn response_groups_for(num_participants: u64) -> u64 {
    num_participants / PARTICIPANTS_PER_RESPONSE_GROUP + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn original_sender_answers_at_once() {
        assert_eq!(t_resp_ms("alice", "alice", "m", 1000, 120_000), 1000);
        assert!(t_resp_ms("bob", "alice", "m", 1000, 120_000) < 1000 + 120_000);
    }

    #[test]
    fn t_req_is_within_window() {
        for id in ["a", "b", "c", "dddd"] {
            let t = t_req_ms("p", id, 10, 30_000, 120_000);
            assert!((10 + 30_000..10 + 120_000).contains(&t));
        }
        assert_eq!(t_req_ms("p", "m", 10, 5, 5), 15);
    }

    /// The hashed forms give the string forms' results.
    #[test]
    fn hashed_forms_agree() {
        for (own, sender, id) in [
            ("bob", "alice", "m1"),
            ("alice", "alice", "m2"),
            ("c", "d", ""),
        ] {
            let request = RequestHashes::new(sender, id);
            for t_max in [0, 1, 120_000] {
                assert_eq!(
                    t_resp_ms_hashed(hash(own), &request, 5, t_max),
                    t_resp_ms(own, sender, id, 5, t_max)
                );
            }
            for groups in [0, 1, 2, 7] {
                let by_strings = combined_hash(own, id) % groups.max(1)
                    == combined_hash(sender, id) % groups.max(1);
                assert_eq!(
                    in_response_group(own, sender, id, groups),
                    !sender.is_empty() && (groups <= 1 || by_strings)
                );
            }
        }
    }

    #[test]
    fn groups() {
        assert_eq!(response_groups_for(0), 1);
        assert_eq!(response_groups_for(127), 1);
        assert_eq!(response_groups_for(128), 2);
        assert!(in_response_group("a", "b", "m", 1));
        assert!(!in_response_group("a", "", "m", 1));
        assert!(in_response_group("a", "a", "m", 10));
        let members = (0..100)
            .filter(|i| in_response_group(&format!("p{i}"), "s", "m", 10))
            .count();
        assert!(members > 0 && members < 100);
    }
}
