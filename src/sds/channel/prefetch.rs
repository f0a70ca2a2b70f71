//! [`Channel::prefetch`]: asking for the state a receipt touches before the message comes
//! (a hint only, see the core's `prefetch` module).

use std::collections::VecDeque;

use super::hint::{read, read_lines};
use super::quiet::QUIET_BYTES;
#[cfg(test)]
use super::Config;
use super::{held, Channel, Decoded, MessageKind, RECEIPT_BYTES};

impl Channel {
    /// A hint that a message will be handed to this channel soon: brings the state a
    /// receipt touches into cache. Stage 0 asks for the channel's own fields that every
    /// receipt and the polls after it read (limits, short ids, Lamport clock, the local
    /// log's and buffers' headers, the configuration values a receipt uses: the first 14
    /// cache lines, `RECEIPT_BYTES`); stage 1, which should come a little later so that
    /// those fields are in cache, for the ends of the collections a receipt appends to or
    /// scans (the newest log entries, the newest causal-history entries, the store order,
    /// the oldest outgoing entry, the slot the next event is written to). Changes nothing, on any input; the processor may ignore
    /// it (the core's `prefetch` module).
    #[inline]
    pub fn prefetch(&self, stage: u8) {
        if stage == 0 {
            // Every field a receipt reads while its buffers are empty: `Channel`'s layout
            // puts them in its first lines, which start a line.
            read_lines(self, RECEIPT_BYTES / 64);
            return;
        }
        // The newest log entries, where a causal history is looked for first (two more
        // than a history names: the look-up's window), at most 16. `recent` holds the
        // newest `causal_history_size` (its header came with stage 0; the configuration's
        // field would be a line of its own).
        read_back(&self.log_order, self.log_window());
        if let Some(last) = self.store_order.back() {
            read(last);
        }
        if let Some(first) = self.outgoing.front() {
            read(first);
        }
        // Where a delivery's event will be written (and read back by `poll_event`): an
        // empty queue's slice starts at the buffer's start, where `poll_event` leaves the
        // ring's head.
        if self.events.is_empty() && self.events.capacity() > 0 {
            let next = self.events.as_slices().0.as_ptr().cast::<u8>();
            read(next);
            read(next.wrapping_add(std::mem::size_of::<super::Event>() - 1));
        }
    }
}

impl Channel {
    /// A hint that `message` will be handed to this channel soon: for a content message,
    /// brings the lines of the channel's id table where the id is looked up and inserted
    /// into cache (the first cache miss of a receipt at 10,000 participants; the core's
    /// `held` module). Reads the table's header, so it should come after stage 0 of
    /// [`Channel::prefetch`] (at stage 1, say). Changes nothing, on any input.
    #[inline]
    pub fn prefetch_message(&self, message: &Decoded) {
        if let Ok(parsed) = message.parsed() {
            if parsed.kind == MessageKind::Content {
                held::prefetch_slot(&self.held, &parsed.id);
                self.bloom.prefetch_insert();
            }
        }
    }
}

impl Channel {
    /// [`Channel::prefetch`] and [`Channel::prefetch_message`] for `message` (when known):
    /// stage 0 and stage 1 as there, except for a sync message, of which stage 0 asks only
    /// for the lines a quiet channel's sync receipt reads (`QUIET_BYTES`, 5 lines: the
    /// `quiet` module), and stage 1, when the channel is quiet, for the newest log entries
    /// (where the sync's causal history is looked for), and otherwise for the rest of the 14
    /// lines and what stage 1 of `prefetch` asks for. Changes nothing, on any input.
    #[inline]
    pub fn prefetch_for(&self, stage: u8, message: Option<&Decoded>) {
        let sync = message
            .and_then(|m| m.parsed().ok())
            .is_some_and(|p| p.kind == MessageKind::Sync);
        if !sync {
            self.prefetch(stage);
            if let (1, Some(message)) = (stage, message) {
                self.prefetch_message(message);
            }
        } else if stage == 0 {
            read_lines(self, QUIET_BYTES / 64);
        } else if self.quiet {
            read_back(&self.log_order, self.log_window());
        } else {
            let start = std::ptr::from_ref(self).cast::<u8>();
            read_lines(
                start.wrapping_add(QUIET_BYTES),
                (RECEIPT_BYTES - QUIET_BYTES) / 64,
            );
            self.prefetch(1);
        }
    }

    /// How many of the newest log entries a causal history is looked for in: two more than
    /// a history names (the look-up's window, `Channel::unmet_history`), at most 16.
    #[inline]
    fn log_window(&self) -> usize {
        (self.recent.len() + 2).min(16)
    }
}

/// [`read`] on every cache line holding one of the newest `k` entries of `deque`.
#[inline]
fn read_back<T>(deque: &VecDeque<T>, k: usize) {
    let (front, back) = deque.as_slices();
    let from_back = k.min(back.len());
    read_span(&back[back.len() - from_back..]);
    let from_front = (k - from_back).min(front.len());
    read_span(&front[front.len() - from_front..]);
}

/// [`read`] on every cache line `items` lies in.
#[inline]
fn read_span<T>(items: &[T]) {
    let start = items.as_ptr().cast::<u8>();
    let bytes = std::mem::size_of_val(items);
    // A read every 64 bytes meets each line the span crosses but perhaps the last.
    for offset in (0..bytes).step_by(64) {
        read(start.wrapping_add(offset));
    }
    if bytes > 0 {
        read(start.wrapping_add(bytes - 1));
    }
}

#[cfg(test)]
mod tests {
    use std::mem::{align_of, offset_of, size_of_val};

    use bytes::Bytes;

    use super::{Channel, Config, QUIET_BYTES, RECEIPT_BYTES};

    /// Every field a receipt and the host's polls after it read while the buffers are empty
    /// lies in the first `RECEIPT_BYTES` of a `Channel`, which starts a cache line: stage 0
    /// of the hint covers them all. The configuration and the fields only a non-empty
    /// buffer or a timer reads lie after.
    #[test]
    fn receipt_fields_lie_in_the_prefetched_lines() {
        assert_eq!(align_of::<Channel>(), 64);
        let c = Channel::new("c", "p", Config::default(), T0, 1);
        // Where each field a receipt reads ends, by name.
        macro_rules! ends {
            ($($field:ident),* $(,)?) => {
                [$((stringify!($field), offset_of!(Channel, $field) + size_of_val(&c.$field))),*]
            };
        }
        // What a quiet channel's sync receipt and the polls after it read (the `quiet`
        // module), in the first lines; every other field after them.
        let quiet = ends!(
            limits,
            channel_key,
            participant_key,
            lamport,
            quiet,
            recent,
            log_order,
            events,
            transmits,
            sync,
        );
        for (field, end) in quiet {
            assert!(end <= QUIET_BYTES, "quiet field {field} ends at byte {end}");
        }
        let quiet_end = quiet.iter().map(|&(_, end)| end).max().unwrap_or(0);
        assert!(
            quiet_end > QUIET_BYTES - 64,
            "the quiet fields end at byte {quiet_end}"
        );
        assert!(offset_of!(Channel, next_sweep_ms) >= quiet_end);
        let hot = ends!(
            limits,
            channel_key,
            participant_key,
            lamport,
            quiet,
            store_only,
            next_sweep_ms,
            held,
            incoming_ids,
            outgoing_ids,
            outgoing,
            bloom,
            log_order,
            recent,
            store_order,
            missing,
            out_repair,
            in_repair,
            in_repair_order,
            events,
            waiting,
            sync,
            incoming,
            externally_met,
            delivered,
            hot,
            transmits,
            out_repair_order,
            lost_deadlines,
        );
        for (field, end) in hot {
            assert!(
                end <= RECEIPT_BYTES,
                "receipt field {field} ends at byte {end}"
            );
        }
        // And no line more than they need.
        let last = hot.iter().map(|&(_, end)| end).max().unwrap_or(0);
        assert!(
            last > RECEIPT_BYTES - 64,
            "the receipt's fields end at byte {last}"
        );
        assert!(offset_of!(Channel, config) >= last);
    }

    const T0: u64 = 1_700_000_000_000;

    /// A channel given hints before every input behaves exactly like one never given any:
    /// same events and transmissions, also with buffered messages (every third message held
    /// back and handed over late), evictions (small log) and repair.
    #[test]
    fn hints_change_nothing() {
        let config = Config {
            local_log_capacity: 8,
            ..Config::default()
        };
        let mut sender = Channel::new("c", "s", config.clone(), T0, 1);
        let mut hinted = Channel::new("c", "r", config.clone(), T0, 2);
        let mut plain = Channel::new("c", "r", config, T0, 2);
        hinted.prefetch(0); // empty collections
        hinted.prefetch(1);
        let mut late = Vec::new();
        for i in 0..40u64 {
            let now = T0 + i * 100;
            sender
                .send(now, Bytes::from(format!("m{i}")))
                .expect("send");
            let mut batch: Vec<Bytes> = std::iter::from_fn(|| sender.poll_transmit())
                .map(|t| t.bytes)
                .collect();
            if i % 3 == 1 {
                late.append(&mut batch);
            } else if i % 9 == 0 {
                batch.append(&mut late);
            }
            for bytes in batch {
                hinted.prefetch(0);
                hinted.prefetch(1);
                let a = hinted.handle_message(now, bytes.clone(), None);
                let b = plain.handle_message(now, bytes, None);
                assert_eq!(a, b);
            }
            hinted.prefetch(0);
            hinted.prefetch(1);
            hinted.handle_timeout(now + 50);
            plain.handle_timeout(now + 50);
            let events = |c: &mut Channel| {
                std::iter::from_fn(|| c.poll_event())
                    .map(|e| format!("{e:?}"))
                    .collect::<Vec<_>>()
            };
            let sent = |c: &mut Channel| {
                std::iter::from_fn(|| c.poll_transmit())
                    .map(|t| t.bytes)
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                events(&mut hinted),
                events(&mut plain),
                "events after input {i}"
            );
            assert_eq!(
                sent(&mut hinted),
                sent(&mut plain),
                "transmits after input {i}"
            );
        }
    }
}
