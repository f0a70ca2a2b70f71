//! Overlay graphs that messages are flooded over: a random D-regular relay mesh and a ring
//! with skip links.
//!
//! Both are undirected and stored as sorted adjacency lists, built deterministically from the
//! scenario seed; iteration over them is in ascending participant order.

use rand::{Rng, RngExt};

/// Neighbours of every participant (sorted, no self-loops, no duplicates).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graph {
    adj: Vec<Vec<u32>>,
}

impl Graph {
    /// An empty graph on `n` vertices.
    pub fn empty(n: u32) -> Graph {
        Graph {
            adj: vec![Vec::new(); n as usize],
        }
    }

    /// Neighbours of `v`, ascending.
    pub fn neighbours(&self, v: u32) -> &[u32] {
        &self.adj[v as usize]
    }

    /// Number of vertices.
    pub fn len(&self) -> usize {
        self.adj.len()
    }

    pub fn is_empty(&self) -> bool {
        self.adj.is_empty()
    }

    /// Degree of `v`.
    pub fn degree(&self, v: u32) -> usize {
        self.adj[v as usize].len()
    }

    /// True if `a` and `b` are linked.
    pub fn has_edge(&self, a: u32, b: u32) -> bool {
        self.adj[a as usize].binary_search(&b).is_ok()
    }

    /// Links `a` and `b` (no-op if already linked or `a == b`).
    pub fn add_edge(&mut self, a: u32, b: u32) {
        if a == b {
            return;
        }
        for (x, y) in [(a, b), (b, a)] {
            let list = &mut self.adj[x as usize];
            if let Err(pos) = list.binary_search(&y) {
                list.insert(pos, y);
            }
        }
    }

    /// Unlinks `a` and `b` (no-op if not linked).
    pub fn remove_edge(&mut self, a: u32, b: u32) {
        for (x, y) in [(a, b), (b, a)] {
            let list = &mut self.adj[x as usize];
            if let Ok(pos) = list.binary_search(&y) {
                list.remove(pos);
            }
        }
    }

    /// Vertices reachable from `start` (breadth-first), as a membership vector.
    pub fn reachable_from(&self, start: u32) -> Vec<bool> {
        let mut seen = vec![false; self.adj.len()];
        let mut queue = std::collections::VecDeque::from([start]);
        seen[start as usize] = true;
        while let Some(v) = queue.pop_front() {
            for &w in &self.adj[v as usize] {
                if !seen[w as usize] {
                    seen[w as usize] = true;
                    queue.push_back(w);
                }
            }
        }
        seen
    }
}

/// A random `d`-regular graph on `n` vertices (the Waku relay mesh of degree D).
///
/// Pairing model: `d` stubs per vertex, shuffled and paired; pairs that would be self-loops or
/// repeated edges are re-paired by random edge switches, which keep every degree at `d`. If
/// `n * d` is odd one vertex ends with degree `d - 1`; if `d >= n` the graph is complete.
/// Deterministic for a given `rng` state.
pub fn random_regular(n: u32, d: u32, rng: &mut impl Rng) -> Graph {
    let mut g = Graph::empty(n);
    if n < 2 || d == 0 {
        return g;
    }
    if d >= n - 1 {
        for a in 0..n {
            for b in a + 1..n {
                g.add_edge(a, b);
            }
        }
        return g;
    }
    let mut stubs: Vec<u32> = (0..n)
        .flat_map(|v| std::iter::repeat_n(v, d as usize))
        .collect();
    if stubs.len() % 2 == 1 {
        stubs.pop();
    }
    // Fisher-Yates with the run's stream.
    for i in (1..stubs.len()).rev() {
        let j = rng.random_range(0..=i);
        stubs.swap(i, j);
    }
    let mut bad: Vec<(u32, u32)> = Vec::new();
    for pair in stubs.chunks_exact(2) {
        let (a, b) = (pair[0], pair[1]);
        if a == b || g.has_edge(a, b) {
            bad.push((a, b));
        } else {
            g.add_edge(a, b);
        }
    }
    // Repair each bad pair (a, b) by switching with a random good edge (c, e):
    // remove c-e, add a-c and b-e, if that creates no loop or repeated edge.
    let mut attempts = 0usize;
    while let Some((a, b)) = bad.pop() {
        attempts += 1;
        if attempts > 1000 * (n as usize) {
            break; // pathological; leave the remaining stubs unpaired
        }
        let c = rng.random_range(0..n);
        let nbrs = g.neighbours(c);
        if nbrs.is_empty() {
            bad.push((a, b));
            continue;
        }
        let e = nbrs[rng.random_range(0..nbrs.len())];
        let ok = a != c && b != e && !g.has_edge(a, c) && !g.has_edge(b, e) && a != e && b != c;
        if ok {
            g.remove_edge(c, e);
            g.add_edge(a, c);
            g.add_edge(b, e);
        } else {
            bad.push((a, b));
        }
    }
    g
}

/// A ring with skip links: participant `i` links to `i ± 1, i ± 2, i ± 4, ...` (mod n) for
/// every power of two below `n / 2`, as in the serverless ring group-chat proposal. Degree
/// about `2 log2 n`; diameter about `log2 n`.
pub fn ring_with_skips(n: u32) -> Graph {
    let mut g = Graph::empty(n);
    if n < 2 {
        return g;
    }
    let mut dist = 1u32;
    while dist <= n / 2 {
        for i in 0..n {
            g.add_edge(i, (i + dist) % n);
        }
        dist *= 2;
    }
    g
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::{stream, StreamKind};

    #[test]
    fn random_regular_has_degree_d_and_is_connected() {
        for (n, d) in [(10u32, 3u32), (100, 8), (1000, 8), (9, 4)] {
            let mut rng = stream(1, StreamKind::Topology, 0);
            let g = random_regular(n, d, &mut rng);
            let odd = (n * d) % 2;
            let short: u32 = (0..n).map(|v| d - g.degree(v) as u32).sum();
            assert!(short <= odd, "n={n} d={d}: {short} missing stubs");
            for v in 0..n {
                assert!(!g.neighbours(v).contains(&v));
                assert!(g.neighbours(v).windows(2).all(|w| w[0] < w[1]));
            }
            assert!(
                g.reachable_from(0).iter().all(|&r| r),
                "n={n} d={d} disconnected"
            );
        }
    }

    #[test]
    fn random_regular_is_deterministic() {
        let a = random_regular(200, 8, &mut stream(5, StreamKind::Topology, 0));
        let b = random_regular(200, 8, &mut stream(5, StreamKind::Topology, 0));
        let c = random_regular(200, 8, &mut stream(6, StreamKind::Topology, 0));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn small_or_dense_cases() {
        let mut rng = stream(1, StreamKind::Topology, 0);
        assert_eq!(random_regular(1, 8, &mut rng).degree(0), 0);
        let full = random_regular(5, 8, &mut rng);
        assert!((0..5).all(|v| full.degree(v) == 4));
    }

    #[test]
    fn ring_links_powers_of_two() {
        let g = ring_with_skips(16);
        assert_eq!(g.neighbours(0), &[1, 2, 4, 8, 12, 14, 15]);
        assert!((0..16).all(|v| g.degree(v) == 7));
        let g = ring_with_skips(3);
        assert_eq!(g.neighbours(0), &[1, 2]);
        assert!(ring_with_skips(100).reachable_from(42).iter().all(|&r| r));
    }
}
