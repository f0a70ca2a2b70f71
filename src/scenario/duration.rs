//! Durations in scenario files: strings with a unit, held as whole microseconds.
//!
//! Accepted syntax: a non-negative decimal number, optional whitespace, and a unit:
//! `us` (or `µs`), `ms`, `s`, `m` (minutes), `h`. Examples: `"250ms"`, `"90s"`, `"10m"`,
//! `"1h"`, `"1.5s"`, `"100us"`, `"0s"`, `"2 ms"`. The value must be a whole number of
//! microseconds (`"1.5us"` is rejected) and fit in a `u64`. Exponents, signs, `NaN` and
//! `inf` are rejected. A bare TOML integer (`duration = 90`) is rejected with a hint to add
//! a unit, because a unitless number is ambiguous.
//!
//! Serialization is canonical: the largest unit that divides the value exactly
//! (`"90s"`, `"1500ms"`, `"10m"`, `"250us"`, `"0s"`), so [`SimDuration`] round-trips.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A non-negative duration in whole microseconds (the engine's time unit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimDuration(pub u64);

/// Units in decreasing size: (suffix, microseconds per unit).
const UNITS: [(&str, u64); 5] = [
    ("h", 3_600_000_000),
    ("m", 60_000_000),
    ("s", 1_000_000),
    ("ms", 1_000),
    ("us", 1),
];

impl SimDuration {
    /// Zero.
    pub const ZERO: SimDuration = SimDuration(0);

    /// `us` microseconds.
    pub const fn from_micros(us: u64) -> Self {
        SimDuration(us)
    }
    /// `ms` milliseconds. Overflows (panics in debug builds) above about 584,000 years.
    pub const fn from_millis(ms: u64) -> Self {
        SimDuration(ms * 1_000)
    }
    /// `s` seconds. Overflows (panics in debug builds) above about 584,000 years.
    pub const fn from_secs(s: u64) -> Self {
        SimDuration(s * 1_000_000)
    }
    /// Whole microseconds.
    pub const fn as_micros(self) -> u64 {
        self.0
    }
    /// Milliseconds as a float (exact below 2^53 µs, about 285 years).
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / 1_000.0
    }
    /// Seconds as a float (exact below 2^53 µs, about 285 years).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1_000_000.0
    }
    /// True for the zero duration.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }
}

/// Why a duration string was rejected. Its `Display` is one line quoting the input, e.g.
/// `invalid duration "-5s": durations cannot be negative`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid duration \"{input}\": {reason}")]
pub struct DurationError {
    /// The string as given.
    pub input: String,
    /// What is wrong with it.
    pub reason: String,
}

fn err(input: &str, reason: impl Into<String>) -> DurationError {
    DurationError {
        input: input.to_string(),
        reason: reason.into(),
    }
}

const UNIT_HINT: &str = "use one of us, ms, s, m, h, e.g. \"250ms\" or \"90s\"";

impl FromStr for SimDuration {
    type Err = DurationError;

    fn from_str(input: &str) -> Result<Self, DurationError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(err(input, format!("empty; {UNIT_HINT}")));
        }
        if s.starts_with('-') {
            return Err(err(input, "durations cannot be negative"));
        }
        let lower = s.to_ascii_lowercase();
        if lower.contains("nan") || lower.contains("inf") {
            return Err(err(input, "must be a finite number with a unit"));
        }
        let num_end = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len());
        let (number, rest) = s.split_at(num_end);
        let unit = rest.trim_start();
        if number.is_empty() {
            return Err(err(
                input,
                format!("expected a number followed by a unit; {UNIT_HINT}"),
            ));
        }
        if unit.is_empty() {
            return Err(err(input, format!("missing unit; {UNIT_HINT}")));
        }
        let per_unit = match unit {
            "h" => 3_600_000_000u128,
            "m" => 60_000_000,
            "s" => 1_000_000,
            "ms" => 1_000,
            "us" | "µs" => 1,
            other => {
                return Err(err(input, format!("unknown unit \"{other}\"; {UNIT_HINT}")));
            }
        };
        let (int_part, frac_part) = match number.split_once('.') {
            Some((i, f)) => (i, f),
            None => (number, ""),
        };
        if frac_part.contains('.') || (int_part.is_empty() && frac_part.is_empty()) {
            return Err(err(input, "not a valid number"));
        }
        let overflow = || err(input, "too large (the maximum is about 584,000 years)");
        let mut whole: u128 = 0;
        for d in int_part.bytes() {
            whole = whole
                .checked_mul(10)
                .and_then(|w| w.checked_add(u128::from(d - b'0')))
                .filter(|w| *w <= u128::from(u64::MAX))
                .ok_or_else(overflow)?;
        }
        let mut us = whole.checked_mul(per_unit).ok_or_else(overflow)?;
        let frac = frac_part.trim_end_matches('0');
        if !frac.is_empty() {
            // More than 10 significant fraction digits can never be whole microseconds,
            // since the largest unit (1h) is 3.6e9 us.
            if frac.len() > 12 {
                return Err(err(input, "not a whole number of microseconds"));
            }
            let mut f: u128 = 0;
            for d in frac.bytes() {
                f = f * 10 + u128::from(d - b'0');
            }
            let scale = 10u128.pow(frac.len() as u32);
            let num = f * per_unit;
            if !num.is_multiple_of(scale) {
                return Err(err(input, "not a whole number of microseconds"));
            }
            us = us.checked_add(num / scale).ok_or_else(overflow)?;
        }
        let us = u64::try_from(us).map_err(|_| overflow())?;
        Ok(SimDuration(us))
    }
}

impl fmt::Display for SimDuration {
    /// Canonical form: the largest unit dividing the value exactly; zero is `0s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0s");
        }
        for (suffix, per) in UNITS {
            if self.0.is_multiple_of(per) {
                return write!(f, "{}{}", self.0 / per, suffix);
            }
        }
        unreachable!("1us divides everything")
    }
}

impl Serialize for SimDuration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

struct DurationVisitor;

impl serde::de::Visitor<'_> for DurationVisitor {
    type Value = SimDuration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a duration string with a unit, e.g. \"250ms\" or \"90s\"")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<SimDuration, E> {
        v.parse().map_err(E::custom)
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<SimDuration, E> {
        Err(E::custom(format!(
            "invalid duration {v}: durations are strings with a unit, e.g. \"{v}s\" or \"{v}ms\""
        )))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<SimDuration, E> {
        Err(E::custom(format!(
            "invalid duration {v}: durations are strings with a unit, e.g. \"{v}s\" or \"{v}ms\""
        )))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<SimDuration, E> {
        Err(E::custom(format!(
            "invalid duration {v}: durations are strings with a unit, e.g. \"{v}s\""
        )))
    }
}

impl<'de> Deserialize<'de> for SimDuration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DurationVisitor)
    }
}

/// A signed duration in whole microseconds, for offsets that may be negative (clock skew).
///
/// Syntax: an optional leading `-`, then a [`SimDuration`] string: `"-2s"`, `"1500ms"`,
/// `"-250us"`, `"0s"`. Serialized canonically (`"-2s"`, `"1500ms"`), so it round-trips.
/// Magnitudes above `i64::MAX` µs are rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SignedDuration(pub i64);

impl SignedDuration {
    /// Whole microseconds (negative for offsets into the past).
    pub const fn as_micros(self) -> i64 {
        self.0
    }
}

impl FromStr for SignedDuration {
    type Err = DurationError;

    fn from_str(input: &str) -> Result<Self, DurationError> {
        let s = input.trim();
        let (negative, rest) = match s.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, s),
        };
        let magnitude: SimDuration = rest.parse().map_err(|e: DurationError| DurationError {
            input: input.to_string(),
            reason: e.reason,
        })?;
        let us = i64::try_from(magnitude.as_micros())
            .map_err(|_| err(input, "too large (the maximum is about 292,000 years)"))?;
        Ok(SignedDuration(if negative { -us } else { us }))
    }
}

impl fmt::Display for SignedDuration {
    /// Canonical form: `-` for negative values, then the canonical [`SimDuration`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 < 0 {
            f.write_str("-")?;
        }
        SimDuration(self.0.unsigned_abs()).fmt(f)
    }
}

impl Serialize for SignedDuration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SignedDuration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = d.deserialize_any(SignedVisitor)?;
        Ok(text)
    }
}

struct SignedVisitor;

impl serde::de::Visitor<'_> for SignedVisitor {
    type Value = SignedDuration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a signed duration string with a unit, e.g. \"-2s\" or \"250ms\"")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<SignedDuration, E> {
        v.parse().map_err(E::custom)
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<SignedDuration, E> {
        Err(E::custom(format!(
            "invalid duration {v}: durations are strings with a unit, e.g. \"{v}s\" or \"{v}ms\""
        )))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<SignedDuration, E> {
        self.visit_i64(v as i64)
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<SignedDuration, E> {
        Err(E::custom(format!(
            "invalid duration {v}: durations are strings with a unit, e.g. \"{v}s\""
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(s: &str) -> Result<u64, String> {
        s.parse::<SimDuration>()
            .map(|d| d.as_micros())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn parses_all_units() {
        assert_eq!(p("250ms"), Ok(250_000));
        assert_eq!(p("90s"), Ok(90_000_000));
        assert_eq!(p("10m"), Ok(600_000_000));
        assert_eq!(p("1h"), Ok(3_600_000_000));
        assert_eq!(p("1.5s"), Ok(1_500_000));
        assert_eq!(p("100us"), Ok(100));
        assert_eq!(p("100µs"), Ok(100));
        assert_eq!(p("0s"), Ok(0));
        assert_eq!(p("2 ms"), Ok(2_000));
        assert_eq!(p(" 3s "), Ok(3_000_000));
        assert_eq!(p(".5s"), Ok(500_000));
        assert_eq!(p("1.000000000000000000000s"), Ok(1_000_000));
        assert_eq!(p("0.001ms"), Ok(1));
    }

    #[test]
    fn rejects_bad_input_with_clear_messages() {
        let cases = [
            ("-5s", "durations cannot be negative"),
            ("90", "missing unit"),
            ("5days", "unknown unit \"days\""),
            ("NaNs", "finite"),
            ("infs", "finite"),
            ("1.5us", "not a whole number of microseconds"),
            ("0.0001ms", "not a whole number of microseconds"),
            ("99999999999999999999h", "too large"),
            ("6000000000h", "too large"),
            ("", "empty"),
            ("s", "expected a number"),
            ("1.2.3s", "not a valid number"),
            (".s", "not a valid number"),
            ("1e3s", "unknown unit"),
            ("+5s", "expected a number"),
        ];
        for (input, want) in cases {
            let got = p(input).expect_err(input);
            assert!(got.contains(want), "{input:?}: {got}");
            assert!(
                got.starts_with(&format!("invalid duration \"{input}\"")),
                "{got}"
            );
        }
        assert_eq!(
            p("-5s").unwrap_err(),
            "invalid duration \"-5s\": durations cannot be negative"
        );
    }

    #[test]
    fn signed_durations() {
        let p = |s: &str| s.parse::<SignedDuration>().map(|d| d.0);
        assert_eq!(p("-2s"), Ok(-2_000_000));
        assert_eq!(p("1500ms"), Ok(1_500_000));
        assert_eq!(p(" -0s"), Ok(0));
        assert!(p("--2s").is_err());
        assert!(p("-2").is_err());
        assert_eq!(SignedDuration(-2_000_000).to_string(), "-2s");
        assert_eq!(SignedDuration(1_500_000).to_string(), "1500ms");
        let e = p("-x").unwrap_err();
        assert!(e.to_string().contains("\"-x\""), "{e}");
    }

    #[test]
    fn canonical_display() {
        let cases = [
            (90_000_000, "90s"),
            (1_500_000, "1500ms"),
            (600_000_000, "10m"),
            (250, "250us"),
            (0, "0s"),
            (3_600_000_000, "1h"),
            (5_400_000_000, "90m"),
        ];
        for (us, want) in cases {
            assert_eq!(SimDuration(us).to_string(), want);
        }
        assert_eq!(SimDuration(1_500).as_millis_f64(), 1.5);
        assert_eq!(SimDuration(2_500_000).as_secs_f64(), 2.5);
    }

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Doc {
        d: SimDuration,
    }

    #[test]
    fn serde_toml() {
        let doc: Doc = toml::from_str("d = \"1.5s\"").unwrap();
        assert_eq!(doc.d, SimDuration(1_500_000));
        assert_eq!(toml::to_string(&doc).unwrap().trim(), "d = \"1500ms\"");
        let e = toml::from_str::<Doc>("d = 90").unwrap_err();
        assert!(
            e.message().contains("add") || e.message().contains("\"90s\""),
            "{e}"
        );
        let e = toml::from_str::<Doc>("d = 1.5").unwrap_err();
        assert!(e.message().contains("strings with a unit"), "{e}");
        let e = toml::from_str::<Doc>("d = \"-5s\"").unwrap_err();
        assert!(e.message().contains("cannot be negative"), "{e}");
    }

    proptest! {
        #[test]
        fn canonical_round_trips(us in any::<u64>()) {
            let d = SimDuration(us);
            let back: SimDuration = d.to_string().parse().unwrap();
            prop_assert_eq!(back, d);
        }

        #[test]
        fn never_panics(s in "\\PC{0,24}") {
            let _ = s.parse::<SimDuration>();
        }
    }
}
