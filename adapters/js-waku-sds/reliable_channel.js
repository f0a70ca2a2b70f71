// One sdsim participant (an instance: participant x channel) running @waku/sds 0.0.8's
// MessageChannel, driven the way js-waku's ReliableChannel drives it, on virtual time.
//
// The reference is ReliableChannel as released with @waku/sds 0.0.8: @waku/sdk 0.0.36,
// waku-org/js-waku tag sds-v0.0.8 (commit 101ffe8a04),
// packages/sdk/src/reliable_channel/reliable_channel.ts ("rc.ts" below) and
// retry_manager.ts ("retry.ts"). Each behaviour names the lines it follows. The MessageChannel
// itself is the unmodified npm package; only its clock and randomness are virtual
// (clock.js). What ReliableChannel does with the Waku node (LightPush/Filter/Store, message
// hashes, store queries) is sdsim's: the network, the store nodes and the retrieval hints
// are simulated by the engine.
//
// Timers: ReliableChannel's setTimeout/setInterval become entries (due time in ms, creation
// order) that sdsim fires through Timeout requests; delays are rounded down to whole ms with
// a minimum of 1 ms, like Node's setTimeout. Timers due at the same ms fire in creation order.

import { MessageChannel, MessageChannelEvent, Message, isContentMessage } from "@waku/sds";

import * as clock from "./clock.js";
import {
  BloomRollover,
  EventKind,
  LostPolicy,
  MessageIdRule,
  SyncPolicy,
  TransmitKind,
} from "./frames.js";

const SHORTCUT = process.env.SDSIM_JS_NO_SWEEP_SHORTCUT !== "1";

// rc.ts:41 DEFAULT_SWEEP_IN_BUF_INTERVAL_MS.
export const SWEEP_IN_BUF_INTERVAL_MS = 5 * 1000;
// rc.ts:42 DEFAULT_PROCESS_TASK_MIN_ELAPSE_MS.
export const PROCESS_TASK_MIN_ELAPSE_MS = 1000;
// Only with `--repair-sweep`: the SDS-R response sweep ReliableChannel gained after 0.0.8
// (logos-messaging/logos-messaging-js d4c6c99, @waku/sds 0.0.9,
// packages/sdk/src/reliable_channel/reliable_channel.ts:46 DEFAULT_SWEEP_REPAIR_INTERVAL_MS,
// startRepairSweepLoop :621-638).
export const SWEEP_REPAIR_INTERVAL_MS = 10 * 1000;
// message_channel.js:11-14 DEFAULT_BLOOM_FILTER_OPTIONS (hard-coded: the options have no
// bloom parameters in 0.0.8).
const BLOOM_CAPACITY = 10000;
const BLOOM_ERROR_RATE = 0.001;

// Why `params` cannot run on @waku/sds 0.0.8 under ReliableChannel, or null.
export function refusal(p) {
  if (p.messageIdRule !== MessageIdRule.PAYLOAD_SHA256) {
    return (
      'sds.message_id = "unique" cannot run on @waku/sds 0.0.8: message ids are the SHA-256 of ' +
      'the payload (MessageChannel.getMessageId, message_channel.js:73-75); use ' +
      'sds.message_id = "payload-sha256" (the default of sds.profile = "js-waku-0.0.8")'
    );
  }
  if (p.bloomCapacity !== BLOOM_CAPACITY || Math.abs(p.bloomErrorRate - BLOOM_ERROR_RATE) > 1e-12) {
    return (
      `sds.bloom_capacity = ${p.bloomCapacity} / sds.bloom_error_rate = ${p.bloomErrorRate} ` +
      "cannot run on @waku/sds 0.0.8: its bloom filter is fixed at 10000 / 0.001 " +
      "(DEFAULT_BLOOM_FILTER_OPTIONS, message_channel.js:11-14)"
    );
  }
  if (p.bloomRollover !== BloomRollover.NONE) {
    return 'sds.bloom_rollover = "rebuild" cannot run on @waku/sds 0.0.8: its filter never rolls over';
  }
  if (p.syncPolicy === SyncPolicy.TRICKLE) {
    return (
      'sds.sync.policy = "trickle" is not supported by the js-waku adapter (ReliableChannel ' +
      'sends syncs on its own randomised timer: "reliable-channel"; "periodic" and "off" are ' +
      "also available)"
    );
  }
  if (p.lostTimeoutMs !== undefined && p.lostPolicy !== LostPolicy.DROP) {
    return (
      'sds.lost_policy = "deliver" cannot run on @waku/sds 0.0.8: once timeoutForLostMessagesMs ' +
      'passes it drops the message (sweepIncomingBuffer, message_channel.js:216-226); use "drop"'
    );
  }
  return null;
}

export class Participant {
  // `create`: the decoded Create request; `options.repairSweep`: also run the SDS-R
  // response sweep (see SWEEP_REPAIR_INTERVAL_MS).
  constructor(create, adapterOptions = {}) {
    this.repairSweep = Boolean(adapterOptions.repairSweep) && create.params.repairEnabled;
    const p = create.params;
    this.rng = clock.generator(create.seed);
    clock.enter(Number(create.nowMs), this.rng);
    this.timers = new Map();
    this.timerSeq = 0;
    this.out = { transmissions: [], events: [] };
    // Content messages transmitted once: a later transmission of the same id is a resend.
    this.transmitted = new Set();
    // Retrieval hints of own messages (the store hash sdsim computes), by id.
    this.hints = new Map();
    // Sender and Lamport timestamp of received messages, for DELIVERED events.
    this.received = new Map();
    this.lastReceived = "";
    this.syncPolicy = p.syncPolicy;
    this.syncIntervalMs = Number(p.syncIntervalMs);
    // rc.ts:204-212: retries only when both are set.
    this.retryIntervalMs = Number(p.resendIntervalMs);
    this.maxRetryAttempts = p.maxResends;
    this.retriesOn = this.retryIntervalMs > 0 && this.maxRetryAttempts > 0;

    // rc.ts:272 MessageChannel(channelId, senderId, options).
    const options = {
      causalHistorySize: p.causalHistorySize,
      possibleAcksThreshold: p.possibleAcksThreshold,
      enableRepair: p.repairEnabled,
    };
    if (p.lostTimeoutMs !== undefined) options.timeoutForLostMessagesMs = Number(p.lostTimeoutMs);
    if (p.repairEnabled) {
      options.repairConfig = {
        tMin: Number(p.repairTMinMs),
        tMax: Number(p.repairTMaxMs),
        numResponseGroups: Number(p.repairResponseGroups),
      };
    }
    this.mc = new MessageChannel(create.channelId, create.participantId, options);
    this.setupEventListeners();
    this.start();
  }

  // ---- timers ----

  setTimer(name, delayMs, fn) {
    const delay = Math.max(1, Math.floor(delayMs));
    this.timers.set(name, { due: clock.now() + delay, seq: this.timerSeq++, fn });
  }

  clearTimer(name) {
    this.timers.delete(name);
  }

  // Fires every timer due at `now` (creation order among equal times); timers set while
  // firing wait for the next call.
  async fireDue(now) {
    const due = [...this.timers.entries()]
      .filter(([, t]) => t.due <= now)
      .sort((a, b) => a[1].due - b[1].due || a[1].seq - b[1].seq);
    for (const [name, t] of due) {
      if (this.timers.get(name) !== t) continue; // cleared or re-armed meanwhile
      this.timers.delete(name);
      await t.fn();
    }
  }

  wakeAt() {
    let min;
    for (const t of this.timers.values()) if (min === undefined || t.due < min) min = t.due;
    return min;
  }

  // ---- ReliableChannel ----

  // rc.ts:475-486 start(): listeners, restartSync(), the incoming-buffer sweep loop. (The
  // missing-message retriever and query-on-connect are sdsim's store role.)
  start() {
    if (this.syncPolicy === SyncPolicy.RELIABLE_CHANNEL) {
      this.restartSync();
    } else if (this.syncPolicy === SyncPolicy.PERIODIC && this.syncIntervalMs > 0) {
      // Not ReliableChannel: the scenario asked for sdsim's periodic policy (a seeded phase
      // in [0, interval), then every interval).
      this.periodicSync(Math.random() * this.syncIntervalMs);
    }
    this.startSweepIncomingBufferLoop();
    if (this.repairSweep) this.startRepairSweepLoop();
  }

  // `--repair-sweep` only: 0.0.9's rc.ts:621-638 startRepairSweepLoop(): every 10 s,
  // sweepRepairIncomingBuffer with a callback that re-broadcasts the stored message. (Its
  // adaptive sync interval, rc.ts:660-669, needs 0.0.9's hasPendingRepairRequests and is not
  // reproduced.)
  startRepairSweepLoop() {
    this.setTimer("sweep-repair", SWEEP_REPAIR_INTERVAL_MS, async () => {
      this.startRepairSweepLoop();
      await this.mc.sweepRepairIncomingBuffer(async (message) => {
        this.transmit(TransmitKind.REPAIR_RESPONSE, message);
        return true;
      });
    });
  }

  // rc.ts:503-509: setInterval(sweepIncomingBuffer, sweepInBufIntervalMs).
  startSweepIncomingBufferLoop() {
    this.setTimer("sweep-in-buf", SWEEP_IN_BUF_INTERVAL_MS, () => {
      this.sweepIncomingBuffer();
      this.startSweepIncomingBufferLoop();
    });
  }

  // MessageChannel.sweepIncomingBuffer(), with one shortcut that changes no output: a sweep
  // that changed nothing (delivered and dropped nothing) leaves the state as it found it, so
  // as long as neither the local history nor the incoming buffer changes, the package would
  // compute the same result again (it depends on nothing else without a lost timeout): the
  // adapter then reports the previous missing entries instead of re-running the O(buffer x
  // history x log) scan. `SDSIM_JS_NO_SWEEP_SHORTCUT=1` disables it (the tests compare).
  sweepIncomingBuffer() {
    const before = { log: this.mc.localHistory.length, buffer: this.mc.incomingBuffer.slice() };
    const memo = this.sweepMemo;
    if (
      SHORTCUT &&
      memo &&
      !this.mc.timeoutForLostMessagesMs &&
      memo.log === before.log &&
      memo.buffer.length === before.buffer.length &&
      memo.buffer.every((m, i) => m === before.buffer[i])
    ) {
      if (memo.missing.length > 0) {
        this.event({ kind: EventKind.MISSING_DEPENDENCIES, messageId: "", missing: memo.missing });
      }
      return;
    }
    this.lastReceived = "";
    this.sweepMissing = [];
    this.mc.sweepIncomingBuffer();
    const after = this.mc.incomingBuffer;
    const unchanged =
      this.mc.localHistory.length === before.log &&
      after.length === before.buffer.length &&
      after.every((m, i) => m === before.buffer[i]);
    this.sweepMemo = unchanged ? { ...before, missing: this.sweepMissing } : undefined;
    // Messages dropped by the lost timeout (message_channel.js:218-226) leave the buffer
    // undelivered; InMessageLost names only their missing dependencies.
    if (this.mc.timeoutForLostMessagesMs) {
      const still = new Set(after.map((m) => m.messageId));
      for (const m of before.buffer) {
        const id = m.messageId;
        if (!still.has(id) && !this.mc.localHistory.some((h) => h.messageId === id)) {
          this.event({ kind: EventKind.DROPPED_LOST, messageId: id });
        }
      }
    }
  }

  // rc.ts:515-529 restartSync(multiplier): re-arm the sync timer to
  // random() * syncMinIntervalMs * multiplier; when it fires, send a sync and re-arm with 2.
  restartSync(multiplier = 1) {
    if (this.syncPolicy !== SyncPolicy.RELIABLE_CHANNEL) return;
    this.clearTimer("sync");
    if (this.syncIntervalMs) {
      const timeoutMs = Math.random() * this.syncIntervalMs * multiplier;
      this.setTimer("sync", timeoutMs, async () => {
        const sending = this.sendSyncMessage();
        this.restartSync(2);
        await sending;
      });
    }
  }

  periodicSync(delayMs) {
    this.setTimer("sync", delayMs, async () => {
      this.periodicSync(this.syncIntervalMs);
      await this.sendSyncMessage();
    });
  }

  // rc.ts:553-581 sendSyncMessage(): pushOutgoingSyncMessage with a callback that sends,
  // then processTasks() and sweepOutgoingBuffer().
  async sendSyncMessage() {
    await this.mc.pushOutgoingSyncMessage(async (syncMessage) => {
      this.transmit(TransmitKind.SYNC, syncMessage);
      return true;
    });
    await this.mc.processTasks();
    this.mc.sweepOutgoingBuffer();
  }

  // rc.ts:296-307 send(): the id is the payload's SHA-256; retries start, then the first
  // sending.
  async send(payload) {
    if (!payload || payload.length === 0) {
      // message_channel.js:134-137 pushOutgoingMessage throws.
      return { refused: "Only messages with valid payloads are allowed" };
    }
    const messageId = MessageChannel.getMessageId(payload);
    if (this.retriesOn) this.retry(messageId, payload, 0);
    await this.wrapAndSend(payload);
    return { publishedId: messageId };
  }

  // retry.ts:30-50 startRetries / retry: every retryIntervalMs, at most maxRetryNumber
  // times, until stopRetries (on acknowledgement, rc.ts:611-623).
  retry(messageId, payload, attempt) {
    this.clearTimer(`retry:${messageId}`);
    if (attempt < this.maxRetryAttempts) {
      this.setTimer(`retry:${messageId}`, this.retryIntervalMs, async () => {
        const sending = this.wrapAndSend(payload);
        this.retry(messageId, payload, attempt + 1);
        await sending;
      });
    }
  }

  stopRetries(messageId) {
    this.clearTimer(`retry:${messageId}`);
  }

  // rc.ts:309-382 _wrapAndSend(): pushOutgoingMessage with a callback that encodes and
  // sends, returning success and the retrieval hint; then processTasks() and
  // sweepOutgoingBuffer() straight away.
  async wrapAndSend(payload) {
    this.mc.pushOutgoingMessage(payload, async (sdsMessage) => {
      const id = sdsMessage.messageId;
      const resend = this.transmitted.has(id);
      this.transmitted.add(id);
      this.transmit(resend ? TransmitKind.RESEND : TransmitKind.CONTENT, sdsMessage);
      return { success: true, retrievalHint: this.hints.get(id) };
    });
    await this.mc.processTasks();
    this.mc.sweepOutgoingBuffer();
  }

  // rc.ts:396-448 processIncomingMessage(): decode, check the channel, pushIncomingMessage
  // with the transport's hash as retrieval hint, then queueProcessTasks().
  receive(bytes, retrievalHint) {
    const sdsMessage = Message.decode(bytes);
    if (!sdsMessage) return; // rc.ts:402-405
    if (sdsMessage.channelId !== this.mc.channelId) return; // rc.ts:407-413
    this.mc.pushIncomingMessage(sdsMessage, retrievalHint);
    this.queueProcessTasks();
  }

  // rc.ts:460-473 queueProcessTasks(): processTasks() at most once per
  // processTaskMinElapseMs, processTaskMinElapseMs after the first queued input.
  queueProcessTasks() {
    if (!this.timers.has("process-tasks")) {
      this.setTimer("process-tasks", PROCESS_TASK_MIN_ELAPSE_MS, async () => {
        await this.mc.processTasks();
      });
    }
  }

  setRetrievalHint(messageId, hint) {
    this.hints.set(messageId, hint);
    for (const m of this.mc.localHistory.slice()) if (m.messageId === messageId) m.retrievalHint = hint;
    for (const m of this.mc.outgoingBuffer) if (m.messageId === messageId) m.retrievalHint = hint;
  }

  // rc.ts:598-690 setupEventListeners(), plus the translation of MessageChannel events
  // into sdsim's vocabulary.
  setupEventListeners() {
    const on = (name, fn) => this.mc.addEventListener(name, (e) => fn(e.detail));
    on(MessageChannelEvent.InMessageReceived, (message) => {
      this.lastReceived = message.messageId;
      this.received.set(message.messageId, {
        senderId: message.senderId,
        lamportTimestamp: message.lamportTimestamp,
      });
      // rc.ts:647-656: a content message from someone else: sync sooner.
      if (isContentMessage(message)) this.restartSync(0.5);
    });
    // rc.ts:639-645.
    on(MessageChannelEvent.InSyncReceived, () => this.restartSync());
    // rc.ts:658-666.
    on(MessageChannelEvent.OutMessageSent, (message) => {
      if (isContentMessage(message)) this.restartSync();
    });
    on(MessageChannelEvent.InMessageDelivered, (messageId) => {
      const r = this.received.get(messageId);
      this.event({
        kind: EventKind.DELIVERED,
        messageId,
        senderId: r?.senderId ?? "",
        lamportTimestamp: r?.lamportTimestamp ?? 0n,
      });
    });
    // rc.ts:611-623: acknowledged, retries stop.
    on(MessageChannelEvent.OutMessageAcknowledged, (messageId) => {
      this.event({ kind: EventKind.ACKNOWLEDGED, messageId });
      this.stopRetries(messageId);
    });
    on(MessageChannelEvent.OutMessagePossiblyAcknowledged, ({ messageId, count }) => {
      this.event({ kind: EventKind.POSSIBLY_ACKNOWLEDGED, messageId, count });
    });
    on(MessageChannelEvent.InMessageMissing, (entries) => {
      // The sweep's list holds one entry per buffered message naming a dependency: the same
      // id many times. Reported once per id (sdsim keys missing messages by id).
      const seen = new Set();
      const missing = entries.filter((e) => !seen.has(e.messageId) && seen.add(e.messageId));
      this.sweepMissing = missing;
      // sweepIncomingBuffer emits this at every sweep, also with nothing missing.
      if (missing.length === 0) return;
      this.event({ kind: EventKind.MISSING_DEPENDENCIES, messageId: this.lastReceived, missing });
    });
    on(MessageChannelEvent.InMessageLost, (missing) => {
      for (const m of missing) this.event({ kind: EventKind.IRRETRIEVABLY_LOST, messageId: m.messageId });
    });
    on(MessageChannelEvent.RepairRequestReceived, ({ messageIds, fromSenderId }) => {
      for (const id of messageIds) {
        this.event({ kind: EventKind.REPAIR_REQUEST_RECEIVED, messageId: id, senderId: fromSenderId });
      }
    });
    on(MessageChannelEvent.RepairResponseSent, ({ messageId }) => {
      this.event({ kind: EventKind.REPAIR_RESPONSE_SENT, messageId });
    });
    on(MessageChannelEvent.ErrorTask, ({ command, error }) => {
      process.stderr.write(`js-waku-sds adapter: task ${command} failed: ${error?.stack ?? error}\n`);
    });
    // RepairRequestSent is not used: 0.0.8 emits it for syncs only (message_channel.js:323-330),
    // not for repair requests carried by content messages; the requests are read from the
    // transmitted message instead (transmit()).
  }

  // ---- outputs ----

  event(e) {
    this.out.events.push(e);
  }

  transmit(kind, message) {
    const original = kind === TransmitKind.RESEND || kind === TransmitKind.REPAIR_RESPONSE;
    const requests = original ? [] : (message.repairRequest ?? []);
    this.out.transmissions.push({
      kind,
      messageId: message.messageId,
      message: message.encode(),
      repairRequests: requests.length,
    });
    for (const r of requests) this.event({ kind: EventKind.REPAIR_REQUEST_SENT, messageId: r.messageId });
  }

  // Nothing held can still change what gets delivered: no retry still to fire, nothing in
  // the incoming buffer or the task queue, no repair request still to send.
  quiescent() {
    for (const name of this.timers.keys()) if (name.startsWith("retry:")) return false;
    if (this.timers.has("process-tasks") || this.mc.tasks.length > 0) return false;
    if (this.mc.incomingBuffer.length > 0) return false;
    const repairs = this.mc.repairManager?.outgoingBuffer?.items ?? [];
    if (repairs.some((item) => !item.requested)) return false;
    // Responses still owed (only answered with --repair-sweep).
    return !(this.repairSweep && (this.mc.repairManager?.incomingBuffer?.items?.length ?? 0) > 0);
  }

  // The outputs since the last call, and the state after them.
  outputs(sent = {}) {
    const o = {
      ...sent,
      transmissions: this.out.transmissions,
      events: this.out.events,
      wakeAtMs: this.wakeAt(),
      quiescent: this.quiescent(),
      localLogLen: this.mc.localHistory.length,
      incomingBufferLen: this.mc.incomingBuffer.length,
    };
    this.out = { transmissions: [], events: [] };
    return o;
  }

  finalState() {
    return {
      localLog: this.mc.localHistory.slice().map((m) => m.messageId),
      incomingBufferLen: this.mc.incomingBuffer.length,
    };
  }
}
