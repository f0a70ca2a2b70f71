//! `sim swarm`: random fault mixes drawn from a swarm file, run on the rayon pool, judged by
//! named properties, failures written as scenario files and shrunk to small reproducers
//! (README "Swarm testing", `scenarios/swarm/README.md`).
//!
//! Modules, each naming only those before it: `spec` (the swarm file), `property` (the
//! properties and when each applies), `draw` (scenario `k` from `(seed, k)`), `features`
//! (what a scenario drew: columns, fault classes), `check` (one scenario run and judged),
//! `shrink` (a failure made small), `exec` (the jobs and the pool), `output` (`swarm.csv`,
//! `summary.txt`, `failures/`).

pub mod check;
pub mod draw;
pub mod exec;
pub mod features;
pub mod output;
pub mod property;
pub mod shrink;
pub mod spec;

pub use check::{check_text, Checked, Figures};
pub use draw::{draw, Drawn};
pub use exec::{indices, run, run_one, Options, ScenarioRow};
pub use output::{write_into, Header, SWARM_OUTPUT};
pub use property::{Facts, Property, Verdict};
pub use shrink::{shrink, Shrunk};
pub use spec::{load, parse, SwarmError, SwarmSpec};
