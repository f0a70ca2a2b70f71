//! The events of the run's queue. Each kind belongs to one owner, which handles it:
//! the workload (`Publish`, `Direct`, `Scripted`), the pipeline (`Arrive`, `Timer`), churn
//! (`Churn`, `HealChurn`), the store role (`Store`) and the light-client role (`Light`).

use std::rc::Rc;

use super::churn::plan::ChurnAction;
use super::light::LightEv;
use super::store::StoreEv;
use crate::metrics::trace::Trace;
use crate::net::Packet;
use crate::time::SimTime;

/// One event of the queue. At most 32 bytes (a unit test): the queue holds one per copy on
/// the wire, millions at 10,000 participants; larger payloads are boxed.
pub(crate) enum Ev {
    /// The next group-wide random publication of the workload.
    Publish,
    /// The next publication of a direct-message conversation (its channel index).
    Direct { channel: u32 },
    /// A scripted publication (`[[workload.publish]]`): sender and label.
    Scripted {
        sender: u32,
        label: Option<Box<str>>,
    },
    /// A copy comes off the wire at its receiver, or leaves the receiver's downlink queue.
    Arrive(InFlight),
    /// The driver in `slot` of participant `node` asked to be woken at Unix ms `at_ms`.
    Timer { node: u32, slot: u16, at_ms: u64 },
    /// A scheduled churn event for participant `node`.
    Churn { node: u32, action: ChurnAction },
    /// End of the workload: every offline (sleep/crash) participant comes back.
    HealChurn,
    /// An event of the store role (store nodes and the participants' store clients).
    Store(StoreEv),
    /// An event of the light-client role (LightPush, Filter, service nodes).
    Light(LightEv),
}

/// A copy of a packet in flight, as the event queue holds it (its arrival time is the
/// event's time).
pub(crate) struct InFlight {
    pub packet: Rc<Packet>,
    /// See [`crate::net::Copy::departure`].
    pub departure: SimTime,
    pub to: u32,
    pub from: u32,
    /// See [`crate::net::Copy::epoch`].
    pub epoch: u32,
    /// False: the copy comes off the wire; true: it leaves the receiver's downlink queue.
    pub handed_over: bool,
}

/// The kind byte and participant ids of a trace word.
pub(crate) fn trace_ids(kind: u64, a: u32, b: u32) -> u64 {
    kind | u64::from(a) << 8 | u64::from(b) << 36
}

impl Ev {
    /// Hashes this event into `trace` (out of line: keeps the loop small when tracing is off).
    #[cold]
    #[inline(never)]
    pub fn trace(&self, t: SimTime, trace: &mut Trace) {
        trace.record(t, self.trace_words());
    }

    /// Two words identifying this event for [`Trace::record`] (with its time): the kind in
    /// the low byte and participant ids above it, and one detail (packet size, deadline).
    fn trace_words(&self) -> [u64; 2] {
        let ids = trace_ids;
        match self {
            Ev::Publish => [1, 0],
            Ev::Direct { channel } => [ids(8, *channel, 0), 0],
            Ev::Scripted { sender, .. } => [ids(2, *sender, 0), 0],
            Ev::Arrive(c) => [
                ids(3 + u64::from(c.handed_over), c.to, c.from),
                (c.packet.kind as u64) << 56
                    ^ u64::from(c.packet.origin) << 32
                    ^ c.packet.bytes.len() as u64,
            ],
            Ev::Timer { node, slot, at_ms } => [ids(5, *node, u32::from(*slot)), *at_ms],
            Ev::Churn { node, action } => [ids(6, *node, *action as u32), 0],
            Ev::HealChurn => [7, 0],
            Ev::Store(e) => e.trace_words(),
            Ev::Light(e) => e.trace_words(),
        }
    }
}

#[cfg(test)]
mod tests {
    /// The queue holds one `Ev` per copy in flight (millions with 10,000 participants): a
    /// larger variant costs memory and time on every copy. Box big payloads instead.
    #[test]
    fn event_stays_small() {
        assert!(std::mem::size_of::<super::Ev>() <= 32);
    }
}
