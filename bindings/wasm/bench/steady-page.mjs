// The page of steady.mjs: larder's single IndexedDB get against idb-keyval
// and the bare anchor, as page.mjs times it, measured again and again as the
// warm-up goes on: after `?at=` rounds a side (a list, ascending), each time
// SINGLE_ROUNDS rounds of SINGLE_OPS gets, taking turns. Reports each
// checkpoint's median time per call (µs) by side.

import * as idb from "idb-keyval";
import { Cache } from "larder";

import { openBare } from "./bare.mjs";
import { SINGLE_OPS as N, SINGLE_ROUNDS as ROUNDS, checkHit as check, noise, timeSideBySide } from "./measure.mjs";

async function bench() {
  const at = new URLSearchParams(location.search).get("at").split(",").map(Number);
  const value = noise(1024);
  const t = Date.now();
  // No memory tier, as in page.mjs: every get reads IndexedDB.
  const c = await Cache.open({ backend: "indexeddb", name: `steady-${t}`, memoryBytes: 0 });
  const store = idb.createStore(`steady-keyval-${t}`, "keyval");
  const bare = await openBare(`steady-bare-${t}`);
  for (let i = 0; i < N; i++) {
    await c.set("bench", { r: 0, i }, value);
    await idb.set(`bench-r0-${i}`, value, store);
    await bare.set(`bench-r0-${i}`, value);
  }
  const gets = {
    larder: async (i) => check(await c.get("bench", { r: 0, i })),
    "idb-keyval": async (i) => check(await idb.get(`bench-r0-${i}`, store)),
    bare: async (i) => check(await bare.get(`bench-r0-${i}`)),
  };
  const checkpoints = {};
  let done = 0;
  for (const w of at) {
    // The measured rounds of one checkpoint count towards the next one's warm-up.
    await timeSideBySide(gets, { ops: N, rounds: 0, warmup: Math.max(0, w - done) });
    checkpoints[w] = await timeSideBySide(gets, { ops: N, rounds: ROUNDS, warmup: 0 });
    done = Math.max(done, w) + ROUNDS;
  }
  await c.close();
  bare.close();
  return { checkpoints };
}

bench().then(
  (r) => { window.benchResults = r; },
  (e) => { window.benchResults = { error: String(e?.stack ?? e) }; },
);
