//! `--trace-message` lines of the light role: the LightPush requests that carry the followed
//! message to service nodes, their answers, timeouts and retries, and the Filter pushes of
//! it to light clients (`reports/README.md`, "message_trace.csv"). Written only when the
//! packet carries the followed message; they read the world and add no events.

use super::super::observe::MessageWatch;
use super::*;

/// The watch, if `packet` carries the followed message.
fn watching<'w>(w: &'w mut World, packet: &Packet) -> Option<&'w mut MessageWatch> {
    let m = packet.message.get();
    w.watch.as_deref_mut().filter(|watch| watch.follows(m))
}

/// One line about `packet`'s message at `node` (and `peer`), if it is the followed one.
pub(super) fn line(
    w: &mut World,
    packet: &Packet,
    at: SimTime,
    event: &'static str,
    node: u32,
    peer: Option<u32>,
    detail: impl FnOnce() -> String,
) {
    if let Some(watch) = watching(w, packet) {
        watch.line(at, event, Some(node), peer, Some(packet.kind), detail());
    }
}

/// The network's notes on the copies just sent (`send_direct` with the packet's message),
/// their details starting with `label`.
pub(super) fn copies(w: &mut World, packet: &Packet, label: impl FnOnce() -> String) {
    let m = packet.message.get();
    if let Some(watch) = w.watch.as_deref_mut().filter(|watch| watch.follows(m)) {
        watch.take_net_notes_labelled(&mut w.net, Some(&label()));
    }
}

/// Moves the notes taken so far (relay copies, say) into the trace unlabelled, so that the
/// next [`copies`] labels only its own.
pub(super) fn flush(w: &mut World, packet: &Packet) {
    let m = packet.message.get();
    if let Some(watch) = w.watch.as_deref_mut().filter(|watch| watch.follows(m)) {
        watch.take_net_notes(&mut w.net);
    }
}
