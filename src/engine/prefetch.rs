//! Asking for the next arrivals' participant state ahead of time (issue 16).
//!
//! At 10,000 participants a run waits on memory: every arrival touches a participant whose
//! state is cold (its network counters, random stream and neighbour list, its slot, its
//! core). Each of those lives behind one or two pointers, so an arrival pays several misses
//! in a row. The open bucket of the event queue says which participants the next events
//! touch, so [`World::prefetch_ahead`] walks that chain in stages, one level per stage and
//! each stage a few events before the next: the addresses a stage reads were asked for by
//! the stage before, so reading them does not wait either. Only hints ([`crate::sds::prefetch`]):
//! no state changes, the same results with or without.

use super::event::Ev;
use super::pipeline::World;
use crate::driver::SharedWork;
use crate::net::Packet;
use crate::sds::prefetch;

/// How many events ahead each stage runs, farthest first: the first asks for a
/// participant's node, network counters, random stream and neighbour-list header; the second
/// for its slot and neighbour list; the third and fourth for its driver's state, the ends
/// of its collections and where the message goes ([`crate::driver::Driver::prefetch`]
/// stages 0 and 1); the third also for the recorder's lines of the delivery a content
/// message may make ([`crate::metrics::Recorder::prefetch_delivery`]). What the
/// forwarding touches (each neighbour's seen bit, queued arrival and arrival counters) is
/// not asked for here, events ahead (that made the run no faster in back-to-back runs), but
/// by the network at the packet's first receipt, just before the copies' latency draws
/// (`Network::on_arrival`, `Packet::prefetch_copy`).
const STAGES: [usize; 4] = [16, 10, 6, 3];

/// How many events beyond the first stage the queue's own entries are asked for: reading the
/// open bucket's event 16 ahead was 3% of a periodic-sync run at 10,000 participants (its
/// buckets hold tens of thousands of events, more than the caches).
const QUEUE_AHEAD: usize = 8;

impl World {
    /// Prefetch hints for the arrivals [`STAGES`] events ahead in the open bucket.
    #[inline]
    pub(crate) fn prefetch_ahead(&self) {
        // The events the first stage will read a few events from now.
        self.queue.prefetch_open(STAGES[0] + QUEUE_AHEAD);
        for (stage, &ahead) in STAGES.iter().enumerate() {
            if let Some(Ev::Arrive(c)) = self.queue.peek_open(ahead) {
                self.prefetch_receiver(c.to, stage, &c.packet.shared);
                let m = c.packet.message.get();
                if stage == 2 && m != Packet::NO_MESSAGE {
                    // The recorder's lines for the delivery it may make.
                    self.rec.prefetch_delivery(m, c.to);
                }
            }
        }
    }

    /// Stage `stage` of the hints for an arrival at participant `to`.
    #[inline]
    fn prefetch_receiver(&self, to: u32, stage: usize, shared: &SharedWork) {
        self.net.prefetch_node(to, stage);
        let Some(node) = self.parts.nodes.get(to as usize) else {
            return;
        };
        match stage {
            0 => prefetch::read(node),
            1 => {
                if let Some(slot) = node.slots.first() {
                    // Both ends: a 40-byte slot often straddles two lines, and the field
                    // the arrival reads first (`channel`, `Node::slot_of`) is at its end.
                    prefetch::read(slot);
                    prefetch::read(&slot.channel);
                }
            }
            _ => {
                if let Some(slot) = node.slots.first() {
                    slot.driver.prefetch(stage as u8 - 2, shared);
                }
            }
        }
    }
}
