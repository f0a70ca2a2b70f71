//! The built-in SDS core (`src/sds/`) as a [`Driver`], and the mapping from the scenario's
//! `[sds]` table to its [`sds::Config`].
//!
//! The trait methods are the core's own inputs and outputs one to one; nothing is added.
//! Malformed bytes from a peer make `handle_message` return an error, which is the sender's
//! problem: the core has dropped the message and the run goes on.

use bytes::Bytes;

use super::{Driver, DriverFailure, Sent, SharedWork};
use crate::scenario::{
    BloomRolloverName, LostPolicyName, MessageIdRule, SdsParams, SimDuration, SyncPolicyName,
};
use crate::sds::{self, MessageId};
use crate::time::US_PER_MS;

impl Driver for sds::Channel {
    fn send(&mut self, now_ms: u64, payload: Bytes) -> Result<Sent, DriverFailure> {
        Ok(match sds::Channel::send(self, now_ms, payload) {
            Ok(id) => Sent::Published(id),
            Err(e) => Sent::Refused(e.to_string()),
        })
    }

    fn receive(
        &mut self,
        now_ms: u64,
        bytes: Bytes,
        retrieval_hint: Option<Bytes>,
    ) -> Result<(), DriverFailure> {
        let _ = self.handle_message(now_ms, bytes, retrieval_hint);
        Ok(())
    }

    /// Stage 0 and 1 of [`sds::Channel::prefetch_for`] with the packet's shared decoding,
    /// once a receiver made it (fewer lines for a sync, more for a content message: where
    /// its id goes in the core's id table).
    #[inline]
    fn prefetch(&self, stage: u8, shared: &SharedWork) {
        let decoded = shared.get().and_then(|w| w.downcast_ref::<sds::Decoded>());
        self.prefetch_for(stage, decoded);
    }

    fn receive_shared(
        &mut self,
        now_ms: u64,
        bytes: &Bytes,
        retrieval_hint: Option<Bytes>,
        shared: &SharedWork,
    ) -> Result<(), DriverFailure> {
        let work = shared.get_or_init(|| Box::new(sds::Decoded::new(bytes.clone(), self.limits())));
        let _ = match work.downcast_ref::<sds::Decoded>() {
            Some(decoded) => self.handle_decoded(now_ms, decoded, retrieval_hint),
            None => self.handle_message(now_ms, bytes.clone(), retrieval_hint),
        };
        Ok(())
    }

    fn timeout(&mut self, now_ms: u64) -> Result<(), DriverFailure> {
        self.handle_timeout(now_ms);
        Ok(())
    }

    fn set_retrieval_hint(&mut self, message_id: &str, hint: Bytes) -> Result<(), DriverFailure> {
        sds::Channel::set_retrieval_hint(self, message_id, hint);
        Ok(())
    }

    fn poll_transmit(&mut self) -> Option<sds::Transmit> {
        sds::Channel::poll_transmit(self)
    }

    fn poll_event(&mut self) -> Option<sds::Event> {
        sds::Channel::poll_event(self)
    }

    fn poll_timeout(&self) -> Option<u64> {
        sds::Channel::poll_timeout(self)
    }

    fn is_quiescent(&self) -> bool {
        sds::Channel::is_quiescent(self)
    }

    fn local_log(&self) -> Box<dyn Iterator<Item = MessageId> + '_> {
        Box::new(sds::Channel::local_log(self).cloned())
    }

    fn local_log_len(&self) -> usize {
        sds::Channel::local_log_len(self)
    }

    fn incoming_buffer_len(&self) -> usize {
        self.pending().incoming_buffer
    }

    fn outgoing_buffer_len(&self) -> Option<usize> {
        Some(self.pending().outgoing_buffer)
    }

    fn into_core(self: Box<Self>) -> Option<sds::Channel> {
        Some(*self)
    }
}

/// The core configuration for the scenario's `params` in a channel of `participants`
/// members. Defaults and their sources are in `src/scenario/types.rs` and
/// `scenarios/README.md`; response groups `0` means the spec's `n div 128 + 1`.
pub fn sds_config(params: &SdsParams, participants: u32) -> sds::Config {
    let ms = |d: SimDuration| d.as_micros() / US_PER_MS;
    let sync = match params.sync.policy {
        SyncPolicyName::Off => sds::SyncPolicy::Off,
        SyncPolicyName::Periodic => sds::SyncPolicy::Periodic {
            interval_ms: ms(params.sync.interval),
        },
        SyncPolicyName::Trickle => sds::SyncPolicy::Trickle {
            i_min_ms: ms(params.sync.interval),
            i_max_ms: ms(params.sync.interval_max),
            k: params.sync.redundancy,
        },
        SyncPolicyName::ReliableChannel => sds::SyncPolicy::ReliableChannel {
            interval_ms: ms(params.sync.interval),
        },
    };
    let repair = params.repair.enabled.then(|| sds::RepairConfig {
        t_min_ms: ms(params.repair.t_min),
        t_max_ms: ms(params.repair.t_max),
        max_requests_per_message: params.repair.max_requests,
        num_response_groups: if params.repair.response_groups == 0 {
            sds::response_groups_for(u64::from(participants))
        } else {
            u64::from(params.repair.response_groups)
        },
        ..sds::RepairConfig::default()
    });
    sds::Config {
        causal_history_size: params.causal_history as usize,
        possible_acks_threshold: params.possible_acks_threshold,
        bloom_capacity: params.bloom_capacity as usize,
        bloom_error_rate: params.bloom_error_rate,
        resend_interval_ms: ms(params.resend_interval),
        max_resends: params.max_resends,
        message_id: match params.message_id {
            MessageIdRule::Unique => sds::MessageIdRule::Unique,
            MessageIdRule::PayloadSha256 => sds::MessageIdRule::PayloadSha256,
        },
        sync,
        repair,
        lost_timeout_ms: params.lost_timeout.map(ms),
        lost_policy: match params.lost_policy {
            LostPolicyName::Deliver => sds::LostPolicy::Deliver,
            LostPolicyName::Drop => sds::LostPolicy::Drop,
        },
        bloom_rollover: match params.bloom_rollover {
            BloomRolloverName::None => sds::BloomRollover::None,
            BloomRolloverName::Rebuild => sds::BloomRollover::Rebuild,
        },
        ..sds::Config::default()
    }
}
