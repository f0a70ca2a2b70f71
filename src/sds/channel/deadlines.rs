//! [`Deadlines`]: a set of (deadline, id) kept in order, with its earliest deadline inline.

use std::collections::BTreeSet;

use super::Key;
#[cfg(test)]
use super::MessageId;

/// A `BTreeSet` of (deadline in Unix ms, id), ascending, that also keeps its earliest
/// deadline in the owner's own memory: asking whether anything is due (after every received
/// message, and for every timer) then reads no tree node. The SDS-R repair buffers' orders
/// (T_req, T_resp). The cached value is refreshed by every method that changes the set.
#[derive(Debug, Clone, Default)]
pub(super) struct Deadlines {
    set: BTreeSet<Key>,
    first_ms: Option<u64>,
}

impl Deadlines {
    /// The earliest deadline, `None` when empty.
    #[inline]
    pub(super) fn first_ms(&self) -> Option<u64> {
        self.first_ms
    }

    /// Whether some deadline is at or before `now_ms`.
    #[inline]
    pub(super) fn any_due(&self, now_ms: u64) -> bool {
        self.first_ms.is_some_and(|t| t <= now_ms)
    }

    pub(super) fn first(&self) -> Option<&Key> {
        self.set.first()
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &Key> + '_ {
        self.set.iter()
    }

    pub(super) fn insert(&mut self, key: Key) -> bool {
        let t = key.0;
        let added = self.set.insert(key);
        if self.first_ms.is_none_or(|first| t < first) {
            self.first_ms = Some(t);
        }
        added
    }

    pub(super) fn remove(&mut self, key: &Key) -> bool {
        let removed = self.set.remove(key);
        if removed && self.first_ms == Some(key.0) {
            self.refresh();
        }
        removed
    }

    pub(super) fn pop_first(&mut self) -> Option<Key> {
        let key = self.set.pop_first();
        self.refresh();
        key
    }

    pub(super) fn pop_last(&mut self) -> Option<Key> {
        let key = self.set.pop_last();
        if self.set.is_empty() {
            self.first_ms = None;
        }
        key
    }

    fn refresh(&mut self) {
        self.first_ms = self.set.first().map(|(t, _)| *t);
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{Deadlines, MessageId};

    proptest! {
        /// After any sequence of changes the inline earliest deadline is the set's.
        #[test]
        fn first_ms_follows_the_set(ops in proptest::collection::vec((0u8..4, 0u64..20, 0u8..6), 0..80)) {
            let mut d = Deadlines::default();
            for (op, t, id) in ops {
                let key = (t, MessageId::new(&format!("m{id}")));
                match op {
                    0 => { d.insert(key); }
                    1 => { d.remove(&key); }
                    2 => { d.pop_first(); }
                    _ => { d.pop_last(); }
                }
                prop_assert_eq!(d.first_ms(), d.first().map(|(t, _)| *t));
                prop_assert_eq!(d.any_due(t), d.first().is_some_and(|(f, _)| *f <= t));
            }
        }
    }
}
