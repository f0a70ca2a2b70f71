// Unit tests of the js-waku adapter's parts (run with `npm test`). The protocol end to end
// is checked from Rust: `sim adapter check -- node adapter.js` (tests/js_waku.rs).

import assert from "node:assert/strict";
import { test } from "node:test";

import * as clock from "../clock.js";
import { decodeRequest, encodeReply, EventKind, SyncPolicy, TransmitKind } from "../frames.js";
import { Participant, refusal } from "../reliable_channel.js";

clock.install();

const T0 = 1_700_000_000_000;

function params(over = {}) {
  return {
    causalHistorySize: 10,
    possibleAcksThreshold: 2,
    bloomCapacity: 10000,
    bloomErrorRate: 0.001,
    resendIntervalMs: 30000n,
    maxResends: 10,
    messageIdRule: 1,
    syncPolicy: SyncPolicy.RELIABLE_CHANNEL,
    syncIntervalMs: 30000n,
    syncIntervalMaxMs: 0n,
    syncRedundancy: 0,
    repairEnabled: true,
    repairTMinMs: 30000n,
    repairTMaxMs: 120000n,
    repairMaxRequests: 1,
    repairResponseGroups: 1n,
    lostPolicy: 0,
    bloomRollover: 0,
    ...over,
  };
}

function create(i, seed, over) {
  return new Participant({
    participant: i,
    channel: 0,
    channelId: "c",
    participantId: `p${i}`,
    nowMs: BigInt(T0),
    seed: BigInt(seed),
    params: params(over),
    channelMembers: 2,
  });
}

test("the generator is seeded, in [0, 1), and differs per seed", () => {
  const a = clock.generator(1n);
  const b = clock.generator(1n);
  const c = clock.generator(2n);
  const xs = Array.from({ length: 1000 }, a);
  assert.deepEqual(xs.slice(0, 5), Array.from({ length: 5 }, b));
  assert.notEqual(xs[0], c());
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(mean > 0.45 && mean < 0.55, `mean ${mean}`);
});

test("parameters the package cannot honour are refused, naming the key", () => {
  assert.equal(refusal(params()), null);
  assert.match(refusal(params({ messageIdRule: 0 })), /sds.message_id/);
  assert.match(refusal(params({ bloomCapacity: 100 })), /sds.bloom_capacity/);
  assert.match(refusal(params({ syncPolicy: SyncPolicy.TRICKLE })), /trickle/);
  assert.match(refusal(params({ bloomRollover: 1 })), /bloom_rollover/);
  assert.match(refusal(params({ lostTimeoutMs: 1000n, lostPolicy: 0 })), /lost_policy/);
  assert.equal(refusal(params({ lostTimeoutMs: 1000n, lostPolicy: 1 })), null);
});

test("a message is delivered after ReliableChannel's 1 s processing delay, on the virtual clock", async () => {
  const a = create(0, 1);
  const b = create(1, 2);
  a.outputs();
  b.outputs();
  clock.enter(T0 + 1000, a.rng);
  const sent = await a.send(new TextEncoder().encode("hello"));
  const out = a.outputs(sent);
  assert.equal(out.transmissions.length, 1);
  assert.equal(out.transmissions[0].kind, TransmitKind.CONTENT);
  assert.equal(out.transmissions[0].messageId, sent.publishedId);
  clock.enter(T0 + 1050, b.rng);
  b.receive(out.transmissions[0].message, undefined);
  const r = b.outputs();
  assert.equal(r.events.length, 0, "not processed yet");
  assert.equal(r.wakeAtMs, T0 + 1050 + 1000);
  clock.enter(T0 + 2050, b.rng);
  await b.fireDue(T0 + 2050);
  const d = b.outputs();
  const delivered = d.events.filter((e) => e.kind === EventKind.DELIVERED);
  assert.deepEqual(
    delivered.map((e) => [e.messageId, e.senderId]),
    [[sent.publishedId, "p0"]],
  );
  assert.equal(d.localLogLen, 1);
});

test("an unacknowledged message is resent every resend interval", async () => {
  const a = create(0, 1, { syncPolicy: SyncPolicy.OFF });
  clock.enter(T0 + 1000, a.rng);
  const sent = await a.send(new TextEncoder().encode("x"));
  a.outputs(sent);
  clock.enter(T0 + 31000, a.rng);
  await a.fireDue(T0 + 31000);
  const o = a.outputs();
  assert.deepEqual(
    o.transmissions.map((t) => [t.kind, t.messageId]),
    [[TransmitKind.RESEND, sent.publishedId]],
  );
  assert.equal(o.quiescent, false);
});

test("reply frames carry a big-endian length and a decodable body", () => {
  const frame = encodeReply({
    seq: 7n,
    outputs: {
      publishedId: "abc",
      transmissions: [{ kind: 1, messageId: "abc", message: new Uint8Array([1, 2, 3]), repairRequests: 0 }],
      events: [{ kind: EventKind.MISSING_DEPENDENCIES, messageId: "m", missing: [{ messageId: "d", senderId: "p1" }] }],
      wakeAtMs: 0,
      quiescent: true,
      localLogLen: 1,
      incomingBufferLen: 0,
    },
  });
  assert.equal(frame.readUInt32BE(0), frame.length - 4);
  // seq = 7: field 1, varint.
  assert.deepEqual([...frame.subarray(4, 6)], [0x08, 7]);
  // A request frame body: seq 3, Timeout { participant 1, now_ms 5 }.
  const req = decodeRequest(Uint8Array.from([0x08, 3, 0x32, 4, 0x08, 1, 0x18, 5]));
  assert.equal(req.seq, 3n);
  assert.equal(req.op, "timeout");
  assert.equal(req.body.participant, 1);
  assert.equal(req.body.nowMs, 5n);
});
