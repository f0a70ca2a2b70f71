//! Numbers as the charts print them: significant digits without exponent below 1e6, bytes
//! in decimal units, and the nearest-rank percentile the legends quote.
//!
//! Pure functions; may touch nothing else. (The console summary has its own byte format,
//! with two decimals.)

/// `v` with about `sig` significant digits, no exponent below 1e6, trailing zeros trimmed.
pub(super) fn fmt_sig(v: f64, sig: i32) -> String {
    if !v.is_finite() {
        return "n/a".to_string();
    }
    if v == 0.0 {
        return "0".to_string();
    }
    let mag = v.abs().log10().floor() as i32;
    if mag >= 6 {
        let s = format!("{:.*e}", (sig - 1).max(0) as usize, v);
        // "1.50e6" -> "1.5e6"
        if let Some((m, e)) = s.split_once('e') {
            return format!("{}e{}", trim_zeros(m), e);
        }
        return s;
    }
    let decimals = (sig - 1 - mag).clamp(0, 6) as usize;
    trim_zeros(&format!("{v:.decimals$}")).to_string()
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// Bytes in decimal units (powers of 1000): `999 B`, `1.5 KB`, `12.3 MB`, `1.23 GB`.
pub(super) fn human_bytes(b: f64) -> String {
    const UNITS: [(&str, f64); 5] = [
        ("PB", 1e15),
        ("TB", 1e12),
        ("GB", 1e9),
        ("MB", 1e6),
        ("KB", 1e3),
    ];
    if !b.is_finite() {
        return "n/a".to_string();
    }
    for (unit, scale) in UNITS {
        if b.abs() >= scale {
            return format!("{} {unit}", fmt_sig(b / scale, 3));
        }
    }
    format!("{} B", fmt_sig(b.round(), 3))
}

/// Nearest-rank percentile of a sorted, non-empty slice; `p` in (0, 1].
pub(super) fn nearest_rank(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    let rank = (p * n as f64).ceil() as usize;
    sorted[rank.clamp(1, n) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formats() {
        assert_eq!(human_bytes(0.0), "0 B");
        assert_eq!(human_bytes(999.0), "999 B");
        assert_eq!(human_bytes(1000.0), "1 KB");
        assert_eq!(human_bytes(12_345_678.0), "12.3 MB");
        assert_eq!(human_bytes(1.5e9), "1.5 GB");
        assert_eq!(fmt_sig(0.452, 3), "0.452");
        assert_eq!(fmt_sig(1234.0, 3), "1234");
        assert_eq!(fmt_sig(100.0, 3), "100");
        assert_eq!(fmt_sig(2.5e7, 3), "2.5e7");
        assert_eq!(nearest_rank(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.0);
        assert_eq!(nearest_rank(&[1.0, 2.0, 3.0, 4.0], 0.99), 4.0);
        assert_eq!(nearest_rank(&[7.0], 0.5), 7.0);
    }
}
