//! Partition windows in engine units: each network node's group per partition, and which
//! senders a one-way partition cuts (`[[partitions]]`, scenarios/README.md). Used by
//! [`super::Network::is_cut`] and [`super::Network::is_isolated`].

use crate::time::SimTime;

/// A partition window with each participant's group.
#[derive(Debug, Clone)]
pub(super) struct PartitionWindow {
    pub start: SimTime,
    pub heal: SimTime,
    pub group_of: Vec<u16>,
    /// One-way: only copies sent by these participants (to another group) are cut.
    pub one_way_from: Option<Vec<bool>>,
    /// `isolate` partitions: per participant, true if isolated (empty otherwise).
    pub isolated: Vec<bool>,
}

impl PartitionWindow {
    pub fn isolated(&self, node: u32) -> bool {
        self.isolated.get(node as usize).copied().unwrap_or(false)
    }
}

/// Group index of every network node for one partition (see `scenario::Partition`): the
/// participants `0..n` as the scenario says; the dedicated service nodes `n..nodes` split
/// by the same `fractions` among themselves, or in the group of unlisted participants
/// (`ids`, `isolate`).
pub(super) fn partition_groups(p: &crate::scenario::Partition, n: u32, nodes: u32) -> Vec<u16> {
    let mut group_of = participant_groups(p, n);
    let services = nodes - n;
    if services > 0 {
        let extra = match &p.fractions {
            Some(_) => participant_groups(p, services),
            None => vec![group_of_unlisted(p); services as usize],
        };
        group_of.extend(extra);
    }
    group_of
}

/// The group of participants an `ids` / `isolate` partition does not list.
fn group_of_unlisted(p: &crate::scenario::Partition) -> u16 {
    match (&p.isolate, &p.ids) {
        (Some(isolated), _) => isolated.len() as u16,
        (None, Some(ids)) => ids.len() as u16,
        _ => 0,
    }
}

/// Group index of every participant for one partition (see `scenario::Partition`).
fn participant_groups(p: &crate::scenario::Partition, n: u32) -> Vec<u16> {
    let mut group_of = vec![0u16; n as usize];
    if let Some(fractions) = &p.fractions {
        let mut next = 0u32;
        for (g, f) in fractions.iter().enumerate() {
            let size = if g + 1 == fractions.len() {
                n - next
            } else {
                ((f * n as f64).floor() as u32).min(n - next)
            };
            for id in next..next + size {
                group_of[id as usize] = g as u16;
            }
            next += size;
        }
    } else if let Some(isolated) = &p.isolate {
        // Each isolated participant alone; everyone else one group.
        let rest = isolated.len() as u16;
        group_of.iter_mut().for_each(|g| *g = rest);
        for (g, &id) in isolated.iter().enumerate() {
            if let Some(slot) = group_of.get_mut(id as usize) {
                *slot = g as u16;
            }
        }
    } else if let Some(ids) = &p.ids {
        // Participants listed nowhere form one extra group.
        let rest = ids.len() as u16;
        group_of.iter_mut().for_each(|g| *g = rest);
        for (g, members) in ids.iter().enumerate() {
            for &id in members {
                if let Some(slot) = group_of.get_mut(id as usize) {
                    *slot = g as u16;
                }
            }
        }
    }
    group_of
}

/// Senders whose copies a one-way partition cuts: the isolated participants (`isolate`),
/// else the first group (`fractions`, `ids`).
pub(super) fn one_way_senders(p: &crate::scenario::Partition, n: u32) -> Vec<bool> {
    let mut from = vec![false; n as usize];
    if let Some(isolated) = &p.isolate {
        for &id in isolated {
            if let Some(slot) = from.get_mut(id as usize) {
                *slot = true;
            }
        }
    } else {
        let group_of = participant_groups(p, n);
        for (i, g) in group_of.iter().enumerate() {
            from[i] = *g == 0;
        }
    }
    from
}
