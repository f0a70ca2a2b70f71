//! Watching one message's copies (`sim run --trace-message`): the network notes the fate of
//! every copy of a packet that carries the watched message (content, resend, repair
//! response), as it decides it. The engine takes the notes after each call and merges them
//! into the message's trace. Off by default: one comparison per packet and one branch per
//! copy.

use super::TrafficKind;
use crate::time::SimTime;

/// What happened to one copy on one link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyFate {
    /// Put on the wire: it leaves the sender's uplink at `departure` (later than the send
    /// time when it waited in the uplink queue) and comes off the wire at `arrival` (µs).
    OnWire {
        departure: SimTime,
        arrival: SimTime,
    },
    /// A second copy of the same transmission (`network.duplicate`), arriving at `arrival`.
    Duplicated { arrival: SimTime },
    /// Cut by an active partition.
    Cut,
    /// Dropped by random loss.
    Lost(LossCause),
}

/// Which loss model dropped a copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LossCause {
    /// `network.loss` (Bernoulli).
    Bernoulli,
    /// The sender's Gilbert-Elliott chain (`[network.gilbert_elliott]`).
    GilbertElliott,
    /// Node-class, degradation-window or link-override loss.
    Extra,
}

impl LossCause {
    /// Name used in traces.
    pub fn name(self) -> &'static str {
        match self {
            LossCause::Bernoulli => "bernoulli",
            LossCause::GilbertElliott => "gilbert-elliott",
            LossCause::Extra => "class/degradation/link",
        }
    }
}

/// The fate of one copy of the watched message, noted when it was decided (at `at`, the
/// send or forward time, µs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyNote {
    pub at: SimTime,
    pub from: u32,
    pub to: u32,
    pub kind: TrafficKind,
    /// True if `from` forwards someone else's transmission (a relay hop).
    pub forwarded: bool,
    pub fate: CopyFate,
}
