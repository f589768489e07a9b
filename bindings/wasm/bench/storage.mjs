// larder's two browser backends side by side, OPFS against IndexedDB, in one
// context (the page's main thread, or the dedicated worker of worker.mjs):
// get and set of 1 KiB and 1 MiB values, one at a time, with no memory tier
// (every get reads storage). Each backend writes new keys on every set and
// reads the keys of the first round on every get.
import { noise, timeSideBySide } from "./measure.mjs";

const SIZES = [
  { label: "1 KiB", bytes: 1024, ops: 20, rounds: 11 },
  { label: "1 MiB", bytes: 1 << 20, ops: 4, rounds: 7 },
];

/** Rows `{ case, opfs, indexeddb }` (µs per operation) for `Cache` (larder's class). */
export async function storageCases(Cache, where) {
  const stamp = `${where}-${Date.now()}`;
  const opfs = await Cache.open({ backend: "opfs", name: `bench-${stamp}`, memoryBytes: 0 });
  const idb = await Cache.open({ backend: "indexeddb", name: `bench-${stamp}`, memoryBytes: 0 });
  const rows = [];
  try {
    for (const { label, bytes, ops, rounds } of SIZES) {
      const value = noise(bytes);
      const check = (v) => {
        if (!(v instanceof Uint8Array) || v.length !== bytes) throw new Error(`benchmark read returned ${v}`);
      };
      const opts = { ops, rounds };
      const set = await timeSideBySide({
        opfs: (i, r) => opfs.set(label, { r, i }, value),
        indexeddb: (i, r) => idb.set(label, { r, i }, value),
      }, opts);
      rows.push({ case: `set ${label}`, ...set });
      const get = await timeSideBySide({
        opfs: async (i) => check(await opfs.get(label, { r: 0, i })),
        indexeddb: async (i) => check(await idb.get(label, { r: 0, i })),
      }, opts);
      rows.push({ case: `get ${label} (hit)`, ...get });
    }
  } finally {
    await opfs.clear();
    await idb.clear();
    await opfs.close();
    await idb.close();
  }
  return rows;
}
