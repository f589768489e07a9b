// Chromium, one page: larder's "indexeddb" backend against idb-keyval, one
// value at a time and 1000 in one batch, and the value codec against JSON and
// structuredClone. Results go to window.benchResults (read by run.mjs).
import * as idb from "idb-keyval";
import { Cache, decodeValue, encodeValue } from "larder";

import { codecCases, noise, timeOps } from "./measure.mjs";

const N = 200;
const BATCH = 1000;

async function bench() {
  const value = noise(1024);
  const rows = [];
  // No memory tier: every larder get reads IndexedDB, as every idb-keyval get does.
  const c = await Cache.open({ backend: "indexeddb", name: `bench-${Date.now()}`, memoryBytes: 0 });
  const store = idb.createStore(`keyval-bench-${Date.now()}`, "keyval");
  rows.push({
    case: "IndexedDB set 1 KiB",
    larder: await timeOps((i, r) => c.set("bench", { r, i }, value), { ops: N }),
    anchors: { "idb-keyval": await timeOps((i, r) => idb.set(`bench-${r}-${i}`, value, store), { ops: N }) },
  });
  rows.push({
    case: "IndexedDB get 1 KiB (hit)",
    larder: await timeOps(async (i) => check(await c.get("bench", { r: 0, i })), { ops: N }),
    anchors: { "idb-keyval": await timeOps(async (i) => check(await idb.get(`bench-0-${i}`, store)), { ops: N }) },
  });
  const pairs = (r) => Array.from({ length: BATCH }, (_, i) => [{ batch: r, i }, value]);
  const idbPairs = (r) => Array.from({ length: BATCH }, (_, i) => [`batch-${r}-${i}`, value]);
  rows.push({
    case: `IndexedDB set ${BATCH} × 1 KiB in one batch`,
    larder: await timeOps((_, r) => c.setMany("bench", pairs(r)), { ops: 1 }),
    anchors: { "idb-keyval": await timeOps((_, r) => idb.setMany(idbPairs(r), store), { ops: 1 }) },
    note: "per batch",
  });
  const keys = Array.from({ length: BATCH }, (_, i) => ({ batch: 0, i }));
  const idbKeys = Array.from({ length: BATCH }, (_, i) => `batch-0-${i}`);
  rows.push({
    case: `IndexedDB get ${BATCH} × 1 KiB in one batch`,
    larder: await timeOps(async () => (await c.getMany("bench", keys)).forEach(check), { ops: 1 }),
    anchors: { "idb-keyval": await timeOps(async () => (await idb.getMany(idbKeys, store)).forEach(check), { ops: 1 }) },
    note: "per batch",
  });
  await c.clear();
  await c.close();
  await idb.clear(store);
  rows.push(...(await codecCases({ encodeValue, decodeValue })));
  return rows;
}

function check(v) {
  if (!(v instanceof Uint8Array) || v.length !== 1024) {
    throw new Error(`benchmark read returned ${v}`);
  }
}

bench().then(
  (rows) => { window.benchResults = { rows }; },
  (e) => { window.benchResults = { error: String(e && e.stack || e) }; },
);
