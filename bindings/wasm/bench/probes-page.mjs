// The page of probes.mjs: bare IndexedDB, no larder, measuring two things the
// design of larder-indexeddb rests on (see probes.mjs). Reports
// { calls: { joined, first }, layouts: { larder, indexed, keyed, split, bytes, number, plain, journal } }.

import { done, result } from "./bare.mjs";
import { median, noise } from "./measure.mjs";

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const hex = (i) => (0x10000000 + i).toString(16).padStart(32, "0");

async function open(name, upgrade) {
  const req = indexedDB.open(`${name}-${Date.now()}`, 1);
  req.onupgradeneeded = () => upgrade(req.result);
  return result(req);
}

// How long the synchronous `get()` call takes as the first request of a new
// read-only transaction and as a later one in a transaction joined from the
// previous read's success event (as larder's reads join), in µs: the mean of
// 4000 calls each (performance.now() counts in 5 µs steps here; the mean
// over many calls is finer).
async function calls(frame) {
  const db = await open("probe-calls", (d) => d.createObjectStore("s"));
  const tx = db.transaction("s", "readwrite");
  for (let i = 0; i < 20; i++) tx.objectStore("s").put({ m: [frame.length, 0, -1, 0, "bench", [], 0], f: frame }, `k${i}`);
  await done(tx);
  const first = [], joined = [];
  let reader = null, reads = 0;
  for (let k = 0; k < 8000; k++) {
    const fresh = reader === null || reads === 64;
    if (fresh) {
      reader = db.transaction("s");
      reads = 0;
    }
    const t0 = performance.now();
    let req;
    try {
      req = reader.objectStore("s").get(`k${k % 20}`);
    } catch {
      // The transaction ended between rounds: start the next one.
      reader = null;
      continue;
    }
    (fresh ? first : joined).push(performance.now() - t0);
    reads++;
    await result(req);
    if (k % 20 === 19) {
      // A round ends: let the transaction complete, as between larder's rounds.
      await new Promise((ok) => setTimeout(ok, 0));
      reader = null;
    }
  }
  db.close();
  return { first: mean(first) * 1000, joined: mean(joined) * 1000 };
}

// larder's layout (`larder`: a single put's record { m, f } with an index on
// `m`; a batch's records { f } and one journal record { k, j } of their
// metadata, under a generated number, in the same store) against: version
// 2's (`indexed`: records { m, f } for batches too); the journal for single
// puts too (`journal`: every frame bare, each put's metadata a journal
// record); the metadata in an array primary key with no index (a get then
// reads a key range); frames and metadata in two object stores with no index (version 1
// of the layout: two puts an entry); the same index on a smaller key (22
// bytes, or a number); and the frame alone, no metadata (the floor: what
// idb-keyval stores). A batch of 1000 puts of a 1112-byte frame (ms), single
// gets in rounds of 20 joining one transaction and single sets (µs),
// medians, the layouts taking turns.
const packed = (k) => Uint8Array.from({ length: 22 }, (_, i) => k.charCodeAt(31 - i));
const LAYOUTS = {
  larder: {
    stores: ["larder"],
    put: (t, k, m, f, one) => t.objectStore("larder").put(one ? { m, f } : { f }, k),
    batch: (t, keys, metas) => t.objectStore("larder").add({ k: keys, j: metas }),
    get: (t, k) => t.objectStore("larder").get(k),
  },
  journal: {
    stores: ["journal"],
    put: (t, k, m, f) => t.objectStore("journal").put(f, k),
    finish: (t, keys, metas) => t.objectStore("journal").add({ k: keys, j: metas }),
    get: (t, k) => t.objectStore("journal").get(k),
  },
  indexed: { stores: ["indexed"], put: (t, k, m, f) => t.objectStore("indexed").put({ m, f }, k), get: (t, k) => t.objectStore("indexed").get(k) },
  keyed: { stores: ["keyed"], put: (t, k, m, f) => t.objectStore("keyed").put(f, [k, ...m]), get: (t, k) => t.objectStore("keyed").get(IDBKeyRange.bound([k], [k, []])) },
  split: {
    stores: ["frames", "metas"],
    put: (t, k, m, f) => { t.objectStore("frames").put(f, k); t.objectStore("metas").put(m, k); },
    get: (t, k) => t.objectStore("frames").get(k),
  },
  // The same index on smaller keys: a 22-byte binary key in place of the
  // metadata array, and a number (no metadata at all: the floor of any index).
  bytes: { stores: ["bytes"], put: (t, k, m, f) => t.objectStore("bytes").put({ m: packed(k), f }, k), get: (t, k) => t.objectStore("bytes").get(k) },
  number: { stores: ["number"], put: (t, k, m, f) => t.objectStore("number").put({ m: 5, f }, k), get: (t, k) => t.objectStore("number").get(k) },
  plain: { stores: ["plain"], put: (t, k, m, f) => t.objectStore("plain").put(f, k), get: (t, k) => t.objectStore("plain").get(k) },
};

async function layouts(frame) {
  const db = await open("probe-layouts", (d) => {
    for (const s of ["indexed", "bytes", "number"]) d.createObjectStore(s).createIndex("meta", "m");
    for (const s of ["keyed", "frames", "metas", "plain"]) d.createObjectStore(s);
    d.createObjectStore("larder", { autoIncrement: true }).createIndex("meta", "m");
    d.createObjectStore("journal", { autoIncrement: true });
  });
  const meta = () => [frame.length, 1, -1, 1, "bench", [], 0];
  const names = Object.keys(LAYOUTS);
  const batch = {}, single = {}, set = {};
  for (const n of names) [batch[n], single[n], set[n]] = [[], [], []];
  // `finish` writes a journal record for every put, `batch` for a batch.
  const write = (name, keys) => {
    const { stores, put, finish, batch: journal } = LAYOUTS[name];
    const tx = db.transaction(stores, "readwrite", { durability: "relaxed" });
    const one = keys.length === 1;
    const metas = keys.map(() => meta());
    keys.forEach((k, i) => put(tx, k, metas[i], frame.slice(), one));
    finish?.(tx, keys, metas);
    if (!one) journal?.(tx, keys, metas);
    tx.commit();
    return done(tx);
  };
  // The order rotates from round to round.
  const order = (r) => names.map((_, j) => names[(j + r) % names.length]);
  for (let r = 0; r < 12; r++) {
    for (const name of order(r)) {
      const t0 = performance.now();
      await write(name, Array.from({ length: 1000 }, (_, i) => hex(r * 1000 + i)));
      if (r >= 2) batch[name].push(performance.now() - t0);
    }
  }
  for (let r = 0; r < 40; r++) {
    for (const name of order(r)) {
      const { stores, get } = LAYOUTS[name];
      const t0 = performance.now();
      let tx = null;
      for (let i = 0; i < 20; i++) {
        let req;
        try {
          if (tx) req = get(tx, hex(i));
        } catch {
          tx = null;
        }
        if (!req) {
          tx = db.transaction(stores[0]);
          req = get(tx, hex(i));
        }
        if (!(await result(req))) throw new Error(`${name}: entry ${i} missing`);
      }
      if (r >= 10) single[name].push(((performance.now() - t0) * 1000) / 20);
    }
  }
  // Single sets: 20 one-put transactions in turn, each awaited.
  for (let r = 0; r < 40; r++) {
    for (const name of order(r)) {
      const t0 = performance.now();
      for (let i = 0; i < 20; i++) await write(name, [hex(100000 + i)]);
      if (r >= 10) set[name].push(((performance.now() - t0) * 1000) / 20);
    }
  }
  db.close();
  const side = (n) => ({ batch: median(batch[n]), get: median(single[n]), set: median(set[n]) });
  return Object.fromEntries(names.map((n) => [n, side(n)]));
}

async function probes() {
  const frame = noise(1112);
  return { calls: await calls(frame), layouts: await layouts(frame) };
}

probes().then(
  (r) => { window.benchResults = r; },
  (e) => { window.benchResults = { error: String(e?.stack ?? e) }; },
);
