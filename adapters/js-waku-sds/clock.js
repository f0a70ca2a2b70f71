// Virtual time and seeded randomness. @waku/sds 0.0.8 reads the clock only through
// Date.now() (Lamport initialisation and increments, timeReceived, SDS-R T_req/T_resp and
// repair eligibility: message_channel.js:53, :221, :398, :468, :595; repair.js:40-169;
// buffers.js:52) and draws randomness only through Math.random() (sync ids,
// message_channel.js:305; ReliableChannel's sync jitter, reliable_channel.ts:520, :538-540).
// Both are replaced: Date.now() returns the simulated wall clock of the participant being
// served (clock skew included), Math.random() the next draw of that participant's generator,
// seeded from the per-instance seed sdsim sends (derived from the scenario seed).

let nowMs = 0;
let current = () => {
  throw new Error("Math.random() called outside a request");
};

export function install() {
  Date.now = () => nowMs;
  Math.random = () => current();
}

// The clock and generator of the instance being served, until the next call.
export function enter(now, random) {
  nowMs = now;
  current = random;
}

export function now() {
  return nowMs;
}

// SplitMix32 step: scrambles a 32-bit state (used only to seed the generator below).
function splitmix32(state) {
  let z = (state + 0x9e3779b9) | 0;
  let x = z;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return [z, (x ^ (x >>> 16)) >>> 0];
}

// A generator of doubles in [0, 1) with 53 random bits: xoshiro128** (Blackman and Vigna)
// seeded from the 64-bit `seed` (BigInt).
export function generator(seed) {
  const lo = Number(BigInt.asUintN(32, seed)) | 0;
  const hi = Number(BigInt.asUintN(32, seed >> 32n)) | 0;
  let st = lo;
  const s = new Uint32Array(4);
  for (let i = 0; i < 4; i++) {
    if (i === 2) st ^= hi;
    const [next, out] = splitmix32(st);
    st = next;
    s[i] = out;
  }
  if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1;
  const rotl = (x, k) => (x << k) | (x >>> (32 - k));
  const next32 = () => {
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  };
  return () => {
    const hi = next32() >>> 5; // 27 bits
    const lo = next32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  };
}
