// How larder's single IndexedDB get compares as V8 goes on optimizing it:
//   node steady.mjs [launches] [checkpoints]
// e.g. `node steady.mjs 6 100,400,1600,3200`. Each launch is a fresh
// Chromium running steady-page.mjs: the get row of page.mjs, measured after
// each checkpoint's number of warm-up rounds a side (page.mjs's warmed-up
// row is the one at WARM_ROUNDS). V8 moves a wasm function from its baseline
// compiler to its optimizing one only after the function has run about
// 1.8 MB of its baseline code, so the many small functions a get passes
// through once keep being optimized long after idb-keyval's JS is.
// Prints larder / idb-keyval and larder / bare anchor per launch and
// checkpoint, then the medians over launches. Uses the larder package
// installed in node_modules (cargo xtask bench --js installs it).

import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

import { WARM_ROUNDS, median } from "./measure.mjs";
import { installedImports, runPage } from "./serve.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const [launchArg = "6", atArg = `${WARM_ROUNDS},400,1600,3200`] = process.argv.slice(2);
const launches = Number(launchArg);
const at = atArg.split(",").map(Number);
if (!(launches >= 1) || at.some((w, k) => !(w >= 1) || (k > 0 && w <= at[k - 1]))) {
  throw new Error("usage: node steady.mjs [launches] [ascending warm-up rounds, comma-separated]");
}

const imports = await installedImports(here);
const ratios = Object.fromEntries(at.map((w) => [w, { kv: [], bare: [] }]));
for (let l = 0; l < launches; l++) {
  const { checkpoints, version } = await runPage({ root: here, imports, script: "steady-page.mjs", query: `?at=${at}` });
  const line = at.map((w) => {
    const t = checkpoints[w];
    const kv = t.larder / t["idb-keyval"], bare = t.larder / t.bare;
    ratios[w].kv.push(kv);
    ratios[w].bare.push(bare);
    return `after ${w}: larder ${t.larder.toFixed(1)} µs, / idb-keyval ${kv.toFixed(3)}, / bare ${bare.toFixed(3)}`;
  });
  console.log(`launch ${l + 1} (Chromium ${version}): ${line.join("; ")}`);
}
for (const w of at) {
  const { kv, bare } = ratios[w];
  console.log(`after ${w} rounds a side: larder / idb-keyval median ${median(kv).toFixed(3)}, larder / bare anchor median ${median(bare).toFixed(3)} over ${launches} launches`);
}
