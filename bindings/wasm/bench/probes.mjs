// Bare IndexedDB probes behind two choices of larder-indexeddb, each in a
// fresh Chromium (probes-page.mjs):
//   node probes.mjs [launches]
// 1. What a `get()` call itself costs as the first request of a new
//    read-only transaction and as a later one in a joined transaction.
// 2. larder's layout (an index on the metadata) against the metadata kept in
//    an array primary key with no index, against frames and metadata in two
//    object stores, against the same index on a 22-byte key or a number, and
//    against the frame alone: a batch of 1000 puts, and single gets.
// Prints each launch's figures; docs/BENCHMARKS.md and the docs of
// larder-indexeddb quote them.

import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

import { runPage } from "./serve.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const launches = Number(process.argv[2] ?? "3");
if (!(launches >= 1)) throw new Error("usage: node probes.mjs [launches]");

const f = (x, unit) => `${x.toFixed(1)} ${unit}`;
const LAYOUTS = {
  indexed: "index (larder's)",
  keyed: "metadata in the key (get by range)",
  split: "two object stores",
  bytes: "index on a 22-byte key",
  number: "index on a number",
  plain: "frame alone",
  journal: "frames + a journal record a call",
  jsame: "the same, one store",
};
for (let l = 0; l < launches; l++) {
  const { calls, layouts, version } = await runPage({ root: here, imports: {}, script: "probes-page.mjs" });
  const each = (what, unit) => Object.entries(LAYOUTS).map(([k, label]) => `${label} ${f(layouts[k][what], unit)}`).join(", ");
  console.log(
    `launch ${l + 1} (Chromium ${version}): get() call, first in a new transaction ${f(calls.first, "µs")}, ` +
    `in a joined one ${f(calls.joined, "µs")}; 1000 puts: ${each("batch", "ms")}; get: ${each("get", "µs")}; set: ${each("set", "µs")}`,
  );
}
