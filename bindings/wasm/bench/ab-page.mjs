// The page of ab.mjs: two builds of larder ("larderA" and "larderB" in the
// import map) and idb-keyval on one page, the single IndexedDB get and set
// rows of page.mjs taking turns round by round, on a fresh page and warmed
// up; or, with `?batch`, a batch of 1000 gets and one of 1000 puts, in
// databases holding 8000 entries (as page.mjs's get batch row finds them).
// Reports each row's median time per call (µs) by side.

import { Cache as CacheA } from "larderA";
import { Cache as CacheB } from "larderB";
import * as idb from "idb-keyval";

import {
  SINGLE_OPS as N,
  SINGLE_ROUNDS as ROUNDS,
  WARM_ROUNDS,
  BATCH,
  batchNames as names,
  batchParams as params,
  checkHit as check,
  noise,
  timeSideBySide,
} from "./measure.mjs";

async function batchRows(a, b, store, value) {
  const pairs = (keys) => keys.map((k) => [k, value]);
  for (let r = 0; r < 8; r++) {
    await a.setMany("bench", pairs(params(r)));
    await b.setMany("bench", pairs(params(r)));
    await idb.setMany(pairs(names(r)), store);
  }
  const [keys, idbKeys] = [params(0), names(0)];
  const get = await timeSideBySide({
    A: async () => (await a.getMany("bench", keys)).forEach(check),
    B: async () => (await b.getMany("bench", keys)).forEach(check),
    "idb-keyval": async () => (await idb.getMany(idbKeys, store)).forEach(check),
  }, { ops: 1, rounds: 15, warmup: 2 });
  // Each round writes a batch of its own (rounds 8 on: new keys).
  const set = await timeSideBySide({
    A: (_, r) => a.setMany("bench", pairs(params(8 + r))),
    B: (_, r) => b.setMany("bench", pairs(params(8 + r))),
    "idb-keyval": (_, r) => idb.setMany(pairs(names(8 + r)), store),
  }, { ops: 1, rounds: 9, warmup: 1 });
  return { [`get ${BATCH} in one batch`]: get, [`set ${BATCH} in one batch`]: set };
}

async function bench() {
  const value = noise(1024);
  const t = Date.now();
  // No memory tier, as in page.mjs: every get reads IndexedDB.
  const a = await CacheA.open({ backend: "indexeddb", name: `ab-a-${t}`, memoryBytes: 0 });
  const b = await CacheB.open({ backend: "indexeddb", name: `ab-b-${t}`, memoryBytes: 0 });
  const store = idb.createStore(`ab-keyval-${t}`, "keyval");
  if (new URLSearchParams(location.search).has("batch")) return { rows: await batchRows(a, b, store, value) };
  const rows = {};
  for (const [label, warmup] of [["fresh", 1], ["warm", WARM_ROUNDS]]) {
    const tag = label[0];
    rows[`set, ${label}`] = await timeSideBySide({
      A: (i, r) => a.set("bench", { [tag]: r, i }, value),
      B: (i, r) => b.set("bench", { [tag]: r, i }, value),
      "idb-keyval": (i, r) => idb.set(`bench-${tag}${r}-${i}`, value, store),
    }, { ops: N, rounds: ROUNDS, warmup });
    // What the set row's first round wrote.
    rows[`get, ${label}`] = await timeSideBySide({
      A: async (i) => check(await a.get("bench", { [tag]: 0, i })),
      B: async (i) => check(await b.get("bench", { [tag]: 0, i })),
      "idb-keyval": async (i) => check(await idb.get(`bench-${tag}0-${i}`, store)),
    }, { ops: N, rounds: ROUNDS, warmup });
  }
  return { rows };
}

bench().then(
  (r) => { window.benchResults = r; },
  (e) => { window.benchResults = { error: String(e?.stack ?? e) }; },
);
