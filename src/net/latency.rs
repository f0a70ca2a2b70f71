//! One-way latency models: a region RTT matrix plus jitter, or a distribution.

use rand::{Rng, RngExt};
use rand_distr::{Distribution as _, LogNormal, Normal, Pareto};

use super::NetError;
use crate::scenario::{Distribution, Latency, RegionMatrix};

/// Default one-way latency when a scenario gives neither `regions` nor `distribution`: 50 ms.
pub const DEFAULT_LATENCY_US: u64 = 50_000;
/// Default one-way latency inside a region: 1 ms (the region matrix source lists inter-zone
/// averages of about 2 ms RTT).
pub const DEFAULT_SAME_REGION_US: u64 = 1_000;

/// A sampler of non-negative durations in µs built from a scenario [`Distribution`].
#[derive(Debug, Clone)]
pub enum Sampler {
    Constant(u64),
    Uniform(u64, u64),
    Normal(Normal<f64>),
    LogNormal(LogNormal<f64>),
    Pareto(Pareto<f64>),
}

impl Sampler {
    /// Builds the sampler; parameters are in µs (durations) or dimensionless (sigma, shape).
    pub fn new(d: &Distribution) -> Result<Sampler, NetError> {
        let bad = |e: &dyn std::fmt::Display| NetError::Latency(e.to_string());
        Ok(match d {
            Distribution::Constant { value } => Sampler::Constant(value.as_micros()),
            Distribution::Uniform { min, max } => {
                Sampler::Uniform(min.as_micros(), max.as_micros().max(min.as_micros()))
            }
            Distribution::Normal { mean, std_dev } => Sampler::Normal(
                Normal::new(mean.as_micros() as f64, std_dev.as_micros() as f64)
                    .map_err(|e| bad(&e))?,
            ),
            Distribution::Lognormal { median, sigma } => Sampler::LogNormal(
                LogNormal::new((median.as_micros().max(1) as f64).ln(), *sigma)
                    .map_err(|e| bad(&e))?,
            ),
            Distribution::Pareto { scale, shape } => Sampler::Pareto(
                Pareto::new(scale.as_micros().max(1) as f64, *shape).map_err(|e| bad(&e))?,
            ),
        })
    }

    /// One draw in µs, clamped to `[0, u64::MAX / 4]`.
    pub fn sample_us(&self, rng: &mut impl Rng) -> u64 {
        let clamp = |x: f64| {
            if x.is_finite() && x > 0.0 {
                x.min((u64::MAX / 4) as f64).round() as u64
            } else {
                0
            }
        };
        match self {
            Sampler::Constant(v) => *v,
            Sampler::Uniform(a, b) => {
                if a == b {
                    *a
                } else {
                    rng.random_range(*a..=*b)
                }
            }
            Sampler::Normal(d) => clamp(d.sample(rng)),
            Sampler::LogNormal(d) => clamp(d.sample(rng)),
            Sampler::Pareto(d) => clamp(d.sample(rng)),
        }
    }

    /// Signed draw in µs (jitter may be negative, e.g. a normal with mean 0).
    fn sample_signed_us(&self, rng: &mut impl Rng) -> i64 {
        match self {
            Sampler::Normal(d) => {
                let x = d.sample(rng);
                if x.is_finite() {
                    x.round().clamp(-(1i64 << 52) as f64, (1i64 << 52) as f64) as i64
                } else {
                    0
                }
            }
            other => other.sample_us(rng) as i64,
        }
    }
}

/// How the one-way latency of a copy is drawn.
#[derive(Debug, Clone)]
pub enum LatencyModel {
    /// Participant `i` is in region `i mod R`; base one-way latency is the region pair's
    /// RTT / 2 (same region: `same_region`), plus a jitter draw; the sum is clamped at 0.
    Regions {
        regions: u32,
        /// Row-major `R x R` one-way latencies in µs.
        one_way_us: Vec<u64>,
        jitter: Option<Sampler>,
        /// Region of each network node (`i mod R`), so that a copy's latency reads a table
        /// instead of dividing; empty when `R` exceeds 65,536 (then it divides).
        region_of: Vec<u16>,
    },
    /// Every copy's latency is an independent draw.
    Distribution(Sampler),
}

impl LatencyModel {
    /// Builds the model for `n` participants from `[network.latency]`.
    pub fn new(
        cfg: &Latency,
        matrix: Option<&RegionMatrix>,
        n: u32,
    ) -> Result<LatencyModel, NetError> {
        if let Some(d) = &cfg.distribution {
            return Ok(LatencyModel::Distribution(Sampler::new(d)?));
        }
        if cfg.regions.is_none() {
            return Ok(LatencyModel::Distribution(Sampler::Constant(
                DEFAULT_LATENCY_US,
            )));
        }
        let m = matrix.ok_or(NetError::MissingRegions)?;
        let r = m.names.len();
        let same = cfg
            .same_region
            .map(|d| d.as_micros())
            .unwrap_or(DEFAULT_SAME_REGION_US);
        let mut one_way_us = vec![0u64; r * r];
        for a in 0..r {
            for b in 0..r {
                one_way_us[a * r + b] = if a == b {
                    same
                } else {
                    (m.rtt_ms[a][b] * 1_000.0 / 2.0).round() as u64
                };
            }
        }
        let region_of = match u16::try_from(r - 1) {
            Ok(_) => (0..n).map(|i| (i as usize % r) as u16).collect(),
            Err(_) => Vec::new(),
        };
        Ok(LatencyModel::Regions {
            regions: r as u32,
            one_way_us,
            jitter: cfg.jitter.as_ref().map(Sampler::new).transpose()?,
            region_of,
        })
    }

    /// Region of participant `i` (0 for distribution models).
    pub fn region_of(&self, i: u32) -> u32 {
        match self {
            LatencyModel::Regions { regions, .. } => i % regions,
            LatencyModel::Distribution(_) => 0,
        }
    }

    /// One latency draw in µs for a copy `from -> to`.
    pub fn sample_us(&self, from: u32, to: u32, rng: &mut impl Rng) -> u64 {
        match self {
            LatencyModel::Regions {
                regions,
                one_way_us,
                jitter,
                ..
            } => {
                let r = *regions as usize;
                let base = one_way_us[(from as usize % r) * r + (to as usize % r)];
                match jitter {
                    None => base,
                    Some(j) => (base as i64).saturating_add(j.sample_signed_us(rng)).max(0) as u64,
                }
            }
            LatencyModel::Distribution(s) => s.sample_us(rng),
        }
    }

    /// The model as seen by sender `from`: what every copy it sends shares, looked up once
    /// for a batch of copies ([`SenderLatency::sample_us`] gives the same draws, in the same
    /// order, as [`LatencyModel::sample_us`] for each copy).
    pub(crate) fn sender(&self, from: u32) -> SenderLatency<'_> {
        match self {
            LatencyModel::Regions {
                regions,
                one_way_us,
                jitter,
                region_of,
            } => {
                let r = *regions as usize;
                let start = (from as usize % r) * r;
                SenderLatency::Row {
                    row: &one_way_us[start..start + r],
                    regions: *regions,
                    region_of,
                    jitter: match jitter {
                        None => Jitter::None,
                        Some(Sampler::Uniform(a, b)) if a != b => Jitter::Uniform(*a, *b),
                        Some(s) => Jitter::Other(s),
                    },
                }
            }
            LatencyModel::Distribution(s) => SenderLatency::Distribution(s),
        }
    }
}

/// The jitter of a region model, with the common uniform case unwrapped.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Jitter<'a> {
    None,
    /// Uniform on `[a, b]` µs with `a < b` (one `random_range` draw).
    Uniform(u64, u64),
    Other(&'a Sampler),
}

/// The latency model seen by one sender ([`LatencyModel::sender`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum SenderLatency<'a> {
    /// Region model: the sender's row of one-way latencies (µs, one per region).
    Row {
        row: &'a [u64],
        regions: u32,
        /// Region of each node (empty: `to mod regions`).
        region_of: &'a [u16],
        jitter: Jitter<'a>,
    },
    Distribution(&'a Sampler),
}

impl SenderLatency<'_> {
    /// One latency draw in µs for a copy to `to`: the value [`LatencyModel::sample_us`]
    /// draws for `(from, to)` with the same `rng`.
    #[inline(always)]
    pub(crate) fn sample_us<R: Rng>(&self, to: u32, rng: &mut R) -> u64 {
        match *self {
            SenderLatency::Row {
                row,
                regions,
                region_of,
                jitter,
            } => {
                let col = match region_of.get(to as usize) {
                    Some(&c) => c as usize,
                    None => (to % regions) as usize,
                };
                let base = row[col];
                match jitter {
                    Jitter::None => base,
                    Jitter::Uniform(a, b) => (base as i64)
                        .saturating_add(uniform_inclusive_u64(a, b, rng) as i64)
                        .max(0) as u64,
                    Jitter::Other(j) => {
                        (base as i64).saturating_add(j.sample_signed_us(rng)).max(0) as u64
                    }
                }
            }
            SenderLatency::Distribution(s) => s.sample_us(rng),
        }
    }
}

/// `rng.random_range(a..=b)` on `u64` for `a <= b`, inlined into the caller's loop: the same
/// draws and the same value as rand 0.10's `UniformInt::<u64>::sample_single_inclusive`,
/// which `random_range` calls (Canon's method as rand builds it by default, without its
/// `unbiased` feature: one 64-bit draw, a second one only when the first one's low product
/// word is within `range` of overflowing). The call through rand is not inlined and cost
/// ~50 instructions per relay copy of a region model with uniform jitter (issue 16).
/// `tests` (`uniform_inclusive_draws_what_random_range_draws`) compare the two.
#[inline(always)]
pub(crate) fn uniform_inclusive_u64<R: Rng + ?Sized>(a: u64, b: u64, rng: &mut R) -> u64 {
    let range = b.wrapping_sub(a).wrapping_add(1);
    if range == 0 {
        return rng.next_u64();
    }
    let product = u128::from(rng.next_u64()) * u128::from(range);
    let (mut result, low) = ((product >> 64) as u64, product as u64);
    if low > range.wrapping_neg() {
        let high = ((u128::from(rng.next_u64()) * u128::from(range)) >> 64) as u64;
        result += u64::from(low.checked_add(high).is_none());
    }
    a.wrapping_add(result)
}
