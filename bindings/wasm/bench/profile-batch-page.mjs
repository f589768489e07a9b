// The page of profile-batch.mjs: larder's getMany or setMany of 1000 entries
// of 1 KiB and idb-keyval's, each in a database holding 8000 entries, under
// CPU profiles (console.profile): first larder, then idb-keyval, 20 batches
// each after 3 unprofiled ones. `?set` profiles the puts instead of the gets.
// Reports the median time of a batch per side (ms).

import init, { Cache } from "larder-named";
import * as idb from "idb-keyval";

import { batchNames as names, batchParams as params, checkHit as check, median, noise } from "./measure.mjs";

async function bench() {
  await init();
  const value = noise(1024);
  const t = Date.now();
  const c = await Cache.open({ backend: "indexeddb", name: `profile-${t}`, memoryBytes: 0 });
  const store = idb.createStore(`profile-keyval-${t}`, "keyval");
  const pairs = (keys) => keys.map((k) => [k, value]);
  for (let r = 0; r < 8; r++) {
    await c.setMany("bench", pairs(params(r)));
    await idb.setMany(pairs(names(r)), store);
  }
  const puts = new URLSearchParams(location.search).has("set");
  // The gets' keys made once, as a caller holding its list would.
  const [keys, idbKeys] = [params(0), names(0)];
  let round = 8;
  const sides = puts
    ? {
      larder: (r) => c.setMany("bench", pairs(params(r))),
      "idb-keyval": (r) => idb.setMany(pairs(names(r)), store),
    }
    : {
      larder: async () => (await c.getMany("bench", keys)).forEach(check),
      "idb-keyval": async () => (await idb.getMany(idbKeys, store)).forEach(check),
    };
  const times = {};
  for (const [side, run] of Object.entries(sides)) {
    for (let r = 0; r < 3; r++) await run(round++);
    times[side] = [];
    console.profile(side);
    for (let r = 0; r < 20; r++) {
      const t0 = performance.now();
      await run(round++);
      times[side].push(performance.now() - t0);
    }
    console.profileEnd(side);
  }
  return { times: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)])) };
}

bench().then(
  (r) => { window.benchResults = r; },
  (e) => { window.benchResults = { error: String(e?.stack ?? e) }; },
);
