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

    /// Prefetch hint for `v`'s neighbour-list header ([`crate::sds::prefetch`]).
    #[inline]
    pub fn prefetch_header(&self, v: u32) {
        if let Some(a) = self.adj.get(v as usize) {
            crate::sds::prefetch::read(a);
        }
    }

    /// Prefetch hint for `v`'s neighbour list (its header should be in cache).
    #[inline]
    pub fn prefetch_list(&self, v: u32) {
        if let Some(a) = self.adj.get(v as usize) {
            crate::sds::prefetch::read(a.as_ptr());
        }
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

    /// Component number of every vertex: 0 for the component of vertex 0, then 1, 2, ... in
    /// order of each component's lowest vertex.
    pub fn components(&self) -> Vec<u32> {
        let mut comp = vec![u32::MAX; self.adj.len()];
        let mut next = 0u32;
        for s in 0..self.adj.len() {
            if comp[s] != u32::MAX {
                continue;
            }
            let mut stack = vec![s as u32];
            comp[s] = next;
            while let Some(v) = stack.pop() {
                for &w in &self.adj[v as usize] {
                    if comp[w as usize] == u32::MAX {
                        comp[w as usize] = next;
                        stack.push(w);
                    }
                }
            }
            next += 1;
        }
        comp
    }

    /// True if every vertex can reach every other (an empty or one-vertex graph is).
    pub fn is_connected(&self) -> bool {
        self.components().iter().all(|&c| c == 0)
    }

    /// An edge on a cycle (removing it keeps its component connected) in the component of
    /// `start`, or `None` if that component is a tree: the first back edge of a depth-first
    /// search from `start` (in an undirected depth-first search every non-tree edge is a back
    /// edge, and a back edge closes a cycle).
    pub fn cycle_edge(&self, start: u32) -> Option<(u32, u32)> {
        let mut parent = vec![u32::MAX; self.adj.len()];
        let mut seen = vec![false; self.adj.len()];
        // (vertex, index of the next neighbour to look at)
        let mut stack = vec![(start, 0usize)];
        seen[start as usize] = true;
        while let Some(&mut (v, ref mut next)) = stack.last_mut() {
            let Some(&w) = self.adj[v as usize].get(*next) else {
                stack.pop();
                continue;
            };
            *next += 1;
            if !seen[w as usize] {
                seen[w as usize] = true;
                parent[w as usize] = v;
                stack.push((w, 0));
            } else if parent[v as usize] != w && stack.iter().any(|&(u, _)| u == w) {
                return Some((v, w));
            }
        }
        None
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

/// A random connected `d`-regular graph on `n` vertices (the Waku relay mesh of degree D).
///
/// Pairing model: `d` stubs per vertex, shuffled and paired; pairs that would be self-loops or
/// repeated edges are re-paired by random edge switches, which keep every degree at `d`. If
/// `n * d` is odd one vertex ends with degree `d - 1`; if `d >= n` the graph is complete.
/// A random regular graph can fall apart into components (with `d = 2` it is a set of
/// disjoint cycles, usually several), which would make flooding miss whole groups: the
/// components are then joined by [`connect`] (degree-preserving edge switches; no random
/// draw, so a graph that came out connected is returned exactly as drawn). `d = 1` (a
/// matching) cannot be connected for `n > 2` without changing degrees; scenario validation
/// refuses it. Deterministic for a given `rng` state.
pub fn random_regular(n: u32, d: u32, rng: &mut impl Rng) -> Graph {
    let mut g = random_regular_unchecked(n, d, rng);
    connect(&mut g);
    g
}

/// [`random_regular`] on the vertices listed in `on` (ascending) of a graph with `n`
/// vertices; the others stay isolated (light clients are not in the relay mesh). Equal to
/// `random_regular(n, d, rng)` when `on` is `0..n`.
pub fn random_regular_on(on: &[u32], n: u32, d: u32, rng: &mut impl Rng) -> Graph {
    let sub = random_regular(on.len() as u32, d, rng);
    if on.len() == n as usize {
        return sub;
    }
    let mut g = Graph::empty(n);
    for v in 0..on.len() as u32 {
        for &w in sub.neighbours(v) {
            if v < w {
                g.add_edge(on[v as usize], on[w as usize]);
            }
        }
    }
    g
}

/// The pairing-model graph of [`random_regular`], before its components are joined.
fn random_regular_unchecked(n: u32, d: u32, rng: &mut impl Rng) -> Graph {
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

/// Joins the components of `g` into one, keeping every degree where it can.
///
/// Components are taken in order of their lowest vertex; the first is the growing main
/// component. Each further component is spliced in through an edge `(x, y)` of the main
/// component that lies on a cycle: if the component has a cycle edge `(a, b)` too, both edges
/// are replaced by `(x, a)` and `(y, b)` (every degree unchanged; the result has the cycle
/// x-a..b-y..x, so `(x, a)` serves the next splice); if it is a tree, its lowest-degree vertex
/// `v` is inserted into `(x, y)` as `(x, v)`, `(v, y)` (`v` gains two links). Only a main
/// component without any cycle (degrees below 2) is joined by a plain edge between
/// lowest-degree vertices, which adds a link at both ends. Deterministic: no random draws.
pub fn connect(g: &mut Graph) {
    let n = g.len() as u32;
    if n < 2 {
        return;
    }
    let comp = g.components();
    let count = comp.iter().copied().max().map_or(0, |c| c + 1);
    if count <= 1 {
        return;
    }
    let comp = &comp;
    let members = |c: u32| (0..n).filter(move |&v| comp[v as usize] == c);
    let mut splice = g.cycle_edge(0);
    for c in 1..count {
        let root = members(c).next().expect("components are non-empty");
        match (splice, g.cycle_edge(root)) {
            (Some((x, y)), Some((a, b))) => {
                g.remove_edge(x, y);
                g.remove_edge(a, b);
                g.add_edge(x, a);
                g.add_edge(y, b);
                splice = Some((x, a));
            }
            (Some((x, y)), None) => {
                let v = min_degree_vertex(g, members(c));
                g.remove_edge(x, y);
                g.add_edge(x, v);
                g.add_edge(v, y);
                splice = Some((x, v));
            }
            (None, _) => {
                let reach = g.reachable_from(0);
                let u = min_degree_vertex(g, (0..n).filter(|&v| reach[v as usize]));
                let v = min_degree_vertex(g, members(c));
                g.add_edge(u, v);
                splice = g.cycle_edge(0);
            }
        }
    }
}

/// The vertex of least degree among `vs` (the lowest-numbered on ties).
fn min_degree_vertex(g: &Graph, vs: impl Iterator<Item = u32>) -> u32 {
    vs.min_by_key(|&v| (g.degree(v), v))
        .expect("a component has a vertex")
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
    use crate::rng::{stream, StreamKind};

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

    /// Issue 10: a random 2-regular graph is a set of disjoint cycles; before the fix 20
    /// participants with D = 2 got two or more separate meshes on 3 of 4 seeds.
    #[test]
    fn degree_two_meshes_are_connected_with_degrees_kept() {
        let mut were_split = 0;
        for seed in 1..=40u64 {
            for n in [5u32, 20, 101] {
                let mut rng = stream(seed, StreamKind::Topology, 0);
                let raw = random_regular_unchecked(n, 2, &mut rng);
                if !raw.is_connected() {
                    were_split += 1;
                }
                let g = random_regular(n, 2, &mut stream(seed, StreamKind::Topology, 0));
                assert!(g.is_connected(), "seed {seed} n {n}");
                assert!((0..n).all(|v| g.degree(v) == 2), "seed {seed} n {n}");
            }
        }
        assert!(
            were_split > 40,
            "the pairing model should often split: {were_split}"
        );
    }

    #[test]
    fn connected_draws_are_left_as_drawn() {
        for (n, d) in [(200u32, 8u32), (1000, 8), (50, 3)] {
            let raw = random_regular_unchecked(n, d, &mut stream(3, StreamKind::Topology, 0));
            assert!(raw.is_connected());
            assert_eq!(
                raw,
                random_regular(n, d, &mut stream(3, StreamKind::Topology, 0))
            );
        }
    }

    #[test]
    fn connect_joins_trees_and_isolated_vertices() {
        // A triangle, an isolated vertex, a path of three and a single edge.
        let mut g = Graph::empty(9);
        for (a, b) in [(0, 1), (1, 2), (2, 0), (4, 5), (5, 6), (7, 8)] {
            g.add_edge(a, b);
        }
        assert_eq!(g.cycle_edge(0), Some((2, 0)));
        assert_eq!(g.cycle_edge(4), None);
        connect(&mut g);
        assert!(g.is_connected());
        // The triangle's vertices keep degree 2; each tree gained at one vertex.
        assert!((0..3).all(|v| g.degree(v) == 2), "{g:?}");
        // A forest without any cycle is joined by plain edges.
        let mut f = Graph::empty(4);
        f.add_edge(0, 1);
        f.add_edge(2, 3);
        connect(&mut f);
        assert!(f.is_connected());
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
