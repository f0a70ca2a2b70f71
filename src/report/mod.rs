//! Reports: JSON/CSV writers, plots, the console summary.

pub mod plot;
