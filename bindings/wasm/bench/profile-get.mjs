// larder's own work on a get, in a loop for a CPU profile: the "memory"
// backend (no storage I/O), no memory tier, a 1 KiB Uint8Array value.
//   node --cpu-prof --cpu-prof-interval 20 profile-get.mjs <dir> [gets]
// <dir> holds a web build of the wasm with its function names kept (how to
// make one: docs/BENCHMARKS.md, "Two builds on one page"); the profile then
// names larder's wasm functions. Prints the time per get of three passes.

import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [dirArg, getsArg = "300000"] = process.argv.slice(2);
if (!dirArg) throw new Error("usage: node profile-get.mjs <dir> [gets]");
const dir = resolve(dirArg);
const { initSync, Cache } = await import(pathToFileURL(join(dir, "larder_wasm.js")).href);
initSync({ module: readFileSync(join(dir, "larder_wasm_bg.wasm")) });

const cache = await Cache.open({ backend: "memory", memoryBytes: 0 });
const value = new Uint8Array(1024).fill(7);
for (let i = 0; i < 20; i++) await cache.set("bench", { r: 0, i }, value);
const gets = Number(getsArg);
for (let pass = 0; pass < 3; pass++) {
  const t0 = performance.now();
  for (let k = 0; k < gets; k++) {
    const v = await cache.get("bench", { r: 0, i: k % 20 });
    if (v.length !== 1024) throw new Error(`get returned ${v}`);
  }
  console.log(`${(((performance.now() - t0) * 1000) / gets).toFixed(2)} µs a get`);
}
