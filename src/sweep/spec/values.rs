//! The values of one swept key: a list as written, or a range (`{ from, to, step }`,
//! `{ from, to, factor }`) expanded; their limits.
//!
//! A leaf: names nothing else in `sweep/`; its errors are plain messages that
//! `file.rs` places in the sweep file.

/// Most values one swept key may take.
pub const MAX_VALUES: usize = 10_000;

/// The values of one swept key as written: a non-empty list, or a range written as an inline
/// table ([`range`]); at most [`MAX_VALUES`], none twice.
///
/// # Errors
/// What is wrong, for the caller to name the file, line and key.
pub(super) fn key_values(value: &toml::Value, inline: bool) -> Result<Vec<toml::Value>, String> {
    let values = match value {
        toml::Value::Array(a) => {
            if a.is_empty() {
                return Err("empty list: give at least one value".into());
            }
            a.clone()
        }
        toml::Value::Table(t) if inline => range(t)?,
        other => {
            return Err(format!(
                "expected a list of values ([0.0, 0.01]) or a range \
                 ({{ from = 2, to = 10, step = 4 }}), got {} {other}; put a fixed value in [set]",
                other.type_str()
            ))
        }
    };
    if values.len() > MAX_VALUES {
        return Err(format!(
            "{} values is more than the limit of {MAX_VALUES}",
            values.len()
        ));
    }
    for (i, v) in values.iter().enumerate() {
        if values[..i].contains(v) {
            return Err(format!("value {v} listed twice"));
        }
    }
    Ok(values)
}

/// Expands `{ from, to, step }` (arithmetic, `to` included when hit) or
/// `{ from, to, factor }` (geometric). All-integer bounds give integers; otherwise floats,
/// rounded to 12 significant digits (so `0.01` steps give `0.03`, not `0.030000000000000002`).
pub(super) fn range(t: &toml::Table) -> Result<Vec<toml::Value>, String> {
    const KEYS: [&str; 4] = ["from", "to", "step", "factor"];
    for k in t.keys() {
        if !KEYS.contains(&k.as_str()) {
            return Err(format!(
                "unknown range key \"{k}\" (expected: from, to, and step or factor)"
            ));
        }
    }
    let num = |k: &str| -> Result<Option<toml::Value>, String> {
        match t.get(k) {
            None => Ok(None),
            Some(v @ toml::Value::Integer(_)) => Ok(Some(v.clone())),
            Some(toml::Value::Float(f)) if f.is_finite() => Ok(Some(toml::Value::Float(*f))),
            Some(other) => Err(format!("range `{k}` must be a finite number, got {other}")),
        }
    };
    let (Some(from), Some(to)) = (num("from")?, num("to")?) else {
        return Err("a range needs `from` and `to` (and `step` or `factor`)".into());
    };
    let (step, factor) = (num("step")?, num("factor")?);
    let as_f = |v: &toml::Value| match v {
        toml::Value::Integer(i) => *i as f64,
        toml::Value::Float(f) => *f,
        _ => f64::NAN,
    };
    let (fa, fb) = (as_f(&from), as_f(&to));
    if fb < fa {
        return Err(format!("range `to` ({to}) is below `from` ({from})"));
    }
    let too_many = || format!("the range has more than {MAX_VALUES} values");
    match (step, factor) {
        (Some(step), None) => {
            let s = as_f(&step);
            if s <= 0.0 {
                return Err(format!("range `step` must be > 0, got {step}"));
            }
            if let (toml::Value::Integer(a), toml::Value::Integer(b), toml::Value::Integer(s)) =
                (&from, &to, &step)
            {
                let n = (b - a) / s + 1;
                if n as u64 > MAX_VALUES as u64 {
                    return Err(too_many());
                }
                return Ok((0..n).map(|i| toml::Value::Integer(a + i * s)).collect());
            }
            let n = ((fb - fa) / s + 1e-9).floor() + 1.0;
            if n > MAX_VALUES as f64 {
                return Err(too_many());
            }
            Ok((0..n as usize)
                .map(|i| toml::Value::Float(round_sig(fa + i as f64 * s)))
                .collect())
        }
        (None, Some(factor)) => {
            let f = as_f(&factor);
            if f <= 1.0 {
                return Err(format!("range `factor` must be > 1, got {factor}"));
            }
            if fa <= 0.0 {
                return Err(format!("a `factor` range needs `from` > 0, got {from}"));
            }
            let mut out = Vec::new();
            if let (toml::Value::Integer(a), toml::Value::Integer(b), toml::Value::Integer(f)) =
                (&from, &to, &factor)
            {
                let mut v = *a;
                while v <= *b {
                    out.push(toml::Value::Integer(v));
                    match v.checked_mul(*f) {
                        Some(next) => v = next,
                        None => break,
                    }
                }
                return Ok(out);
            }
            for i in 0.. {
                let v = round_sig(fa * f.powi(i));
                if v > fb * (1.0 + 1e-9) {
                    break;
                }
                if out.len() >= MAX_VALUES {
                    return Err(too_many());
                }
                out.push(toml::Value::Float(v));
            }
            Ok(out)
        }
        (Some(_), Some(_)) => Err("give either `step` or `factor`, not both".into()),
        (None, None) => Err("a range needs `step` (arithmetic) or `factor` (geometric)".into()),
    }
}

/// `x` rounded to 12 significant digits.
fn round_sig(x: f64) -> f64 {
    format!("{x:.11e}").parse().unwrap_or(x)
}
