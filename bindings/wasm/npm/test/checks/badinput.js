// Bad input at the JS level: each call rejects (or throws) with the exact
// error class and message, and nothing is written: the cache's entries and
// stats, and where the backend has one (fs), the directory, are unchanged.

import { equal, ok, rejects, throws } from "./assert.js";

const DURATION = /^set options: ttl: .*unit/;

/** [what, call(cache), error class, message (string or RegExp), kind?] */
function badCalls(larder) {
  const cyclicParams = { a: {} };
  cyclicParams.a.self = cyclicParams;
  const cyclicValue = { list: [] };
  cyclicValue.list.push(cyclicValue);
  class Point {
    x = 1;
  }
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
    ["ttl without a unit", (c) => c.set("ns", 1, 1, { ttl: "90" }), RangeError, DURATION],
    ["ttl of the wrong type", (c) => c.set("ns", 1, 1, { ttl: {} }), TypeError, 'set options: ttl must be a number of milliseconds or a string like "1h", not an object'],
    ["tags not an array", (c) => c.set("ns", 1, 1, { tags: "red" }), TypeError, "set options: tags must be an array of strings, not a string"],
    ["a tag not a string", (c) => c.set("ns", 1, 1, { tags: ["ok", 1] }), TypeError, "set options: tags[1] must be a string, not a number"],
    ["empty tag", (c) => c.set("ns", 1, 1, { tags: [""] }), TypeError, /tag/],
    ["function meta", (c) => c.set("ns", 1, 1, { meta: () => 1 }), TypeError, "meta: a function cannot be stored in the cache"],
    ["meta too large", (c) => c.set("ns", 1, 1, { meta: "x".repeat(70_000) }), RangeError, /meta/, "too large"],
    ["dependsOn not an array", (c) => c.set("ns", 1, 1, { dependsOn: "other" }), TypeError, "set options: dependsOn must be an array of [namespace, params] pairs, not a string"],
    ["dependsOn not pairs", (c) => c.set("ns", 1, 1, { dependsOn: ["other"] }), TypeError, "set options: dependsOn[0] must be a [namespace, params] pair, not a string"],
    ["dependsOn namespace", (c) => c.set("ns", 1, 1, { dependsOn: [[5, 1]] }), TypeError, "set options: dependsOn[0]: the namespace must be a string or a [name, version] pair, not a number"],
    ["dependsOn params", (c) => c.set("ns", 1, 1, { dependsOn: [["a", 1], ["b", { f() {} }]] }), TypeError, "set options: dependsOn[1][1].f: a function cannot be part of a key"],
    ["zero staleWhileRevalidate", (c) => c.set("ns", 1, 1, { ttl: 10, staleWhileRevalidate: 0 }), RangeError, "set options: staleWhileRevalidate must be a positive number of milliseconds, not 0"],
    ["staleWhileRevalidate without a unit", (c) => c.getOrCompute("ns", 1, () => 1, { ttl: 10, staleWhileRevalidate: "5" }), RangeError, /^getOrCompute options: staleWhileRevalidate: /],
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
        const options = await env.fresh(backend);
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
        equal(await contents(c), before, "the cache after the bad calls");
        if (disk) equal(await env.snapshot(options), disk, "the storage after the bad calls");
        equal(await c.get("ns", 1), undefined, "no value under the key the bad calls used");
        await c.close();
      },
    },
  ];
}

/** Cache.open with bad options: exact errors, and no storage created. */
export function openChecks(larder, env) {
  const { Cache } = larder;
  const cases = [
    [{ backend: 1 }, TypeError, "Cache.open options: backend must be a string, not a number"],
    [{ backend: "redis" }, TypeError, 'unknown backend "redis": expected "memory", "indexeddb", "opfs" or "fs"'],
    [{ backend: "memory", ttl: -1 }, RangeError, "Cache.open options: ttl must be a positive number of milliseconds, not -1"],
    [{ backend: "memory", ttl: NaN }, RangeError, "Cache.open options: ttl must be a positive number of milliseconds, not NaN"],
    [{ backend: "memory", ttl: "soon" }, RangeError, /^Cache\.open options: ttl: /],
    [{ backend: "memory", maxBytes: -1 }, RangeError, "Cache.open options: maxBytes must be a non-negative integer, not -1"],
    [{ backend: "memory", maxBytes: "lots" }, RangeError, /^Cache\.open options: maxBytes: /],
    [{ backend: "memory", maxEntries: 0 }, RangeError, "Cache.open options: maxEntries must be greater than zero"],
    [{ backend: "memory", memoryBytes: true }, TypeError, 'Cache.open options: memoryBytes must be a number or a string like "100MB", not a boolean'],
    [{ bakend: "memory" }, TypeError, 'Cache.open options: unknown option "bakend" (known: backend, name, dir, maxBytes, maxEntries, ttl, memoryBytes)'],
    ["memory", TypeError, "Cache.open options must be an object, not a string"],
    [{ backend: "memory", dir: 5 }, TypeError, "Cache.open options: dir must be a non-empty string, not a number"],
    [{ backend: "memory", name: "" }, TypeError, "Cache.open options: name must be a non-empty string, not an empty string"],
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
