// Frames of the sdsim adapter protocol, version 1 (docs/adapter-protocol.md; schema
// proto/adapter.proto): a 4-byte big-endian length, then the protobuf encoding of a Request
// (from sdsim) or a Reply (to sdsim). A hand-written codec for exactly the fields of the
// schema: requests are decoded, replies encoded. 64-bit integers are BigInt on the way in
// (now_ms and seed may exceed 2^53 in principle) and Number or BigInt on the way out.

export const PROTOCOL_VERSION = 1;
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

// ---- decoding ---------------------------------------------------------------------------

class Reader {
  constructor(buf) {
    this.buf = buf;
    this.pos = 0;
  }
  done() {
    return this.pos >= this.buf.length;
  }
  varint() {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error("truncated varint");
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new Error("varint too long");
    }
  }
  bytes() {
    const len = Number(this.varint());
    if (this.pos + len > this.buf.length) throw new Error("truncated field");
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  fixed64() {
    if (this.pos + 8 > this.buf.length) throw new Error("truncated fixed64");
    const v = Buffer.from(this.buf.buffer, this.buf.byteOffset + this.pos, 8).readDoubleLE(0);
    this.pos += 8;
    return v;
  }
  skip(wire) {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
  // Calls fn(field, wire) for each field; fn returns false to have it skipped.
  fields(fn) {
    while (!this.done()) {
      const key = Number(this.varint());
      const field = key >>> 3;
      const wire = key & 7;
      if (!fn(field, wire)) this.skip(wire);
    }
  }
}

const utf8 = new TextDecoder();
const str = (r) => utf8.decode(r.bytes());

function decodeMessage(bytes, spec) {
  const out = {};
  const r = new Reader(bytes);
  r.fields((field, wire) => {
    const f = spec[field];
    if (!f) return false;
    const [name, kind] = f;
    if (kind === "u64") out[name] = r.varint();
    else if (kind === "u32") out[name] = Number(r.varint());
    else if (kind === "bool") out[name] = r.varint() !== 0n;
    else if (kind === "string") out[name] = str(r);
    else if (kind === "bytes") out[name] = r.bytes();
    else if (kind === "double") {
      if (wire !== 1) throw new Error(`field ${name}: expected a double`);
      out[name] = r.fixed64();
    } else out[name] = decodeMessage(r.bytes(), kind);
    return true;
  });
  return out;
}

const ADDRESS = { 1: ["participant", "u32"], 2: ["channel", "u32"] };

const PARAMS = {
  1: ["causalHistorySize", "u32"],
  2: ["possibleAcksThreshold", "u32"],
  3: ["bloomCapacity", "u32"],
  4: ["bloomErrorRate", "double"],
  5: ["resendIntervalMs", "u64"],
  6: ["maxResends", "u32"],
  7: ["messageIdRule", "u32"],
  8: ["syncPolicy", "u32"],
  9: ["syncIntervalMs", "u64"],
  10: ["syncIntervalMaxMs", "u64"],
  11: ["syncRedundancy", "u32"],
  12: ["repairEnabled", "bool"],
  13: ["repairTMinMs", "u64"],
  14: ["repairTMaxMs", "u64"],
  15: ["repairMaxRequests", "u32"],
  16: ["repairResponseGroups", "u64"],
  17: ["lostTimeoutMs", "u64"],
  18: ["lostPolicy", "u32"],
  19: ["bloomRollover", "u32"],
};

const BODIES = {
  2: ["hello", { 1: ["protocolVersion", "u32"], 2: ["simulator", "string"] }],
  3: [
    "create",
    {
      ...ADDRESS,
      3: ["channelId", "string"],
      4: ["participantId", "string"],
      5: ["nowMs", "u64"],
      6: ["seed", "u64"],
      7: ["params", PARAMS],
      8: ["channelMembers", "u32"],
    },
  ],
  4: ["send", { ...ADDRESS, 3: ["nowMs", "u64"], 4: ["payload", "bytes"] }],
  5: [
    "receive",
    { ...ADDRESS, 3: ["nowMs", "u64"], 4: ["message", "bytes"], 5: ["retrievalHint", "bytes"] },
  ],
  6: ["timeout", { ...ADDRESS, 3: ["nowMs", "u64"] }],
  7: ["setRetrievalHint", { ...ADDRESS, 3: ["messageId", "string"], 4: ["hint", "bytes"] }],
  8: ["finalState", { ...ADDRESS }],
};

// A Request body: { seq: BigInt, op: "hello" | "create" | ..., body: {...} }.
export function decodeRequest(bytes) {
  const out = { seq: 0n, op: undefined, body: undefined };
  const r = new Reader(bytes);
  r.fields((field, wire) => {
    if (field === 1 && wire === 0) {
      out.seq = r.varint();
      return true;
    }
    const b = BODIES[field];
    if (!b || wire !== 2) return false;
    out.op = b[0];
    out.body = decodeMessage(r.bytes(), b[1]);
    return true;
  });
  if (out.op === "create") {
    const p = out.body.params ?? {};
    // proto3 defaults for absent scalars (a present lost_timeout_ms stays as given).
    for (const [name, kind] of Object.values(PARAMS)) {
      if (p[name] === undefined && name !== "lostTimeoutMs") {
        p[name] = kind === "u64" ? 0n : kind === "bool" ? false : 0;
      }
    }
    out.body.params = p;
  }
  return out;
}

// ---- encoding ---------------------------------------------------------------------------

// Writes into one growing buffer; a nested message is written after a 5-byte placeholder
// for its length, then moved down over the unused placeholder bytes.
class Writer {
  constructor() {
    this.buf = Buffer.allocUnsafe(64 * 1024);
    this.pos = 0;
  }
  ensure(n) {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }
  varint(v) {
    this.ensure(10);
    if (typeof v === "bigint") {
      let n = v;
      while (n > 0x7fn) {
        this.buf[this.pos++] = Number(n & 0x7fn) | 0x80;
        n >>= 7n;
      }
      this.buf[this.pos++] = Number(n);
      return;
    }
    let n = v;
    while (n > 0x7f) {
      this.buf[this.pos++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[this.pos++] = n;
  }
  key(field, wire) {
    this.varint(field * 8 + wire);
  }
  uint(field, v) {
    if (v === undefined || v === null || v === 0 || v === 0n) return;
    this.key(field, 0);
    this.varint(v);
  }
  // Presence-tracked (proto3 `optional`): written even when 0.
  optionalUint(field, v) {
    if (v === undefined || v === null) return;
    this.key(field, 0);
    this.varint(v);
  }
  bool(field, v) {
    if (!v) return;
    this.key(field, 0);
    this.varint(1);
  }
  bytes(field, u8, always = false) {
    if (u8 === undefined || u8 === null) return;
    if (u8.length === 0 && !always) return;
    this.key(field, 2);
    this.varint(u8.length);
    this.ensure(u8.length);
    this.buf.set(u8, this.pos);
    this.pos += u8.length;
  }
  string(field, s, always = false) {
    if (s === undefined || s === null) return;
    if (s.length === 0 && !always) return;
    const n = Buffer.byteLength(s, "utf8");
    this.key(field, 2);
    this.varint(n);
    this.ensure(n);
    this.pos += this.buf.write(s, this.pos, "utf8");
  }
  // message(field, () => { ...writes the nested fields... })
  message(field, writeBody) {
    this.key(field, 2);
    this.ensure(5);
    const at = this.pos;
    this.pos += 5;
    writeBody();
    const len = this.pos - at - 5;
    const before = this.pos;
    this.pos = at;
    this.varint(len);
    const lenBytes = this.pos - at;
    this.buf.copy(this.buf, this.pos, at + 5, before);
    this.pos = at + lenBytes + len;
  }
}

function historyEntry(w, e) {
  w.string(1, e.messageId);
  if (e.retrievalHint !== undefined && e.retrievalHint !== null) {
    w.bytes(2, e.retrievalHint, true);
  }
  if (e.senderId !== undefined && e.senderId !== null) w.string(3, e.senderId, true);
}

function event(w, e) {
  w.uint(1, e.kind);
  w.string(2, e.messageId);
  w.string(3, e.senderId);
  w.uint(4, e.lamportTimestamp);
  w.uint(5, e.count);
  for (const m of e.missing ?? []) w.message(6, () => historyEntry(w, m));
  w.uint(7, e.buffer);
}

function transmission(w, t) {
  w.uint(1, t.kind);
  w.string(2, t.messageId);
  w.bytes(3, t.message);
  w.uint(4, t.repairRequests);
}

const writer = new Writer();

// `reply`: { seq, hello?: {...}, outputs?: {...}, finalState?: {...}, error?: string }.
// Returns the whole frame (length prefix included), valid until the next call.
export function encodeReply(reply) {
  const w = writer;
  w.pos = 4;
  w.uint(1, reply.seq);
  if (reply.hello) {
    const h = reply.hello;
    w.message(2, () => {
      w.uint(1, h.protocolVersion);
      w.string(2, h.implementation);
      w.string(3, h.implementationVersion);
      w.string(4, h.adapter);
    });
  } else if (reply.outputs) {
    const o = reply.outputs;
    w.message(3, () => {
      if (o.publishedId !== undefined) w.string(1, o.publishedId, true);
      if (o.refused !== undefined) w.string(2, o.refused, true);
      for (const t of o.transmissions) w.message(3, () => transmission(w, t));
      for (const e of o.events) w.message(4, () => event(w, e));
      w.optionalUint(5, o.wakeAtMs);
      w.bool(6, o.quiescent);
      w.uint(7, o.localLogLen);
      w.uint(8, o.incomingBufferLen);
    });
  } else if (reply.finalState) {
    const f = reply.finalState;
    w.message(4, () => {
      for (const id of f.localLog) w.string(1, id, true);
      w.uint(2, f.incomingBufferLen);
    });
  } else {
    w.message(5, () => w.string(1, reply.error ?? "error", true));
  }
  w.buf.writeUInt32BE(w.pos - 4, 0);
  return Buffer.from(w.buf.subarray(0, w.pos));
}

// Protocol enums (proto/adapter.proto).
export const TransmitKind = { CONTENT: 1, SYNC: 2, RESEND: 3, REPAIR_RESPONSE: 4, EPHEMERAL: 5 };
export const EventKind = {
  DELIVERED: 1,
  EPHEMERAL_DELIVERED: 2,
  MISSING_DEPENDENCIES: 3,
  ACKNOWLEDGED: 4,
  POSSIBLY_ACKNOWLEDGED: 5,
  NOT_ACKNOWLEDGED: 6,
  REPAIR_REQUEST_SENT: 7,
  REPAIR_REQUEST_RECEIVED: 8,
  REPAIR_RESPONSE_SENT: 9,
  IRRETRIEVABLY_LOST: 10,
  EVICTED: 11,
  DROPPED_LOST: 12,
};
export const MessageIdRule = { UNIQUE: 0, PAYLOAD_SHA256: 1 };
export const SyncPolicy = { PERIODIC: 0, OFF: 1, TRICKLE: 2, RELIABLE_CHANNEL: 3 };
export const LostPolicy = { DELIVER: 0, DROP: 1 };
export const BloomRollover = { NONE: 0, REBUILD: 1 };
