//! The no-reliability baseline (`protocol = "none"`): what the network alone delivers.
//!
//! A send goes out once as a plain content message (no Lamport timestamp, causal history or
//! bloom filter: the wire form of an SDS ephemeral message) under the scenario's id rule
//! (`sds.message_id`: SHA-256 of the payload by default, or of sender id, send time in ms and
//! payload), so runs of both protocols name their messages alike. Every received copy is delivered at once; nothing is acknowledged,
//! buffered, resent or repaired, and no timer is ever wanted. Duplicates are not filtered
//! here (the network's seen-set already drops redundant copies of one packet; the recorder
//! counts any other).

use std::collections::{BTreeSet, VecDeque};

use bytes::Bytes;

use super::{Driver, DriverFailure, Sent};
use crate::sds::{self, wire, MessageId, MessageIdRule, SdsMessage};

/// One participant of the `none` baseline in one channel.
#[derive(Debug, Clone)]
pub struct NoneDriver {
    channel_id: String,
    participant_id: String,
    message_id: MessageIdRule,
    /// Ids it published or delivered (the final log compared across members: as a set).
    log: BTreeSet<MessageId>,
    delivered: usize,
    transmits: VecDeque<sds::Transmit>,
    events: VecDeque<sds::Event>,
}

impl NoneDriver {
    /// Participant `participant_id` in channel `channel_id`, naming its messages by
    /// `message_id` (`sds::message_id_for`).
    pub fn new(
        channel_id: impl Into<String>,
        participant_id: impl Into<String>,
        message_id: MessageIdRule,
    ) -> NoneDriver {
        NoneDriver {
            channel_id: channel_id.into(),
            participant_id: participant_id.into(),
            message_id,
            log: BTreeSet::new(),
            delivered: 0,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }
}

impl Driver for NoneDriver {
    fn send(&mut self, now_ms: u64, payload: Bytes) -> Result<Sent, DriverFailure> {
        if payload.is_empty() {
            return Ok(Sent::Refused("payload is empty".into()));
        }
        let id = sds::message_id_for(self.message_id, &self.participant_id, now_ms, &payload);
        let msg = SdsMessage {
            sender_id: self.participant_id.clone(),
            message_id: id.clone(),
            channel_id: self.channel_id.clone(),
            content: Some(payload),
            ..Default::default()
        };
        self.log.insert(MessageId::new(&id));
        self.transmits.push_back(sds::Transmit {
            kind: sds::TransmitKind::Content,
            message_id: id.clone(),
            bytes: wire::encode(&msg),
            repair_requests: 0,
        });
        Ok(Sent::Published(id))
    }

    fn receive(
        &mut self,
        _now_ms: u64,
        bytes: Bytes,
        _retrieval_hint: Option<Bytes>,
    ) -> Result<(), DriverFailure> {
        let Ok(msg) = wire::decode(&bytes) else {
            return Ok(()); // malformed: dropped
        };
        self.log.insert(MessageId::new(&msg.message_id));
        self.delivered += 1;
        self.events.push_back(sds::Event::Delivered {
            message_id: msg.message_id.into(),
            sender_id: msg.sender_id.into(),
            lamport_timestamp: msg.lamport_timestamp.unwrap_or(0),
            content: msg.content.unwrap_or_default(),
            causal_history: std::sync::Arc::new([]),
        });
        Ok(())
    }

    fn timeout(&mut self, _now_ms: u64) -> Result<(), DriverFailure> {
        Ok(())
    }

    fn set_retrieval_hint(&mut self, _message_id: &str, _hint: Bytes) -> Result<(), DriverFailure> {
        Ok(())
    }

    fn poll_transmit(&mut self) -> Option<sds::Transmit> {
        self.transmits.pop_front()
    }

    fn poll_event(&mut self) -> Option<sds::Event> {
        self.events.pop_front()
    }

    fn poll_timeout(&self) -> Option<u64> {
        None
    }

    fn is_quiescent(&self) -> bool {
        true
    }

    /// The ids it published or delivered, ascending (a set: `none` has no log order).
    fn local_log(&self) -> Box<dyn Iterator<Item = MessageId> + '_> {
        Box::new(self.log.iter().cloned())
    }

    /// Deliveries so far (its own publications not counted).
    fn local_log_len(&self) -> usize {
        self.delivered
    }

    fn incoming_buffer_len(&self) -> usize {
        0
    }

    fn outgoing_buffer_len(&self) -> Option<usize> {
        Some(0) // nothing is ever kept for resending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_once_and_delivers_every_receipt() {
        let mut a = NoneDriver::new("c", "p0", MessageIdRule::Unique);
        let mut b = NoneDriver::new("c", "p1", MessageIdRule::Unique);
        let Sent::Published(id) = a.send(1_000, Bytes::from_static(b"hi")).unwrap() else {
            panic!("refused");
        };
        assert_eq!(
            id,
            sds::message_id_for(MessageIdRule::Unique, "p0", 1_000, b"hi")
        );
        let t = a.poll_transmit().expect("one transmit");
        assert!(a.poll_transmit().is_none());
        assert_eq!(wire::decode(&t.bytes).unwrap().lamport_timestamp, None);
        b.receive(1_050, t.bytes.clone(), None).unwrap();
        match b.poll_event() {
            Some(sds::Event::Delivered { message_id, .. }) => assert_eq!(*message_id, *id),
            e => panic!("{e:?}"),
        }
        assert_eq!(b.local_log_len(), 1);
        assert!(b.local_log().eq(a.local_log()));
        assert!(a.is_quiescent() && a.poll_timeout().is_none());
        assert_eq!(
            a.send(2_000, Bytes::new()).unwrap(),
            Sent::Refused("payload is empty".into())
        );
    }
}
