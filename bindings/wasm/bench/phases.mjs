// Where the time of one IndexedDB set and get goes, larder against the bare
// anchor (bare.mjs) on the same page: each call is cut into phases at the
// IndexedDB calls it makes, by wrapping IDBDatabase.transaction,
// IDBTransaction.commit and IDBObjectStore.get for the run and timing with
// performance.now() (5 µs steps: the page is cross-origin isolated, run.mjs).
//
// set: call → transaction() | transaction() → commit() | commit() → the
//      transaction's complete event | complete → the call's promise settled
// get: call → transaction() (or, joining the transaction of the read
//      before, get()) | that → get() | get() → its success event | success →
//      the call's promise settled
//
// A batch of 1000 puts (batchPhases), larder, idb-keyval and the bare anchor
// taking turns: call → transaction() | that → the last put() (the requests)
// | the last put() → the transaction's complete event (what IndexedDB still
// does once every request is made) | complete → the call's promise settled.
//
// Also larder's own work measured two ways, with the "memory" backend: in a
// loop of its own, and one call after each bare IndexedDB operation, which is
// how it runs in the IndexedDB rows (the browser's IndexedDB work in between
// leaves larder's code and data cold in the CPU's caches), with a plain JS
// control of the same kind.

import { encodeValue } from "larder";

import { median } from "./measure.mjs";

const ROUNDS = 30;
const N = 20;
const BATCH_ROUNDS = 8;

/** Wrap `obj[name]` for the duration of `fn`. */
async function wrapped(patches, fn) {
  const saved = patches.map(([obj, name, make]) => {
    const orig = obj[name];
    obj[name] = make(orig);
    return [obj, name, orig];
  });
  try {
    return await fn();
  } finally {
    for (const [obj, name, orig] of saved) obj[name] = orig;
  }
}

const now = () => performance.now();

/**
 * The patch of IDBDatabase.transaction that records, into the timings of
 * the call `current()` returns, its first transaction() (`tx`) and when that
 * transaction completes (`done`). Each listener records into the call it
 * belongs to (`mine`): an event of an earlier call's transaction may fire
 * during a later call.
 */
function transactionPatch(current) {
  return [IDBDatabase.prototype, "transaction", (orig) => function (...a) {
    const mine = current();
    mine.tx ??= now();
    const tx = orig.apply(this, a);
    tx.addEventListener("complete", () => { mine.done ??= now(); });
    return tx;
  }];
}

export async function phaseCases({ larder, bare, mem, value }) {
  let t = {};
  const patches = [
    transactionPatch(() => t),
    [IDBTransaction.prototype, "commit", (orig) => function () {
      t.mid ??= now();
      return orig.call(this);
    }],
    [IDBObjectStore.prototype, "get", (orig) => function (k) {
      const mine = t;
      // A get that joins the transaction of the read before (both sides do)
      // makes no transaction() call: then its first IndexedDB call is this.
      mine.tx ??= now();
      mine.mid ??= now();
      const r = orig.call(this, k);
      r.addEventListener("success", () => { mine.done ??= now(); });
      return r;
    }],
  ];
  const sides = { larder: {}, bare: {} };
  const calls = {
    larder: { set: (r, i) => larder.set("phases", { r, i }, value), get: (r, i) => larder.get("phases", { r, i }) },
    bare: { set: (r, i) => bare.set(`phases-${r}-${i}`, value), get: (r, i) => bare.get(`phases-${r}-${i}`) },
  };
  await wrapped(patches, async () => {
    for (const op of ["set", "get"]) {
      const rows = { larder: [], bare: [] };
      for (let r = 0; r < ROUNDS; r++) {
        for (let i = 0; i < N; i++) {
          for (const side of r % 2 ? ["bare", "larder"] : ["larder", "bare"]) {
            t = {};
            const t0 = now();
            await calls[side][op](r, i);
            const t1 = now();
            rows[side].push([t.tx - t0, t.mid - t.tx, t.done - t.mid, t1 - t.done, t1 - t0]);
          }
        }
      }
      for (const side of ["larder", "bare"]) {
        // Skip the first round: warm-up.
        const kept = rows[side].slice(N);
        sides[side][op] = [0, 1, 2, 3, 4].map((k) => median(kept.map((x) => x[k])) * 1000);
      }
    }
  });
  // Per call, hot (N in a row) and cold (each right after a bare IndexedDB
  // operation `before(r, i)`, as in the rows above): the mean of a round's N
  // calls, so that the 5 µs timer steps average out, and the median round
  // (the first is warm-up).
  const hotAndCold = async (f, before) => {
    const hot = [];
    const cold = [];
    for (let r = 1; r <= ROUNDS; r++) {
      let t0 = now();
      for (let i = 0; i < N; i++) await f(r, i);
      hot.push((now() - t0) / N);
      let sum = 0;
      for (let i = 0; i < N; i++) {
        await before(r, i);
        t0 = now();
        await f(-r, i);
        sum += now() - t0;
      }
      cold.push(sum / N);
    }
    return { hot: median(hot.slice(1)) * 1000, cold: median(cold.slice(1)) * 1000 };
  };
  // larder's own work, with the "memory" backend (sets write new keys, gets
  // read what the sets wrote); what entering wasm at all costs: the smallest
  // call into larder's wasm (encoding null); and, as a control, plain JS of
  // about that size (JSON.stringify of a params object), which tells whether
  // a slowdown after IndexedDB work is larder's or any code's.
  const own = {};
  const cases = {
    set: [(r, i) => mem.set("own", { r, i }, value), calls.bare.set],
    get: [(r, i) => mem.get("own", { r, i }), calls.bare.get],
    entry: [async () => encodeValue(null), calls.bare.set],
    js: [async (r, i) => JSON.stringify({ r, i }), calls.bare.set],
  };
  for (const [name, [f, before]] of Object.entries(cases)) own[name] = await hotAndCold(f, before);
  return { sides, own };
}

/**
 * The phases of a batch of `pairs(side, r)` written by each of `sides`
 * (name → function taking the pairs), in turns: `sides`, per side the
 * medians (µs) of [call → transaction(), → last put(), → complete, →
 * settled, whole call] over the `rounds` after the first.
 */
export async function batchPhases(sides, pairs) {
  let t = {};
  const patches = [
    transactionPatch(() => t),
    [IDBObjectStore.prototype, "put", (orig) => function (...a) {
      t.put = now();
      return orig.apply(this, a);
    }],
  ];
  const names = Object.keys(sides);
  const rows = Object.fromEntries(names.map((n) => [n, []]));
  await wrapped(patches, async () => {
    for (let r = 0; r < BATCH_ROUNDS; r++) {
      for (let k = 0; k < names.length; k++) {
        const side = names[(k + r) % names.length];
        const batch = pairs(side, r);
        t = {};
        const t0 = now();
        await sides[side](batch);
        const t1 = now();
        if (r > 0) rows[side].push([t.tx - t0, t.put - t.tx, t.done - t.put, t1 - t.done, t1 - t0]);
      }
    }
  });
  const medians = (n) => [0, 1, 2, 3, 4].map((k) => median(rows[n].map((x) => x[k])) * 1000);
  return { rounds: BATCH_ROUNDS - 1, sides: Object.fromEntries(names.map((n) => [n, medians(n)])) };
}
