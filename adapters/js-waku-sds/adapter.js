#!/usr/bin/env node
// sdsim adapter for js-waku's @waku/sds 0.0.8 (docs/adapter-protocol.md): serves the adapter
// protocol on stdin/stdout, one MessageChannel per (participant, channel) instance, driven as
// js-waku's ReliableChannel drives it (reliable_channel.js), on the simulated clock with
// seeded randomness (clock.js). Logs go to stderr. Exits 0 at the end of stdin.
//
// Run by sdsim for `sds.implementation = "js-waku-0.0.8"`; install its dependencies once with
// `npm ci` in this directory (README.md).

import { readFileSync } from "node:fs";

import * as clock from "./clock.js";
import { decodeRequest, encodeReply, MAX_FRAME_BYTES, PROTOCOL_VERSION } from "./frames.js";
import { Participant, refusal } from "./reliable_channel.js";

clock.install();

const SDS_VERSION = JSON.parse(
  readFileSync(new URL("./node_modules/@waku/sds/package.json", import.meta.url), "utf8"),
).version;
if (SDS_VERSION !== "0.0.8") {
  process.stderr.write(
    `js-waku-sds adapter: @waku/sds ${SDS_VERSION} is installed, this adapter is for 0.0.8 ` +
      "exactly: run `npm ci` in adapters/js-waku-sds\n",
  );
  process.exit(2);
}

// `--repair-sweep`: also answer SDS-R repair requests every 10 s, as ReliableChannel does
// from @waku/sds 0.0.9 on (reliable_channel.js, SWEEP_REPAIR_INTERVAL_MS).
const args = process.argv.slice(2);
for (const a of args) {
  if (a !== "--repair-sweep") {
    process.stderr.write(`js-waku-sds adapter: unknown argument ${a} (usage: adapter.js [--repair-sweep])\n`);
    process.exit(2);
  }
}
const OPTIONS = { repairSweep: args.includes("--repair-sweep") };
const ADAPTER =
  "sdsim js-waku-sds adapter 0.1.0 (ReliableChannel of @waku/sdk 0.0.36" +
  (OPTIONS.repairSweep ? ", with the SDS-R response sweep of 0.0.9)" : ")");

const instances = new Map();
const key = (b) => `${b.participant}/${b.channel}`;

function instance(b) {
  const inst = instances.get(key(b));
  if (!inst) {
    throw new Refusal(`no instance (${b.participant ?? 0}, ${b.channel ?? 0}): create it first`);
  }
  clock.enter(Number(b.nowMs ?? BigInt(clock.now())), inst.rng);
  return inst;
}

class Refusal extends Error {}

async function handle(op, b) {
  switch (op) {
    case "hello":
      return {
        hello: {
          protocolVersion: PROTOCOL_VERSION,
          implementation: "@waku/sds",
          implementationVersion: SDS_VERSION,
          adapter: ADAPTER,
        },
      };
    case "create": {
      const why = refusal(b.params);
      if (why) throw new Refusal(why);
      const inst = new Participant(b, OPTIONS);
      instances.set(key(b), inst);
      return { outputs: inst.outputs() };
    }
    case "send": {
      const inst = instance(b);
      const sent = await inst.send(b.payload ?? new Uint8Array());
      return { outputs: inst.outputs(sent) };
    }
    case "receive": {
      const inst = instance(b);
      inst.receive(b.message ?? new Uint8Array(), b.retrievalHint);
      return { outputs: inst.outputs() };
    }
    case "timeout": {
      const inst = instance(b);
      await inst.fireDue(Number(b.nowMs));
      return { outputs: inst.outputs() };
    }
    case "setRetrievalHint": {
      const inst = instance(b);
      inst.setRetrievalHint(b.messageId ?? "", b.hint ?? new Uint8Array());
      return { outputs: inst.outputs() };
    }
    case "finalState":
      return { finalState: instance(b).finalState() };
    default:
      throw new Refusal("request without a known body");
  }
}

// ---- frames on stdin, one request at a time ----

let pending = Buffer.alloc(0);
let busy = false;

async function pump() {
  if (busy) return;
  busy = true;
  try {
    while (pending.length >= 4) {
      const len = pending.readUInt32BE(0);
      if (len > MAX_FRAME_BYTES) {
        process.stderr.write(`js-waku-sds adapter: frame length ${len} exceeds the limit\n`);
        process.exit(2);
      }
      if (pending.length < 4 + len) break;
      const body = pending.subarray(4, 4 + len);
      pending = pending.subarray(4 + len);
      let req;
      try {
        req = decodeRequest(body);
      } catch (e) {
        process.stderr.write(`js-waku-sds adapter: malformed request frame: ${e.message}\n`);
        process.exit(2);
      }
      let reply;
      try {
        reply = await handle(req.op, req.body ?? {});
      } catch (e) {
        if (!(e instanceof Refusal)) {
          process.stderr.write(`js-waku-sds adapter: ${req.op} failed: ${e?.stack ?? e}\n`);
        }
        reply = { error: e instanceof Refusal ? e.message : `${req.op} failed: ${e?.message ?? e}` };
      }
      // Pipes are written synchronously on Linux (Node's process.stdout).
      process.stdout.write(encodeReply({ seq: req.seq, ...reply }));
    }
  } finally {
    busy = false;
  }
  if (pending.length >= 4 && pending.length >= 4 + pending.readUInt32BE(0)) await pump();
}

process.stdin.on("data", (chunk) => {
  pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
  pump().catch((e) => {
    process.stderr.write(`js-waku-sds adapter: ${e?.stack ?? e}\n`);
    process.exit(1);
  });
});
process.stdin.on("end", () => process.exit(0));
