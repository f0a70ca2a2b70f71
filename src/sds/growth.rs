//! How the core's per-message collections grow (issue 16): a participant's local log order,
//! SDS-R store order and sparse bloom filter each hold one small entry per message, and at
//! 10,000 participants they are most of the run's memory.

/// The capacity a full collection of `capacity` entries grows to: doubling up to 128
/// entries (at least 4), then by a quarter. Doubling alone left a participant's log at 57%
/// use in `large-group-10k.toml` (586 messages in 1,024 slots; 608 now); past 128 entries a
/// collection is at least 80% used, for about five copies of each entry in all instead of
/// two (8-byte entries: a few kilobytes per participant, copied once per growth).
pub fn grown_capacity(capacity: usize) -> usize {
    if capacity < 128 {
        (capacity * 2).max(4)
    } else {
        capacity + capacity / 4
    }
}

#[cfg(test)]
mod tests {
    use super::grown_capacity;

    #[test]
    fn doubles_small_collections_then_grows_by_a_quarter() {
        let mut capacities = vec![0];
        while *capacities.last().unwrap() < 700 {
            capacities.push(grown_capacity(*capacities.last().unwrap()));
        }
        assert_eq!(
            capacities,
            [0, 4, 8, 16, 32, 64, 128, 160, 200, 250, 312, 390, 487, 608, 760]
        );
        // Always room for one more.
        assert!((0..100_000).all(|c| grown_capacity(c) > c));
    }
}
