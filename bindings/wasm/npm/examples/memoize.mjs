// Memoization in Node: `node memoize.mjs` in a project with larder installed
// (cargo xtask test runs it against the packed tarball and checks its output).
// Each step prints whether the function ran, so the output is the same on
// every run.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { Cache } from "larder";

const dir = await mkdtemp(join(tmpdir(), "larder-example-"));
const cache = await Cache.open({ dir });

// An expensive function: the key is its arguments by name (limit, verbose is
// ignored) and the hash of its source, so editing it starts afresh.
let runs = 0;
const countPrimes = cache.memoize(
  function countPrimes(limit, verbose) {
    runs++;
    if (verbose) console.log(`  sieving up to ${limit}`);
    const composite = new Uint8Array(limit + 1);
    let n = 0;
    for (let i = 2; i <= limit; i++) {
      if (composite[i]) continue;
      n++;
      for (let j = i * i; j <= limit; j += i) composite[j] = 1;
    }
    return n;
  },
  { ttl: "1h", ignore: ["verbose"], tags: ["primes"] },
);

const show = async (what, call) => {
  const before = runs;
  const v = await call();
  console.log(`${what} = ${v} (${runs > before ? "computed" : "cached"})`);
};

await show("countPrimes(1000000)", () => countPrimes(1_000_000, true));
await show("countPrimes(1000000)", () => countPrimes(1_000_000, false));
// Ten concurrent calls of a new key: one computation.
const before = runs;
const all = await Promise.all(Array.from({ length: 10 }, () => countPrimes(500_000)));
console.log(`10 concurrent calls of countPrimes(500000) = ${all[0]}, ran ${runs - before} time(s)`);
await show("countPrimes.refresh(1000000)", () => countPrimes.refresh(1_000_000));
console.log(`countPrimes.forget(500000) = ${await countPrimes.forget(500_000)}`);
await show("countPrimes(500000)", () => countPrimes(500_000));

// Blob arguments are keyed by their bytes, not their identity.
let hashed = 0;
const checksum = cache.memoize(async function checksum(file) {
  hashed++;
  const bytes = new Uint8Array(await file.arrayBuffer());
  return bytes.reduce((a, b) => (a * 31 + b) >>> 0, 7);
});
await checksum(new Blob(["the same bytes"]));
await checksum(new Blob(["the same ", "bytes"]));
await checksum(new Blob(["other bytes"]));
console.log(`checksum of 3 Blobs, 2 distinct: ran ${hashed} time(s)`);

// Warming: fill the cache ahead of time, 4 at once, with progress.
const progress = await cache.warm("squares", [1, 2, 3, 4, 5, 6, 7, 8], async (n) => n * n, {
  concurrency: 4,
  onProgress: (p) => process.stdout.write(`\rwarming: ${p.done}/${p.total}`),
});
console.log(`\nwarmed: ${progress.computed} computed, ${progress.cached} cached, ${progress.failed} failed`);

const stats = await cache.stats();
console.log(`entries: ${stats.entries}, hits: ${stats.hits}`);
await cache.close();
await rm(dir, { recursive: true, force: true });
