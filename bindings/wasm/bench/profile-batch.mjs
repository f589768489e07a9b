// Where the main thread's time goes in a batch of 1000 IndexedDB gets (or,
// with `set`, puts), larder against idb-keyval on one page
// (profile-batch-page.mjs), from Chromium's CPU profiler:
//   node profile-batch.mjs <dir> [get|set] [rows]
// <dir> holds a web build of the wasm with its function names kept (how to
// make one: docs/BENCHMARKS.md, "Two builds on one page"); it must lie under
// this directory to be served. Prints the median time of a batch per side
// and each side's functions by self time per batch, the top `rows` (20).

import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { IDB_KEYVAL, runPage } from "./serve.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const [dirArg, op = "get", rowsArg = "20"] = process.argv.slice(2);
if (!dirArg || !["get", "set"].includes(op)) throw new Error("usage: node profile-batch.mjs <dir> [get|set] [rows]");
const dir = relative(here, resolve(dirArg));
if (dir.startsWith("..")) throw new Error(`${dirArg}: must be under ${here} to be served`);

const BATCHES = 20;
const { times, profiles, version } = await runPage({
  root: here,
  imports: { "larder-named": `/${dir}/larder_wasm.js`, "idb-keyval": IDB_KEYVAL },
  script: "profile-batch-page.mjs",
  query: op === "set" ? "?set" : "",
  profile: true,
});
console.log(`Chromium ${version}, ${op} 1000 in one batch`);
for (const [i, side] of Object.keys(times).entries()) {
  const { nodes, samples, timeDeltas } = profiles[i];
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  samples.forEach((id, k) => {
    const { functionName, url } = byId.get(id).callFrame;
    const name = `${functionName || "(anonymous)"} ${url.split("/").pop()}`.trim();
    self.set(name, (self.get(name) ?? 0) + timeDeltas[k]);
    total += timeDeltas[k];
  });
  console.log(`\n${side}: median ${times[side].toFixed(1)} ms a batch; self time a batch:`);
  for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(rowsArg))) {
    console.log(`${(us / 1000 / BATCHES).toFixed(2).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${name.slice(0, 120)}`);
  }
}
