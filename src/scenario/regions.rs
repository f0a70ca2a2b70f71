//! The region RTT matrix named by `network.latency.regions`.
//!
//! File layout (see `scenarios/data/inter-region-rtt-ms.csv`): lines starting with `#` are
//! comments, blank lines are skipped, then a header `from,<region>,<region>...`, then one row
//! per region `<region>,<rtt ms>,...` giving the average round-trip time in milliseconds
//! from the row's region to each column's region. The diagonal cell is empty (or `0`): same-
//! region latency comes from `network.latency.same_region`. Rows may come in any order; the
//! matrix may be slightly asymmetric (measured figures), and is kept as given.

use std::path::Path;

use super::error::{ErrorKind, ScenarioError};

/// A square matrix of round-trip times in milliseconds between named regions.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionMatrix {
    /// Region names in header order; region index `i` is `names[i]`.
    pub names: Vec<String>,
    /// `rtt_ms[from][to]`: average RTT in milliseconds, finite and >= 0, indexed in header
    /// order. The diagonal is 0.0 (the file leaves it empty).
    pub rtt_ms: Vec<Vec<f64>>,
}

impl RegionMatrix {
    /// Parses the CSV layout described in the module docs. `origin` names the file in errors.
    ///
    /// # Errors
    /// [`ErrorKind::Regions`] naming `origin` and the line: no header, a header not starting
    /// with `from`, empty or duplicate region names, a row for an unknown or repeated region,
    /// a row with the wrong number of cells (non-square), a missing off-diagonal cell, a
    /// non-numeric, non-finite or negative cell, a non-empty non-zero diagonal cell, or a
    /// region without a row.
    pub fn parse(text: &str, origin: &Path) -> Result<RegionMatrix, ScenarioError> {
        let fail = |line: Option<u64>, msg: String| {
            ScenarioError::new(origin, ErrorKind::Regions, msg).with_line(line.map(|l| l as usize))
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .comment(Some(b'#'))
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let mut records = reader.records();

        let header = match records.next() {
            Some(Ok(h)) => h,
            Some(Err(e)) => return Err(fail(e.position().map(|p| p.line()), e.to_string())),
            None => {
                return Err(fail(
                    None,
                    "empty region matrix: expected a header `from,<region>,...`".into(),
                ))
            }
        };
        let header_line = header.position().map(|p| p.line());
        if header.get(0).map(|c| c.eq_ignore_ascii_case("from")) != Some(true) {
            return Err(fail(
                header_line,
                format!(
                    "the header must start with `from`, got \"{}\"",
                    header.get(0).unwrap_or("")
                ),
            ));
        }
        let names: Vec<String> = header.iter().skip(1).map(str::to_string).collect();
        if names.is_empty() {
            return Err(fail(header_line, "the header names no regions".into()));
        }
        for (i, name) in names.iter().enumerate() {
            if name.is_empty() {
                return Err(fail(
                    header_line,
                    format!("empty region name in header column {}", i + 2),
                ));
            }
            if names[..i].contains(name) {
                return Err(fail(
                    header_line,
                    format!("duplicate region \"{name}\" in header"),
                ));
            }
        }

        let n = names.len();
        let mut rows: Vec<Option<Vec<f64>>> = vec![None; n];
        let mut last_line = header_line;
        for record in records {
            let record = record.map_err(|e| fail(e.position().map(|p| p.line()), e.to_string()))?;
            let line = record.position().map(|p| p.line());
            last_line = line;
            let name = record.get(0).unwrap_or("");
            let Some(from) = names.iter().position(|n| n == name) else {
                return Err(fail(
                    line,
                    format!("row for unknown region \"{name}\" (not in the header)"),
                ));
            };
            if rows[from].is_some() {
                return Err(fail(line, format!("duplicate row for region \"{name}\"")));
            }
            if record.len() != n + 1 {
                return Err(fail(
                    line,
                    format!(
                        "row \"{name}\" has {} values, expected {n} (the matrix must be square)",
                        record.len().saturating_sub(1)
                    ),
                ));
            }
            let mut row = vec![0.0; n];
            for (to, cell) in record.iter().skip(1).enumerate() {
                if to == from {
                    let ok = cell.is_empty() || cell.parse::<f64>().is_ok_and(|v| v == 0.0);
                    if !ok {
                        return Err(fail(
                            line,
                            format!(
                                "diagonal cell of \"{name}\" must be empty or 0, got \"{cell}\""
                            ),
                        ));
                    }
                    continue;
                }
                let to_name = &names[to];
                if cell.is_empty() {
                    return Err(fail(
                        line,
                        format!("missing RTT from \"{name}\" to \"{to_name}\""),
                    ));
                }
                let v: f64 = cell.parse().map_err(|_| {
                    fail(
                        line,
                        format!("RTT from \"{name}\" to \"{to_name}\" is not a number: \"{cell}\""),
                    )
                })?;
                if !v.is_finite() || v < 0.0 {
                    return Err(fail(
                        line,
                        format!(
                            "RTT from \"{name}\" to \"{to_name}\" must be finite and >= 0, got {cell}"
                        ),
                    ));
                }
                row[to] = v;
            }
            rows[from] = Some(row);
        }
        let mut rtt_ms = Vec::with_capacity(n);
        for (i, row) in rows.into_iter().enumerate() {
            match row {
                Some(r) => rtt_ms.push(r),
                None => {
                    return Err(fail(
                        last_line,
                        format!(
                            "no row for region \"{}\" (the matrix must be square)",
                            names[i]
                        ),
                    ))
                }
            }
        }
        Ok(RegionMatrix { names, rtt_ms })
    }

    /// Number of regions.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True if there are no regions (never for a parsed matrix).
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Index of the region called `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// Region of participant `id` under the round-robin assignment (`id mod len`).
    pub fn region_of(&self, participant: u32) -> usize {
        participant as usize % self.names.len()
    }

    /// One-way latency in milliseconds from region `from` to region `to`: RTT / 2, using the
    /// `from` row (the matrix may be asymmetric). The diagonal returns 0.0; callers use
    /// `network.latency.same_region` for two participants of one region.
    ///
    /// # Panics
    /// If `from` or `to` is not below [`len`](Self::len).
    pub fn one_way_ms(&self, from: usize, to: usize) -> f64 {
        self.rtt_ms[from][to] / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REAL: &str = include_str!("../../scenarios/data/inter-region-rtt-ms.csv");

    fn parse(text: &str) -> Result<RegionMatrix, String> {
        RegionMatrix::parse(text, Path::new("m.csv")).map_err(|e| e.to_string())
    }

    #[test]
    fn real_file() {
        let m = parse(REAL).unwrap();
        assert_eq!(m.len(), 10);
        assert_eq!(m.names[0], "Dallas");
        assert_eq!(m.names[2], "Washington DC");
        assert_eq!(m.names[9], "Sao Paulo");
        let dal = m.index_of("Dallas").unwrap();
        let tor = m.index_of("Toronto").unwrap();
        assert_eq!(m.one_way_ms(dal, tor), 17.0);
        assert_eq!(m.one_way_ms(dal, dal), 0.0);
        // Asymmetric as published: Madrid->Dallas 122, Dallas->Madrid 119.
        let mad = m.index_of("Madrid").unwrap();
        assert_eq!(m.rtt_ms[mad][dal], 122.0);
        assert_eq!(m.rtt_ms[dal][mad], 119.0);
        assert_eq!(m.region_of(13), 3);
        for (i, row) in m.rtt_ms.iter().enumerate() {
            assert_eq!(row.len(), 10);
            for (j, v) in row.iter().enumerate() {
                assert!(*v >= 0.0);
                assert_eq!(i == j, *v == 0.0);
            }
        }
    }

    #[test]
    fn errors_name_file_and_line() {
        let cases: [(&str, &str); 10] = [
            (
                "# c\nfrom,A,B\nA,,1\nB,1\n",
                "line 4: row \"B\" has 1 values, expected 2",
            ),
            (
                "from,A,B\nA,,1\nC,1,\n",
                "line 3: row for unknown region \"C\"",
            ),
            ("from,A,A\n", "line 1: duplicate region \"A\""),
            (
                "from,A,B\nA,,1\nA,,1\n",
                "line 3: duplicate row for region \"A\"",
            ),
            (
                "from,A,B\nA,,x\nB,1,\n",
                "line 2: RTT from \"A\" to \"B\" is not a number",
            ),
            (
                "from,A,B\nA,,-1\nB,1,\n",
                "line 2: RTT from \"A\" to \"B\" must be finite and >= 0",
            ),
            (
                "from,A,B\nA,,\nB,1,\n",
                "line 2: missing RTT from \"A\" to \"B\"",
            ),
            ("from,A,B\nA,,1\n", "line 2: no row for region \"B\""),
            ("to,A\n", "line 1: the header must start with `from`"),
            (
                "from,A,B\nA,5,1\nB,1,\n",
                "line 2: diagonal cell of \"A\" must be empty or 0",
            ),
        ];
        for (text, want) in cases {
            let got = parse(text).unwrap_err();
            assert!(got.starts_with("m.csv: "), "{got}");
            assert!(got.contains(want), "{text:?}: {got}");
        }
        assert!(parse("# only\n")
            .unwrap_err()
            .contains("empty region matrix"));
        assert!(parse("from,A,B\nA,,inf\nB,1,\n")
            .unwrap_err()
            .contains("finite"));
    }

    #[test]
    fn rows_in_any_order() {
        let m = parse("from,A,B\nB,3,\nA,,4\n").unwrap();
        assert_eq!(m.rtt_ms, vec![vec![0.0, 4.0], vec![3.0, 0.0]]);
        assert_eq!(m.one_way_ms(1, 0), 1.5);
    }
}
