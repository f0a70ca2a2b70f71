//! Mean and 95% confidence interval of a metric over the seeds of one sweep point.
//!
//! The interval is the two-sided 95% Student t interval of the mean,
//! `mean ± t(0.975, n − 1) · s / √n`, with `s` the sample standard deviation (n − 1 in the
//! denominator). It assumes the per-seed values are independent draws from a roughly normal
//! distribution; with few seeds it is wide, as it should be. With one seed there is no
//! interval. `t` comes from a table for 1 to 30 degrees of freedom (standard values, to 3
//! decimals) and from the Cornish-Fisher expansion of the t quantile in the normal quantile
//! beyond (error below 1e-4 there).

use serde::{Deserialize, Serialize};

/// Summary of one metric at one point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    /// Runs (seeds) with a value for this metric.
    pub runs: usize,
    pub mean: f64,
    /// Sample standard deviation (`null` with one run).
    pub stddev: Option<f64>,
    /// Lower end of the 95% Student t interval of the mean (`null` with one run).
    pub ci95_low: Option<f64>,
    /// Upper end of the 95% Student t interval of the mean (`null` with one run).
    pub ci95_high: Option<f64>,
    pub min: f64,
    pub max: f64,
}

/// Two-sided 95% quantile `t(0.975, df)` of Student's t distribution for df = 1..=30.
const T975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042,
];

/// `t(0.975, df)` (see the module docs); `df` ≥ 1.
pub fn t975(df: usize) -> f64 {
    if (1..=30).contains(&df) {
        return T975[df - 1];
    }
    let z: f64 = 1.959_963_984_540_054;
    let n = df.max(1) as f64;
    let (z3, z5, z7) = (z.powi(3), z.powi(5), z.powi(7));
    z + (z3 + z) / (4.0 * n)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * n * n)
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * n * n * n)
}

/// Statistics of `values` (in the given order; `None` when empty or any is not finite).
pub fn stat(values: &[f64]) -> Option<Stat> {
    if values.is_empty() || values.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n as f64;
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (stddev, low, high) = if n >= 2 {
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let s = var.sqrt();
        let half = t975(n - 1) * s / (n as f64).sqrt();
        (Some(s), Some(mean - half), Some(mean + half))
    } else {
        (None, None, None)
    };
    Some(Stat {
        runs: n,
        mean,
        stddev,
        ci95_low: low,
        ci95_high: high,
        min,
        max,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles() {
        assert_eq!(t975(1), 12.706);
        assert_eq!(t975(2), 4.303);
        // Beyond the table: known values t(0.975, 40) = 2.021, 60: 2.000, 120: 1.980.
        assert!((t975(40) - 2.021).abs() < 1e-3, "{}", t975(40));
        assert!((t975(60) - 2.000).abs() < 1e-3, "{}", t975(60));
        assert!((t975(120) - 1.980).abs() < 1e-3, "{}", t975(120));
        // Continuous at the end of the table.
        assert!((t975(31) - 2.040).abs() < 1e-3, "{}", t975(31));
    }

    #[test]
    fn interval_of_three_values() {
        let s = stat(&[1.0, 2.0, 3.0]).expect("stat");
        assert_eq!(s.mean, 2.0);
        assert_eq!(s.stddev, Some(1.0));
        let half = 4.303 / 3f64.sqrt();
        assert!((s.ci95_low.unwrap() - (2.0 - half)).abs() < 1e-12);
        assert!((s.ci95_high.unwrap() - (2.0 + half)).abs() < 1e-12);
        assert_eq!((s.min, s.max, s.runs), (1.0, 3.0, 3));
    }

    #[test]
    fn one_value_has_no_interval_and_empty_has_no_stat() {
        let s = stat(&[5.0]).expect("stat");
        assert_eq!((s.mean, s.stddev, s.ci95_low), (5.0, None, None));
        assert_eq!(stat(&[]), None);
        assert_eq!(stat(&[1.0, f64::NAN]), None);
    }
}
