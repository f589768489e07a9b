// Timing shared by the Node, Deno and browser benchmarks: each case runs
// `ops` operations per round, after a warm-up round, and reports the median
// time per operation over the rounds (µs), so one slow round (a GC, a
// compaction) does not decide the figure.

// The browser's single-operation rows (page.mjs, ab-page.mjs): this many
// operations per round, more rounds than the batches, so that the median is
// not one busy second of a loaded machine.
export const SINGLE_OPS = 20;
export const SINGLE_ROUNDS = 21;
// Rounds a side before the warmed-up single rows measure: 2000 calls, past
// where V8 has optimized the wasm functions of a larder call that loop (see
// page.mjs, singleRows).
export const WARM_ROUNDS = 100;

// The browser's batch rows (page.mjs, ab-page.mjs, profile-batch-page.mjs):
// entries per batch, the params larder keys batch `r`'s entries by, and
// their keys for idb-keyval and the bare anchor.
export const BATCH = 1000;
export const batchParams = (r) => Array.from({ length: BATCH }, (_, i) => ({ batch: r, i }));
export const batchNames = (r) => Array.from({ length: BATCH }, (_, i) => `batch-${r}-${i}`);

/** Throw unless `v` is what every benchmark read expects: a 1 KiB hit. */
export function checkHit(v) {
  if (!(v instanceof Uint8Array) || v.length !== 1024) {
    throw new Error(`benchmark read returned ${v}`);
  }
}

/** The middle value of `xs` (the upper one of an even count). */
export function median(xs) {
  const v = [...xs].sort((a, b) => a - b);
  return v[Math.floor(v.length / 2)];
}

export async function timeOps(fn, { ops, rounds = 7, warmup = 1 }) {
  const perOp = [];
  for (let r = 0; r < warmup + rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < ops; i++) await fn(i, r);
    const us = ((performance.now() - t0) * 1000) / ops;
    if (r >= warmup) perOp.push(us);
  }
  return median(perOp);
}

/**
 * `timeOps` for several functions at once, side by side: each round runs
 * every function for `ops` operations, in an order that rotates from round to
 * round, so that a busy moment of the machine (a GC, another process, a
 * storage compaction started by the case before) falls on every side alike.
 * Returns the median time per operation of each (µs), keyed like `fns`.
 * With `calls` (an object), also times every call after the warm-up on its
 * own and leaves the times there, an array (µs) per function.
 */
export async function timeSideBySide(fns, { ops, rounds = 7, warmup = 1, calls }) {
  const names = Object.keys(fns);
  const perOp = Object.fromEntries(names.map((n) => [n, []]));
  for (const n of calls ? names : []) calls[n] = [];
  for (let r = 0; r < warmup + rounds; r++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + r) % names.length];
      const each = r >= warmup ? calls?.[name] : undefined;
      const t0 = performance.now();
      for (let i = 0; i < ops; i++) {
        const c0 = performance.now();
        await fns[name](i, r);
        each?.push((performance.now() - c0) * 1000);
      }
      if (r >= warmup) perOp[name].push(((performance.now() - t0) * 1000) / ops);
    }
  }
  return Object.fromEntries(names.map((n) => [n, median(perOp[n])]));
}

/** The `q` quantile of `xs` (0 ≤ q ≤ 1), the nearest rank below. */
export function quantile(xs, q) {
  const v = [...xs].sort((a, b) => a - b);
  return v[Math.floor(q * (v.length - 1))];
}

/** A Uint8Array of `n` bytes that does not compress. */
export function noise(n, seed = 1) {
  const out = new Uint8Array(n);
  let x = seed * 2654435761 >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** The two values of the codec benchmarks. */
export function codecValues() {
  const floats = new Float64Array(131072); // 1 MiB
  for (let i = 0; i < floats.length; i++) floats[i] = Math.sin(i) * 1e6;
  const objects = Array.from({ length: 10000 }, (_, i) => ({
    id: i,
    name: `item-${i}`,
    score: i / 7,
    active: i % 3 === 0,
    tags: ["a", "b", String(i % 10)],
  }));
  return { floats, objects };
}

/**
 * Encode/decode of each codec value with larder's codec, JSON and
 * structuredClone. JSON cannot hold a Float64Array: it goes through
 * Array.from and back, as a JSON user would have to.
 */
export async function codecCases({ encodeValue, decodeValue }) {
  const { floats, objects } = codecValues();
  const rows = [];
  for (const [label, value, toJson, fromJson, ops] of [
    ["1 MiB Float64Array", floats, (v) => JSON.stringify(Array.from(v)), (s) => new Float64Array(JSON.parse(s)), 5],
    ["10k-object array", objects, (v) => JSON.stringify(v), (s) => JSON.parse(s), 5],
  ]) {
    const bytes = encodeValue(value);
    const json = toJson(value);
    rows.push({
      case: `encode ${label}`,
      larder: await timeOps(() => encodeValue(value), { ops }),
      anchors: { "JSON.stringify": await timeOps(() => toJson(value), { ops }) },
      note: `${bytes.length} bytes; JSON ${new TextEncoder().encode(json).length}`,
    });
    rows.push({
      case: `decode ${label}`,
      larder: await timeOps(() => decodeValue(bytes), { ops }),
      anchors: { "JSON.parse": await timeOps(() => fromJson(json), { ops }) },
    });
    rows.push({
      case: `encode + decode ${label}`,
      larder: await timeOps(() => decodeValue(encodeValue(value)), { ops }),
      anchors: {
        structuredClone: await timeOps(() => structuredClone(value), { ops }),
        "JSON.stringify + parse": await timeOps(() => fromJson(toJson(value)), { ops }),
      },
    });
  }
  return rows;
}
