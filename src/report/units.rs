//! Numbers as reports write them: the rounding that keeps `report.json` stable (ms to µs,
//! seconds to ms, ratios to 1e-6) and the human units of the console summary and
//! `report.html` (bytes and bit rates in decimal units).
//!
//! Pure functions; may touch nothing else.

use crate::time::{SimTime, US_PER_S};

/// µs to ms, rounded to µs.
pub(super) fn ms(us: u64) -> f64 {
    round3(us as f64 / 1_000.0)
}

/// Simulated µs to s, rounded to ms.
pub(super) fn secs(us: SimTime) -> f64 {
    round3(us as f64 / US_PER_S as f64)
}

/// Rounded to 3 decimals.
pub(super) fn round3(x: f64) -> f64 {
    (x * 1_000.0).round() / 1_000.0
}

/// Rounded to 6 decimals (ratios).
pub(super) fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// `a / b` rounded to 1e-6; 1 when `b` is 0 (nothing expected, nothing missed).
pub(super) fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        1.0
    } else {
        round6(a as f64 / b as f64)
    }
}

/// `a / b` rounded to 1e-6; 0 when `b` is 0 (a rate per item of an empty set).
pub(super) fn ratio_or_zero(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        round6(a as f64 / b as f64)
    }
}

/// `1234567` -> `"1.23 MB"` (powers of 1000).
pub fn human_bytes(b: u64) -> String {
    let units = ["B", "KB", "MB", "GB", "TB", "PB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < units.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.2} {}", units[u])
    }
}

/// Bits per second in decimal units with two decimals: `2.50 Mbit/s`.
pub(super) fn human_bps(bps: f64) -> String {
    let units = ["bit/s", "kbit/s", "Mbit/s", "Gbit/s"];
    let mut v = bps;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < units.len() {
        v /= 1000.0;
        u += 1;
    }
    format!("{v:.2} {}", units[u])
}

/// A count with thousands separators: `1478968` -> `"1,478,968"` (the console and
/// `report.html`; JSON and CSV keep plain integers).
pub fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Latency percentiles for people: `human_ms` of `ms`, or `-` when nothing was measured
/// (`count` 0: no delivery, no acknowledgement).
pub fn human_ms_or_dash(ms: f64, count: u64) -> String {
    if count == 0 {
        "-".into()
    } else {
        human_ms(ms)
    }
}

/// Milliseconds for people (the console and `report.html`; JSON and CSV keep ms): three
/// significant digits below 100 s (`0.42 ms`, `4.50 ms`, `137 ms`, `4.21 s`, `30.2 s`), one
/// decimal up to 1,000 s (`143.1 s`), then minutes (`16.7 min`) and, from 100 minutes on,
/// hours (`2.78 h`).
pub fn human_ms(ms: f64) -> String {
    let sig3 = |v: f64| {
        let decimals = if v >= 100.0 {
            0
        } else if v >= 10.0 {
            1
        } else {
            2
        };
        format!("{v:.decimals$}")
    };
    let s = ms / 1000.0;
    if !ms.is_finite() {
        format!("{ms} ms")
    } else if ms < 1000.0 {
        format!("{} ms", sig3(ms))
    } else if s < 100.0 {
        format!("{} s", sig3(s))
    } else if s < 1000.0 {
        format!("{s:.1} s")
    } else if s < 6000.0 {
        format!("{} min", sig3(s / 60.0))
    } else {
        format!("{} h", sig3(s / 3600.0))
    }
}

/// A recovery time in seconds for people: `never` for `None` (not within the run), else
/// [`human_ms`] (`0.00 ms` when already recovered at the window's end).
pub(super) fn human_recovery(s: Option<f64>) -> String {
    s.map_or_else(|| "never".to_owned(), |s| human_ms(s * 1_000.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_units() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(18_858), "18.86 KB");
        assert_eq!(human_bps(2_500_000.0), "2.50 Mbit/s");
        assert_eq!(human_ms(0.0), "0.00 ms");
        assert_eq!(human_ms_or_dash(0.0, 0), "-");
        assert_eq!(group_digits(0), "0");
        assert_eq!(group_digits(999), "999");
        assert_eq!(group_digits(1000), "1,000");
        assert_eq!(group_digits(1_478_968), "1,478,968");
        assert_eq!(group_digits(u64::MAX), "18,446,744,073,709,551,615");
        assert_eq!(human_ms(4.5), "4.50 ms");
        assert_eq!(human_ms(136.976), "137 ms");
        assert_eq!(human_ms(4210.0), "4.21 s");
        assert_eq!(human_ms(30_159.294), "30.2 s");
        assert_eq!(human_ms(143_124.459), "143.1 s");
        assert_eq!(human_ms(999_949.0), "999.9 s");
        assert_eq!(human_ms(1_000_000.0), "16.7 min");
        assert_eq!(human_ms(3_600_000.0), "60.0 min");
        assert_eq!(human_ms(36_000_000.0), "10.0 h");
        assert_eq!(human_recovery(None), "never");
        assert_eq!(human_recovery(Some(245.0)), "245.0 s");
    }
}
