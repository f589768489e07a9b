// Bad input at the JS level (issue 6 item 8, the hostile JS catalogue): each
// call rejects (or throws) with the exact error class and message, and
// nothing is written: the cache's entries and stats, and where the backend has
// one (fs, IndexedDB, OPFS), the storage, are unchanged. Then close() while
// calls are in flight: each settles with its right result or "the cache is
// closed", none hangs. docs/RELIABILITY.md lists the catalogue.

import { AssertionError, deepEqual, deferred, equal, ok, rejects, throws } from "./assert.js";

/** The byte limit of the cache the bad calls go to: the huge values pass it. */
const MAX_BYTES = 1_000_000;

/** Random bytes (lz4 cannot shrink them under the limit). */
function noise(len) {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(len, i + 65536)));
  return out;
}

/** `levels` arrays, each holding the next, around 1. */
function nested(levels) {
  let v = 1;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

/** [what, call(cache), error class, message (string or RegExp), kind?]
 * (exported for the table in docs/RELIABILITY.md) */
export function badCalls(larder) {
  const cyclicParams = { a: {} };
  cyclicParams.a.self = cyclicParams;
  const cyclicValue = { list: [] };
  cyclicValue.list.push(cyclicValue);
  class Point {
    x = 1;
  }
  const cyclicMeta = {};
  cyclicMeta.me = cyclicMeta;
  const hostile = {
    get x() {
      throw new Error("a getter that throws");
    },
  };
  const big = noise(2_000_000);
  return [
    ["numeric namespace", (c) => c.set(5, { a: 1 }, 1), TypeError, "the namespace must be a string or a [name, version] pair, not a number"],
    ["null namespace", (c) => c.get(null, 1), TypeError, "the namespace must be a string or a [name, version] pair, not null"],
    ["object namespace", (c) => c.has({ name: "n" }, 1), TypeError, "the namespace must be a string or a [name, version] pair, not an object"],
    ["negative version", (c) => c.set(["ns", -1], 1, 1), RangeError, "the namespace version must be an integer from 0 to 4294967295, not -1"],
    ["fractional version", (c) => c.set(["ns", 1.5], 1, 1), RangeError, "the namespace version must be an integer from 0 to 4294967295, not 1.5"],
    ["function in params", (c) => c.set("ns", { user: { cb() {} } }, 1), TypeError, "params.user.cb: a function cannot be part of a key"],
    ["symbol in params", (c) => c.delete("ns", [1, Symbol("s")]), TypeError, "params[1]: a symbol cannot be part of a key"],
    ["cycle in params", (c) => c.set("ns", cyclicParams, 1), TypeError, "params.a.self: a value that contains itself (a cycle) cannot be part of a key"],
    ["Set in params", (c) => c.get("ns", { s: new Set([1]) }), TypeError, "params.s: a Set cannot be part of a key (its order is insertion order; pass a sorted array)"],
    ["bigint beyond 128 bits in params", (c) => c.set("ns", 2n ** 127n, 1), RangeError, "params: a bigint outside the 128-bit signed range cannot be part of a key"],
    ["function in value", (c) => c.set("ns", 1, { a: [1, { f() {} }] }), TypeError, "value.a[1].f: a function cannot be stored in the cache"],
    ["symbol value", (c) => c.set("ns", 1, Symbol("s")), TypeError, "value: a symbol cannot be stored in the cache"],
    ["cycle in value", (c) => c.set("ns", 1, cyclicValue), TypeError, "value.list[0]: a value that contains itself (a cycle) cannot be stored in the cache"],
    ["function in a Map value", (c) => c.set("ns", 1, new Map([["k", () => 1]])), TypeError, 'value.get("k"): a function cannot be stored in the cache'],
    [
      "class instance value",
      (c) => c.set("ns", 1, new Point()),
      TypeError,
      "value: a Point cannot be stored in the cache (values are plain data: primitives, arrays, plain objects, Map, Set, Date, ArrayBuffer and typed arrays)",
    ],
    ["negative ttl", (c) => c.set("ns", 1, 1, { ttl: -5 }), RangeError, "set options: ttl must be a positive number of milliseconds, not -5"],
    ["NaN ttl", (c) => c.set("ns", 1, 1, { ttl: NaN }), RangeError, "set options: ttl must be a positive number of milliseconds, not NaN"],
    ["zero ttl", (c) => c.set("ns", 1, 1, { ttl: 0 }), RangeError, "set options: ttl must be a positive number of milliseconds, not 0"],
    [
      "ttl without a unit",
      (c) => c.set("ns", 1, 1, { ttl: "90" }),
      RangeError,
      'set options: ttl: "90" has no unit: write, for example, "90s" for seconds or "90ms" for milliseconds; accepted units are ms, s, m (minutes), h, d, w; components may be combined, as in "1h30m"',
    ],
    ["ttl of the wrong type", (c) => c.set("ns", 1, 1, { ttl: {} }), TypeError, 'set options: ttl must be a number of milliseconds or a string like "1h", not an object'],
    ["tags not an array", (c) => c.set("ns", 1, 1, { tags: "red" }), TypeError, "set options: tags must be an array of strings, not a string"],
    ["a tag not a string", (c) => c.set("ns", 1, 1, { tags: ["ok", 1] }), TypeError, "set options: tags[1] must be a string, not a number"],
    ["empty tag", (c) => c.set("ns", 1, 1, { tags: [""] }), TypeError, 'put (tag ""): invalid input: tags must be 1 to 1024 bytes', "invalid input"],
    ["function meta", (c) => c.set("ns", 1, 1, { meta: () => 1 }), TypeError, "meta: a function cannot be stored in the cache"],
    ["meta too large", (c) => c.set("ns", 1, 1, { meta: "x".repeat(70_000) }), RangeError, "put: too large: metadata is 70005 bytes; the limit is 65536", "too large"],
    ["dependsOn not an array", (c) => c.set("ns", 1, 1, { dependsOn: "other" }), TypeError, "set options: dependsOn must be an array of [namespace, params] pairs, not a string"],
    ["dependsOn not pairs", (c) => c.set("ns", 1, 1, { dependsOn: ["other"] }), TypeError, "set options: dependsOn[0] must be a [namespace, params] pair, not a string"],
    ["dependsOn namespace", (c) => c.set("ns", 1, 1, { dependsOn: [[5, 1]] }), TypeError, "set options: dependsOn[0]: the namespace must be a string or a [name, version] pair, not a number"],
    ["dependsOn params", (c) => c.set("ns", 1, 1, { dependsOn: [["a", 1], ["b", { f() {} }]] }), TypeError, "set options: dependsOn[1][1].f: a function cannot be part of a key"],
    ["zero staleWhileRevalidate", (c) => c.set("ns", 1, 1, { ttl: 10, staleWhileRevalidate: 0 }), RangeError, "set options: staleWhileRevalidate must be a positive number of milliseconds, not 0"],
    ["staleWhileRevalidate without a unit", (c) => c.getOrCompute("ns", 1, () => 1, { ttl: 10, staleWhileRevalidate: "5" }), RangeError, 'getOrCompute options: staleWhileRevalidate: "5" has no unit: write, for example, "5s" for seconds or "5ms" for milliseconds; accepted units are ms, s, m (minutes), h, d, w; components may be combined, as in "1h30m"'],
    ["unknown set option", (c) => c.set("ns", 1, 1, { tll: 5 }), TypeError, 'set options: unknown option "tll" (known: ttl, tags, meta, raw, staleWhileRevalidate, dependsOn)'],
    ["set options not an object", (c) => c.set("ns", 1, 1, "fast"), TypeError, "set options must be an object, not a string"],
    ["raw with a non-Uint8Array", (c) => c.set("ns", 1, [1, 2], { raw: true }), TypeError, "value: with raw: true the value must be a Uint8Array, not an array"],
    ["raw not a boolean", (c) => c.set("ns", 1, new Uint8Array(1), { raw: "yes" }), TypeError, "set options: raw must be a boolean, not a string"],
    ["compute not a function", (c) => c.getOrCompute("ns", 1, 42), TypeError, "getOrCompute: the compute argument must be a function, not a number"],
    ["compute returns a function", (c) => c.getOrCompute("ns", 1, () => () => 1), TypeError, "value: a function cannot be stored in the cache"],
    ["compute returns a cycle", (c) => c.getOrCompute("ns", 1, async () => cyclicValue), TypeError, "value.list[0]: a value that contains itself (a cycle) cannot be stored in the cache"],
    ["getOrCompute options", (c) => c.getOrCompute("ns", 1, () => 1, { ttl: -1 }), RangeError, "getOrCompute options: ttl must be a positive number of milliseconds, not -1"],
    ["numeric tag", (c) => c.invalidateTag(5), TypeError, "invalidateTag: the tag must be a string, not a number"],
    ["null namespace to invalidate", (c) => c.invalidateNamespace(null), TypeError, "invalidateNamespace: the namespace must be a string, not null"],
    ["numeric namespace filter", (c) => c.entries({ namespace: 1 }), TypeError, "entries filter: namespace must be a string, not a number"],
    ["unknown filter", (c) => c.entries({ ns: "a" }), TypeError, 'entries filter: unknown option "ns" (known: namespace, tag)'],
    ["filter not an object", (c) => c.entries("a"), TypeError, "entries filter must be an object, not a string"],
    ["undefined namespace", (c) => c.get(undefined, 1), TypeError, "the namespace must be a string or a [name, version] pair, not undefined"],
    ["symbol namespace", (c) => c.get(Symbol("ns"), 1), TypeError, "the namespace must be a string or a [name, version] pair, not a symbol"],
    ["namespace pair without a version", (c) => c.set(["ns"], 1, 1), TypeError, "the namespace must be a string or a [name, version] pair, not an array"],
    ["NaN namespace version", (c) => c.set(["ns", NaN], 1, 1), RangeError, "the namespace version must be an integer from 0 to 4294967295, not NaN"],
    ["namespace of 2000 bytes", (c) => c.set("n".repeat(2000), 1, 1), TypeError, "build key: invalid input: the namespace is 2000 bytes long, more than 1024", "invalid input"],
    ["function as params", (c) => c.get("ns", () => 1), TypeError, "params: a function cannot be part of a key"],
    ["symbol as params", (c) => c.has("ns", Symbol("p")), TypeError, "params: a symbol cannot be part of a key"],
    [
      "Int16Array in params",
      (c) => c.get("ns", new Int16Array(2)),
      TypeError,
      "params: an Int16Array cannot be part of a key (only Uint8Array and ArrayBuffer are bytes; convert it to a Uint8Array or an array of numbers)",
    ],
    ["params string of 70,000 characters", (c) => c.set("ns", "k".repeat(70_000), 1), RangeError, "build key (ns): too large: the key encodes to 70040 bytes, more than 65536", "too large"],
    ["params list of 20,000 strings", (c) => c.get("ns", { list: Array(20_000).fill("abcd") }), RangeError, "build key (ns): too large: the key encodes to 120048 bytes, more than 65536", "too large"],
    ["params nested 300 deep", (c) => c.get("ns", nested(300)), RangeError, `params${"[0]".repeat(127)}: nested too deeply: keys allow 127 levels of arrays, Maps and objects`],
    ["value nested 300 deep", (c) => c.set("ns", 1, nested(300)), RangeError, `value${"[0]".repeat(256)}: nested too deeply: values allow 256 levels of arrays, objects, Maps and Sets`],
    ["a getter that throws in params", (c) => c.get("ns", hostile), Error, "a getter that throws"],
    ["a getter that throws in a value", (c) => c.set("ns", 1, { a: hostile }), Error, "a getter that throws"],
    ["WeakMap value", (c) => c.set("ns", 1, new WeakMap()), TypeError, "value: a WeakMap cannot be stored in the cache (values are plain data: primitives, arrays, plain objects, Map, Set, Date, ArrayBuffer and typed arrays)"],
    ["Promise value", (c) => c.set("ns", 1, Promise.resolve(1)), TypeError, "value: a Promise cannot be stored in the cache (values are plain data: primitives, arrays, plain objects, Map, Set, Date, ArrayBuffer and typed arrays)"],
    ["2 MB value past a 1 MB cache", (c) => c.set("ns", 1, big), RangeError, "put (ns): too large: the entry takes 2000142 bytes; the cache holds 1000000", "too large"],
    ["2 MB raw value past a 1 MB cache", (c) => c.set("ns", 1, big, { raw: true }), RangeError, "put (ns): too large: the entry takes 2000136 bytes; the cache holds 1000000", "too large"],
    ["setMany with a 2 MB value", (c) => c.setMany("ns", [[1, 1], [2, big]]), RangeError, "put (ns): too large: the entry takes 2000142 bytes; the cache holds 1000000", "too large"],
    ["Infinity ttl", (c) => c.set("ns", 1, 1, { ttl: Infinity }), RangeError, "set options: ttl must be a positive number of milliseconds, not Infinity"],
    ["tag of 1025 bytes", (c) => c.set("ns", 1, 1, { tags: ["t".repeat(1025)] }), TypeError, `put (tag "${"t".repeat(1025)}"): invalid input: tags must be 1 to 1024 bytes`, "invalid input"],
    ["257 tags", (c) => c.set("ns", 1, 1, { tags: Array.from({ length: 257 }, (_, i) => `t${i}`) }), TypeError, "put: invalid input: at most 256 tags per entry", "invalid input"],
    ["cycle in meta", (c) => c.set("ns", 1, 1, { meta: cyclicMeta }), TypeError, "meta.me: a value that contains itself (a cycle) cannot be stored in the cache"],
    ["getMany params list not an array", (c) => c.getMany("ns", 5), TypeError, "getMany: the params list must be an array, not a number"],
    ["setMany entries not an array", (c) => c.setMany("ns", { a: 1 }), TypeError, "setMany: the entries must be an array, not an object"],
    ["setMany pair not an array", (c) => c.setMany("ns", [[1, 1], 7]), TypeError, "setMany: entries[1] must be a [params, value] pair, not a number"],
    ["numeric tag filter", (c) => c.entries({ tag: 5 }), TypeError, "entries filter: tag must be a string, not a number"],
  ];
}

/** What a cache holds, as data: its entries and the store's counters. */
async function contents(c) {
  const s = await c.stats();
  const list = (await c.entries()).map((e) => [e.namespace, e.version, e.params, e.size, e.tags]);
  return { entries: s.entries, storeBytes: s.storeBytes, list };
}

export function badInputChecks(larder, env, backend) {
  const { Cache, keyHash } = larder;
  return [
    {
      name: `${backend}: bad input rejects with a TypeError or RangeError naming it, and writes nothing`,
      run: async () => {
        const options = { ...(await env.fresh(backend)), maxBytes: MAX_BYTES };
        const c = await Cache.open(options);
        await c.set("ns", { id: 1 }, { keep: true }, { tags: ["t"] });
        const before = await contents(c);
        const disk = await env.snapshot(options);
        ok(backend === "memory" || disk.length > 0, `the ${backend} storage holds the entry`);
        for (const [what, call, Class, message, kind] of badCalls(larder)) {
          try {
            await rejects(() => call(c), Class, message, kind);
          } catch (e) {
            e.message = `${what}: ${e.message}`;
            throw e;
          }
        }
        throws(() => keyHash(1, {}), TypeError, "the namespace must be a string or a [name, version] pair, not a number");
        throws(() => keyHash("ns", { f: () => 1 }), TypeError, "params.f: a function cannot be part of a key");
        throws(() => keyHash("ns", "k".repeat(70_000)), RangeError, "build key (ns): too large: the key encodes to 70040 bytes, more than 65536", "too large");
        equal(await contents(c), before, "the cache after the bad calls");
        if (disk) equal(await env.snapshot(options), disk, "the storage after the bad calls");
        equal(await c.get("ns", 1), undefined, "no value under the key the bad calls used");
        await c.close();
      },
    },
    {
      name: `${backend}: close() while calls are in flight: each settles with its right result or "the cache is closed", none hangs`,
      run: async () => {
        const options = await env.fresh(backend);
        const c = await Cache.open(options);
        for (let i = 0; i < 16; i++) await c.set("cc", i, { i });
        const gate = deferred();
        const calls = [];
        for (let i = 0; i < 16; i++) {
          calls.push([`get ${i}`, c.get("cc", i), { i }]);
          calls.push([`set ${i}`, c.set("cc", 100 + i, { i }), undefined]);
          calls.push([`has ${i}`, c.has("cc", i), true]);
          const compute = async () => {
            await gate.promise;
            return { i };
          };
          calls.push([`getOrCompute ${i}`, c.getOrCompute("cc", 200 + i, compute), { i }]);
          calls.push([`getMany ${i}`, c.getMany("cc", [i, 1000]), [{ i }, undefined]]);
        }
        calls.push(["stats", c.stats().then((s) => typeof s.entries), "number"]);
        calls.push(["entries", c.entries().then(Array.isArray), true]);
        const closing = c.close();
        // Calls made once close() began must reject; computations finish after it began.
        const late = [c.get("cc", 0), c.set("cc", 300, 1), c.getOrCompute("cc", 301, () => 1), c.stats()];
        gate.resolve();
        for (const r of await settleOrFail(late)) {
          equal(`${r.reason?.constructor?.name}: ${r.reason?.message} (${r.reason?.kind})`, "TypeError: the cache is closed (closed)", "a call after close()");
        }
        const settled = await settleOrFail([...calls.map(([, p]) => p), closing]);
        equal(settled.pop().status, "fulfilled", "close()");
        let right = 0;
        let closed = 0;
        for (const [i, r] of settled.entries()) {
          const [what, , expected] = calls[i];
          if (r.status === "fulfilled") {
            ok(deepEqual(r.value, expected), `${what}: resolved to a wrong value`);
            right++;
          } else {
            try {
              equal(`${r.reason?.constructor?.name}: ${r.reason?.message} (${r.reason?.kind})`, "TypeError: the cache is closed (closed)", what);
            } catch (e) {
              e.message += `\n${r.reason?.stack ?? ""}`;
              throw e;
            }
            closed++;
          }
        }
        await rejects(() => c.get("cc", 0), TypeError, "the cache is closed", "closed");
        if (backend !== "memory") {
          // What the in-flight writes stored is whole: each key holds its value or nothing.
          const again = await Cache.open(options);
          for (let i = 0; i < 16; i++) {
            equal(await again.get("cc", i), { i }, `entry ${i} written before close()`);
            for (const k of [100 + i, 200 + i]) {
              const v = await again.get("cc", k);
              ok(v === undefined || deepEqual(v, { i }), `entry ${k}: a wrong value`);
            }
          }
          await again.close();
        }
        return `reliability: test=concurrent-close backend=${backend} in_flight=${calls.length} right=${right} closed=${closed} after_close=${late.length} (all closed)`;
      },
    },
  ];
}

/** Settle all of `promises`, or fail if they have not after a minute: a call
 * left pending by close() would hang the caller forever. (Not a timing
 * assertion: a correct run settles at once; the bound only turns a hang into a
 * failure.) */
async function settleOrFail(promises) {
  let timer;
  const hang = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new AssertionError("calls in flight at close() never settled")), 60_000);
  });
  try {
    return await Promise.race([Promise.allSettled(promises), hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** [options, error class, message, kind?] of Cache.open in every runtime. */
export const OPEN_CASES = [
  [{ backend: 1 }, TypeError, "Cache.open options: backend must be a string, not a number"],
  [{ backend: "redis" }, TypeError, 'unknown backend "redis": expected "memory", "indexeddb", "opfs" or "fs"'],
  [{ backend: "memory", ttl: -1 }, RangeError, "Cache.open options: ttl must be a positive number of milliseconds, not -1"],
  [{ backend: "memory", ttl: NaN }, RangeError, "Cache.open options: ttl must be a positive number of milliseconds, not NaN"],
  [
    { backend: "memory", ttl: "soon" },
    RangeError,
    'Cache.open options: ttl: expected a number; accepted units are ms, s, m (minutes), h, d, w; components may be combined, as in "1h30m"',
  ],
  [{ backend: "memory", maxBytes: -1 }, RangeError, "Cache.open options: maxBytes must be a non-negative integer, not -1"],
  [
    { backend: "memory", maxBytes: "lots" },
    RangeError,
    "Cache.open options: maxBytes: expected a number; accepted units are B, KB, MB, GB, TB, PB, EB (powers of 1000) and KiB, MiB, GiB, TiB, PiB, EiB (powers of 1024), in any case; no unit means bytes",
  ],
  [{ backend: "memory", maxEntries: 0 }, RangeError, "Cache.open options: maxEntries must be greater than zero"],
  [{ backend: "memory", memoryBytes: true }, TypeError, 'Cache.open options: memoryBytes must be a number or a string like "100MB", not a boolean'],
  [{ bakend: "memory" }, TypeError, 'Cache.open options: unknown option "bakend" (known: backend, name, dir, maxBytes, maxEntries, ttl, memoryBytes)'],
  ["memory", TypeError, "Cache.open options must be an object, not a string"],
  [{ backend: "memory", dir: 5 }, TypeError, "Cache.open options: dir must be a non-empty string, not a number"],
  [{ backend: "memory", name: "" }, TypeError, "Cache.open options: name must be a non-empty string, not an empty string"],
  [{ backend: "memory", maxBytes: NaN }, RangeError, "Cache.open options: maxBytes must be a non-negative integer, not NaN"],
  [{ backend: "memory", maxBytes: Infinity }, RangeError, "Cache.open options: maxBytes must be a non-negative integer, not Infinity"],
  [{ backend: "memory", memoryBytes: NaN }, RangeError, "Cache.open options: memoryBytes must be a non-negative integer, not NaN"],
  [{ backend: "memory", maxEntries: NaN }, RangeError, "Cache.open options: maxEntries must be a non-negative integer, not NaN"],
  [{ backend: "memory", maxEntries: 1.5 }, RangeError, "Cache.open options: maxEntries must be a non-negative integer, not 1.5"],
  [{ backend: "memory", name: 5n }, TypeError, "Cache.open options: name must be a non-empty string, not a bigint"],
];

/** Cache.open with bad options: exact errors, and no storage created. */
export function openChecks(larder, env) {
  const { Cache } = larder;
  const cases = [
    ...OPEN_CASES,
    ...env.openCases,
  ];
  return [
    {
      name: "Cache.open rejects bad options with a TypeError or RangeError naming them",
      run: async () => {
        for (const [options, Class, message, kind] of cases) {
          try {
            await rejects(() => Cache.open(options), Class, message, kind);
          } catch (e) {
            e.message = `Cache.open(${JSON.stringify(options)}): ${e.message}`;
            throw e;
          }
        }
      },
    },
  ];
}
