//! [`ShortKey`]: a string's length and, when short, its bytes inline, for comparing a
//! received message's channel and sender ids with a channel's own on every receipt without
//! reading other memory or calling `memcmp` (issue 16).

/// How many bytes of a string a [`ShortKey`] holds inline: every channel and participant id
/// in practice.
const INLINE: usize = 24;

/// A string's length and, when it has at most 24 bytes, its bytes inline, zero-padded (so
/// two keys of equal length and inline bytes are the same string). A channel keeps one for
/// its channel id and its participant id; a decoded message one for each of its own
/// (`Parsed`), made once for all its receivers.
#[derive(Debug, Clone)]
pub(super) struct ShortKey {
    len: usize,
    head: [u8; INLINE],
}

impl ShortKey {
    /// The key of the string whose bytes are `text`.
    pub(super) fn new(text: &[u8]) -> ShortKey {
        let mut head = [0u8; INLINE];
        if let Some(inline) = head.get_mut(..text.len()) {
            inline.copy_from_slice(text);
        }
        ShortKey {
            len: text.len(),
            head,
        }
    }

    /// Whether `full`, the string this key was made from, equals `other_full`, the one
    /// `other` was made from: a fixed-size comparison of the two keys when short, the
    /// strings otherwise.
    #[inline]
    pub(super) fn is(&self, full: &[u8], other: &ShortKey, other_full: &[u8]) -> bool {
        if self.len != other.len {
            return false;
        }
        if self.len <= INLINE {
            self.head == other.head
        } else {
            full == other_full
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::ShortKey;

    proptest! {
        /// Two keys compare equal exactly when their strings do, short or long, with
        /// zero bytes and shared prefixes.
        #[test]
        fn keys_compare_as_their_strings(
            a in proptest::collection::vec(prop_oneof![Just(0u8), Just(b'a'), any::<u8>()], 0..40),
            b in proptest::collection::vec(prop_oneof![Just(0u8), Just(b'a'), any::<u8>()], 0..40),
            same in any::<bool>(),
        ) {
            let b = if same { a.clone() } else { b };
            let (ka, kb) = (ShortKey::new(&a), ShortKey::new(&b));
            prop_assert_eq!(ka.is(&a, &kb, &b), a == b);
            prop_assert_eq!(kb.is(&b, &ka, &a), a == b);
        }
    }
}
