//! `--shard K/N`: which rows of a sweep one process runs.
//!
//! Row `r` of a sweep is `(point r / S, seed index r mod S)` for `S` seeds: rows are ordered by
//! point, then by seed as listed. Shard `K/N` (1-based `K`) holds the rows with
//! `r mod N = K − 1`: interleaved, so that expensive points (e.g. the largest group) are spread
//! over all shards.
//!
//! A leaf: names nothing else in `sweep/` (the plan, the runs and the outputs use it).

use std::str::FromStr;

/// `--shard K/N`: the K-th (1-based) of N interleaved slices of a sweep's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1..=count.
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Whether row `r` belongs to this shard.
    pub fn holds(&self, row: usize) -> bool {
        row % self.count == self.index - 1
    }
}

impl FromStr for Shard {
    type Err = String;

    /// `K/N` with `1 <= K <= N`.
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || {
            format!(
                "invalid shard \"{s}\": expected K/N with 1 <= K <= N, e.g. 2/8 \
                 (K is 1-based: use $((SLURM_ARRAY_TASK_ID+1)) or $((JOB_COMPLETION_INDEX+1)) \
                 for 0-based indexes)"
            )
        };
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let k: usize = k.trim().parse().map_err(|_| bad())?;
        let n: usize = n.trim().parse().map_err(|_| bad())?;
        if n == 0 || k == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard { index: k, count: n })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_parsing() {
        assert_eq!("2/8".parse::<Shard>(), Ok(Shard { index: 2, count: 8 }));
        for bad in ["0/2", "3/2", "1/0", "x/2", "2", "1/2/3", ""] {
            let e = bad.parse::<Shard>().unwrap_err();
            assert!(e.contains("K/N"), "{e}");
        }
    }

    #[test]
    fn shards_partition_the_rows() {
        let n = 3;
        let mut seen = [0; 10];
        for k in 1..=n {
            let s = Shard { index: k, count: n };
            for (r, c) in seen.iter_mut().enumerate() {
                if s.holds(r) {
                    *c += 1;
                }
            }
        }
        assert!(seen.iter().all(|&c| c == 1));
    }
}
