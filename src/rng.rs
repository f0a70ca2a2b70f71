//! Deterministic random streams derived from the scenario seed.
//!
//! Each consumer of randomness gets its own ChaCha8 stream, keyed by the scenario seed and a
//! `(kind, id)` pair: `ChaCha8Rng::seed_from_u64(seed)` then `set_stream((kind << 56) | id)`
//! (DESIGN.md "Engine rules"). Streams are independent, so adding a participant (a new id)
//! or a new consumer (a new kind) leaves every other stream's draws unchanged.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What a stream is for; the discriminant is the top byte of the stream number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum StreamKind {
    /// Publication times and senders of the workload (id 0).
    Workload = 1,
    /// Latency and loss draws of copies sent by participant `id`.
    NetFrom = 2,
    /// Seed of participant `id`'s SDS core (its own RNG: sync jitter).
    CoreSeed = 3,
    /// Payload bytes of participant `id`'s messages.
    Payload = 4,
    /// The overlay graph (relay mesh) of the run (id 0).
    Topology = 5,
    /// Gilbert-Elliott loss chain of participant `id`'s egress (`network.gilbert_elliott`).
    GilbertElliott = 6,
    /// Extra loss draws (node classes, degradation windows, link overrides) of copies sent
    /// by participant `id`.
    LinkLoss = 7,
    /// Churn draws (`[churn]`): id 0 the random offline set and its staggered start times,
    /// id 1 relay re-grafting choices, id `2 + i` the fresh core seeds of participant `i`
    /// after each crash. Only drawn when `[churn]` is set, so runs without churn keep their
    /// other streams (and reports) unchanged.
    Churn = 8,
    /// Clock offset of participant `id` drawn from `clock_skew`.
    ClockSkew = 9,
    /// Store traffic: latency draws of store copies, queries and responses (id 0).
    Store = 10,
    /// Light clients (`[light]`): id `i` the choices of light client `i` (service peers,
    /// replacements, reconnection delays, keep-alive phase); id `1 << 40` network-switch
    /// `fraction` draws. Only drawn with `[light]`.
    Light = 11,
    /// `sim swarm`: id `k` draws scenario `k` of a swarm (the seed is the swarm seed, not a
    /// scenario's). Never drawn by a run.
    Swarm = 12,
}

/// Largest id that fits beside the kind byte (2^56 - 1).
pub const MAX_STREAM_ID: u64 = (1 << 56) - 1;

/// The stream for `(kind, id)` under `seed`. `id` is masked to 56 bits.
pub fn stream(seed: u64, kind: StreamKind, id: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(((kind as u64) << 56) | (id & MAX_STREAM_ID));
    rng
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn same_inputs_same_stream_and_distinct_ids_differ() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut r = stream(7, StreamKind::NetFrom, 3);
                move |_| r.next_u64()
            })
            .collect();
        let mut r2 = stream(7, StreamKind::NetFrom, 3);
        let b: Vec<u64> = (0..4).map(|_| r2.next_u64()).collect();
        assert_eq!(a, b);
        let mut r3 = stream(7, StreamKind::NetFrom, 4);
        assert_ne!(a[0], r3.next_u64());
        let mut r4 = stream(7, StreamKind::CoreSeed, 3);
        assert_ne!(a[0], r4.next_u64());
        let mut r5 = stream(8, StreamKind::NetFrom, 3);
        assert_ne!(a[0], r5.next_u64());
    }
}
