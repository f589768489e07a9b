// Bare IndexedDB probes behind two choices of larder-indexeddb, each in a
// fresh Chromium (probes-page.mjs):
//   node probes.mjs [launches]
// 1. What a `get()` call itself costs as the first request of a new
//    read-only transaction and as a later one in a joined transaction.
// 2. larder's layout (a single put's metadata in its record, under an index;
//    a batch's in one journal record) against version 2's (the index for
//    batches too), the journal for single puts too, the metadata kept in an
//    array primary key with no index, frames and metadata in two object
//    stores, the index on a 22-byte key or a number, and the frame alone: a
//    batch of 1000 puts, single gets and single sets.
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
  larder: "larder's (index, journal for batches)",
  indexed: "index (version 2)",
  journal: "journal for every put",
  keyed: "metadata in the key (get by range)",
  split: "two object stores",
  bytes: "index on a 22-byte key",
  number: "index on a number",
  plain: "frame alone",
};
for (let l = 0; l < launches; l++) {
  const { calls, layouts, version } = await runPage({ root: here, imports: {}, script: "probes-page.mjs" });
  const each = (what, unit) => Object.entries(LAYOUTS).map(([k, label]) => `${label} ${f(layouts[k][what], unit)}`).join(", ");
  console.log(
    `launch ${l + 1} (Chromium ${version}): get() call, first in a new transaction ${f(calls.first, "µs")}, ` +
    `in a joined one ${f(calls.joined, "µs")}; 1000 puts: ${each("batch", "ms")}; get: ${each("get", "µs")}; set: ${each("set", "µs")}`,
  );
}
