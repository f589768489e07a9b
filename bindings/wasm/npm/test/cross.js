// The JS half of the cross-runtime check (see bindings/rust/tests/js_cross_runtime.rs,
// whose entries and bytes this file must agree with):
//
//   node cross.js <dir> node
//   deno run -A cross.js <dir> deno node     (after Node: also reads Node's entries)
//
// Reads every entry Rust wrote into <dir> (and those of the runtimes named
// after its own), through the installed package, with the params in another
// order; then writes its own. Exits non-zero, saying what differs, on any
// mismatch; prints one summary line on success, which cargo xtask test checks.

import { Cache } from "larder";

import { equal, ok, rejects } from "./checks/assert.js";

const N = 12;
const LENS = [0, 1, 63, 64, 4096, 70_000];

/** Odd seeds repeat one byte (lz4 shrinks them); even ones are the xorshift64
 * noise of larder-tests' `fixtures::payload`. */
function pattern(seed, len) {
  const out = new Uint8Array(len);
  if (seed % 2 === 1) return out.fill(seed & 0xff);
  const mask = (1n << 64n) - 1n;
  let x = BigInt(seed) ^ 0x9e3779b97f4a7c15n;
  for (let j = 0; j < len; j++) {
    x ^= (x << 13n) & mask;
    x ^= x >> 7n;
    x ^= (x << 17n) & mask;
    out[j] = Number(x & 0xffn);
  }
  return out;
}
const bytesOf = (base, i) => pattern(base + i, LENS[i % 6]);
const BASE = { node: 1000, deno: 2000 };

/** Rust's `Native` params, fields in another order, `big` as a bigint. */
const nativeParams = (i) => ({
  flag: null,
  filters: { tags: ["a", "b"], lang: "en" },
  ratio: 0.5,
  big: 2n ** 60n,
  page: 3,
  i,
  user: "ada",
});
const jsParams = (runtime, i) => ({ runtime, i, nested: { z: 1, a: [1, 2n] } });

const [dir, runtime, ...before] = typeof Deno === "undefined" ? process.argv.slice(2) : Deno.args;
if (!dir || !(runtime in BASE) || before.some((r) => !(r in BASE))) {
  throw new Error("usage: cross.js <dir> <node|deno> [runtimes that wrote before]");
}

const cache = await Cache.open({ backend: "fs", dir, memoryBytes: 0 });
let read = 0;

for (let i = 0; i < N; i++) {
  equal(await cache.get("cross", nativeParams(i)), bytesOf(0, i), `Rust entry ${i}`);
  read++;
}
const listed = await cache.entries({ namespace: "cross", tag: "native" });
equal(listed.length, N, "Rust's tagged entries");
const first = listed.find((e) => e.params.i === 0);
// Params read back from the key: map keys in their encoded order (a shorter
// string first), an integer past 2^53 as a bigint.
const canonical = { i: 0, big: 2n ** 60n, flag: null, page: 3, user: "ada", ratio: 0.5, filters: { lang: "en", tags: ["a", "b"] } };
equal(first.params, canonical, "params of Rust entry 0");
for (let i = 0; i < 2; i++) {
  equal(await cache.get(["cross-v", 3], i), bytesOf(100, i), `Rust entry ${i} of version 3`);
  read++;
}
equal(await cache.get("cross-v", 0), undefined, "version 0 is another key");
await rejects(() => cache.get("cross-typed", 1), Error, /postcard \(codec 1, written by Rust's typed put\)/, "codec");

for (const other of before) {
  for (let i = 0; i < N; i++) {
    equal(await cache.get("cross", jsParams(other, i)), bytesOf(BASE[other], i), `${other} entry ${i}`);
    read++;
  }
  equal(await cache.get("cross-structured", other), { from: other, at: new Date(0), set: new Set([1n]) }, `${other}'s structured entry`);
}

for (let i = 0; i < N; i++) {
  await cache.set("cross", jsParams(runtime, i), bytesOf(BASE[runtime], i), { raw: true, tags: [runtime] });
}
await cache.set("cross-structured", runtime, { from: runtime, at: new Date(0), set: new Set([1n]) }, { tags: [runtime] });
const s = await cache.stats();
equal(s.corrupt, 0, "corrupt entries");
ok(s.hits >= read, "every read was a hit");
await cache.close();
console.log(`cross-runtime ${runtime}: read ${read} entries (Rust${before.map((r) => `, ${r}`).join("")}), wrote ${N + 1}`);
