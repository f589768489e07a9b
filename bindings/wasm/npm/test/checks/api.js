// The Cache API end to end, through the installed package, for one backend.
// The same checks run in Node and Deno (backends "memory" and "fs") and in
// Chromium ("memory", "indexeddb" and "opfs"); `env` supplies what differs:
//
//   env.fresh(backend)  -> options that open a new, empty cache of that backend
//   env.snapshot(opts)  -> the records in the backend's storage as comparable
//                          data (files, IndexedDB records), null for memory

import { deferred, equal, ok, rejects, throws } from "./assert.js";
import { valueCases } from "./values.js";

/** Run `fn` with `Date.now` moved `ms` ahead: larder's clock in JS is Date.now. */
export async function later(ms, fn) {
  const real = Date.now;
  Date.now = () => real.call(Date) + ms;
  try {
    return await fn();
  } finally {
    Date.now = real;
  }
}

/** Let spawned work run until `cond()` holds (no timing: yields to the event loop). */
export async function until(cond) {
  for (let i = 0; i < 10_000 && !cond(); i++) await new Promise((r) => setTimeout(r, 0));
  ok(cond(), "the condition never held");
}

export function apiChecks({ Cache, encodeValue, decodeValue }, env, backend) {
  const open = async (extra = {}) => Cache.open({ ...(await env.fresh(backend)), ...extra });
  // A check's name says the backend it ran on.
  const check = (name, run) => ({ name: `${backend}: ${name}`, run });
  return [
    check("set, get, has, delete; the key ignores param order", async () => {
      const c = await open({ maxBytes: "10MB", ttl: "1h" });
      equal(await c.get("users", { id: 1, org: "x" }), undefined, "before set");
      await c.set("users", { id: 1, org: "x" }, { name: "Ada" });
      equal(await c.get("users", { org: "x", id: 1 }), { name: "Ada" }, "other order");
      equal(await c.get("users", new Map([["org", "x"], ["id", 1n]])), { name: "Ada" }, "Map, bigint");
      equal(await c.get("users", { id: 1.0, org: "x" }), { name: "Ada" }, "1.0");
      const bare = Object.assign(Object.create(null), { org: "x", id: 1 });
      equal(await c.get("users", bare), { name: "Ada" }, "an object without a prototype");
      equal(await c.get("other", { id: 1, org: "x" }), undefined, "other namespace");
      equal(await c.has("users", { org: "x", id: 1 }), true, "has");
      equal(await c.has("users", { id: 2 }), false, "has, absent");
      await c.set("users", { id: 1, org: "x" }, "replaced");
      equal(await c.get("users", { id: 1, org: "x" }), "replaced", "replaced");
      equal(await c.delete("users", { org: "x", id: 1 }), true, "delete");
      equal(await c.delete("users", { org: "x", id: 1 }), false, "delete again");
      equal(await c.get("users", { id: 1, org: "x" }), undefined, "after delete");
      await c.close();
    }),

    check("values round-trip exactly, from the store", async () => {
      // No memory tier: every read decodes what the store holds.
      const c = await open({ memoryBytes: 0 });
      const cases = valueCases();
      for (const [i, [, value]] of cases.entries()) await c.set("values", i, value);
      for (const [i, [what, , expected]] of cases.entries()) {
        const back = await c.get("values", i);
        equal(back, expected, what);
        if (ArrayBuffer.isView(back)) {
          ok(back.byteOffset === 0 && back.buffer.byteLength === back.byteLength, `${what}: a view owns its buffer`);
        }
      }
      await c.close();
    }),

    check("reads are fresh copies; arguments are read when the call is made", async () => {
      const c = await open();
      const params = { id: 1 };
      const value = { list: [1, 2], when: new Date(5) };
      const pending = c.set("copies", params, value);
      params.id = 2;
      value.list.push(3);
      await pending;
      equal(await c.get("copies", { id: 1 }), { list: [1, 2], when: new Date(5) }, "as at the call");
      equal(await c.get("copies", { id: 2 }), undefined, "not the mutated params");
      const a = await c.get("copies", { id: 1 });
      a.list.push(99);
      equal((await c.get("copies", { id: 1 })).list, [1, 2], "a read's copy is its own");
      await c.close();
    }),

    check("getOrCompute runs fn once for concurrent callers", async () => {
      const c = await open();
      let calls = 0;
      const gate = deferred();
      const fn = async () => {
        calls++;
        await gate.promise;
        return { n: 42, at: new Date(7), bytes: new Uint8Array([1, 2]) };
      };
      const all = Array.from({ length: 16 }, () => c.getOrCompute("sf", { k: 1 }, fn, { tags: ["sf"] }));
      await until(() => calls > 0);
      gate.resolve();
      const results = await Promise.all(all);
      equal(calls, 1, "fn calls");
      for (const r of results) equal(r, { n: 42, at: new Date(7), bytes: new Uint8Array([1, 2]) }, "result");
      ok(results[0] !== results[1], "each caller gets its own copy");
      // Stored: later calls do not compute.
      equal(await c.getOrCompute("sf", { k: 1 }, () => { calls++; return 0; }), results[0], "hit");
      equal(calls, 1, "fn calls after a hit");
      equal((await c.entries({ tag: "sf" })).length, 1, "the options applied");
      // A plain (non-Promise) result works the same.
      equal(await c.getOrCompute("sf", { k: 2 }, () => [1, "two"]), [1, "two"], "sync fn");
      equal(await c.get("sf", { k: 2 }), [1, "two"], "sync fn stored");
      await c.close();
    }),

    check("a throwing fn rejects every waiter with its error and caches nothing", async () => {
      const c = await open();
      const before = (await c.stats()).entries;
      const boom = new Error("boom");
      let calls = 0;
      const gate = deferred();
      const fn = async () => {
        calls++;
        await gate.promise;
        throw boom;
      };
      const all = Array.from({ length: 8 }, () => c.getOrCompute("fail", { k: 1 }, fn));
      await until(() => calls > 0);
      gate.resolve();
      const settled = await Promise.allSettled(all);
      equal(calls, 1, "fn calls");
      for (const s of settled) ok(s.status === "rejected" && s.reason === boom, `every waiter gets the error itself: ${s.status}`);
      equal(await c.has("fail", { k: 1 }), false, "nothing cached");
      equal((await c.stats()).entries, before, "entries");
      // Thrown synchronously, or a non-Error value: the same.
      const sync = new TypeError("sync");
      const e = await c.getOrCompute("fail", { k: 2 }, () => { throw sync; }).catch((x) => x);
      ok(e === sync, "a synchronous throw");
      equal(await c.getOrCompute("fail", { k: 3 }, () => Promise.reject("just a string")).catch((x) => x), "just a string", "a rejected string");
      // The key is free again: the next call computes.
      equal(await c.getOrCompute("fail", { k: 1 }, () => "fine"), "fine", "recomputed");
      await c.close();
    }),

    check("tags, namespaces, versions and entries", async () => {
      const c = await open();
      await c.set("a", 1, "a1", { tags: ["red", "blue"], meta: { by: "test", at: new Date(3) } });
      await c.set("a", 2, "a2", { tags: ["red"] });
      await c.set("b", 1, "b1", { tags: ["blue"] });
      await c.set(["a", 2], 1, "a1 v2");
      equal(await c.get(["a", 0], 1), "a1", "version 0 is the bare name");
      equal(await c.get(["a", 2], 1), "a1 v2", "version 2");
      equal(await c.get(["a", 3], 1), undefined, "version 3");
      const all = await c.entries();
      equal(all.length, 4, "entries");
      const a1 = all.find((e) => e.namespace === "a" && e.version === 0 && e.params === 1);
      ok(a1, "entry a/1 listed");
      equal(a1.tags, ["red", "blue"], "tags");
      equal(a1.meta, { by: "test", at: new Date(3) }, "meta");
      equal(a1.expires, null, "expires");
      ok(a1.size > 0 && a1.created > 0 && a1.lastAccess >= a1.created, "size and times");
      equal(all.find((e) => e.version === 2)?.namespace, "a", "versioned entry");
      equal((await c.entries({ namespace: "a" })).length, 3, "filter by namespace (every version)");
      equal((await c.entries({ tag: "red" })).map((e) => e.params).sort(), [1, 2], "filter by tag");
      equal((await c.entries({ namespace: "a", tag: "blue" })).length, 1, "both filters");
      equal(await c.invalidateTag("red"), 2, "invalidateTag");
      equal(await c.get("a", 1), undefined, "a1 gone");
      equal(await c.get("b", 1), "b1", "b1 stays");
      equal(await c.invalidateNamespace("a"), 1, "invalidateNamespace removes every version");
      equal(await c.get(["a", 2], 1), undefined, "a1 v2 gone");
      equal(await c.invalidateTag("nothing"), 0, "no such tag");
      await c.close();
    }),

    check("ttl: entries expire when the clock passes them; prune removes them", async () => {
      const c = await open({ ttl: "1h" });
      await c.set("t", 1, "default ttl");
      await c.set("t", 2, "own ttl", { ttl: 500 });
      await c.set("t", 3, "longer", { ttl: "3h" });
      const byParams = new Map((await c.entries()).map((e) => [e.params, e]));
      equal(byParams.get(1).expires - byParams.get(1).created, 3_600_000, "cache ttl");
      equal(byParams.get(2).expires - byParams.get(2).created, 500, "entry ttl");
      equal(await c.get("t", 2), "own ttl", "fresh");
      await later(2 * 3_600_000, async () => {
        equal(await c.prune(), 2, "prune");
        equal(await c.get("t", 1), undefined, "expired");
        equal(await c.has("t", 2), false, "expired");
        equal(await c.get("t", 3), "longer", "not yet expired");
        const s = await c.stats();
        equal(s.expired, 2, "stats.expired");
        equal(s.entries, 1, "stats.entries");
        equal(await c.getOrCompute("t", 1, () => "recomputed"), "recomputed", "recomputed after expiry");
      });
      await later(4 * 3_600_000, async () => {
        equal(await c.get("t", 3), undefined, "expired on read");
      });
      await c.close();
    }),

    check("stats count hits, misses, entries and bytes", async () => {
      const c = await open();
      equal(await c.get("s", 1), undefined, "miss");
      await c.set("s", 1, "x".repeat(1000));
      await c.get("s", 1);
      await c.get("s", 1);
      await c.getOrCompute("s", 2, () => "computed");
      const s = await c.stats();
      equal([s.hits, s.misses, s.entries], [2, 2, 2], "hits, misses, entries");
      equal(s.hitRate, 0.5, "hitRate");
      const sizes = (await c.entries()).reduce((sum, e) => sum + e.size, 0);
      equal(s.storeBytes, sizes, "storeBytes is the sum of the entries' sizes");
      ok(s.storeBytes > 0, "storeBytes");
      for (const k of ["evictions", "spills", "expired", "corrupt", "errors", "memoryEntries", "memoryBytes", "timeSavedMs"]) {
        ok(typeof s[k] === "number", `${k} is a number`);
      }
      await c.close();
    }),

    check("maxEntries evicts the least recently used", async () => {
      const c = await open({ maxEntries: 2 });
      await c.set("lru", 1, "one");
      await c.set("lru", 2, "two");
      await c.get("lru", 1);
      await c.set("lru", 3, "three");
      equal(await c.get("lru", 2), undefined, "least recently used evicted");
      equal(await c.get("lru", 1), "one", "recently read kept");
      equal((await c.stats()).evictions, 1, "evictions");
      await c.close();
    }),

    check("raw: true stores a Uint8Array as its bytes", async () => {
      const c = await open({ memoryBytes: 0 });
      const bytes = new Uint8Array([0, 1, 2, 255]);
      await c.set("raw", 1, bytes, { raw: true });
      equal(await c.get("raw", 1), bytes, "read back");
      equal(await c.getOrCompute("raw", 2, async () => new Uint8Array(100).fill(7), { raw: true }), new Uint8Array(100).fill(7), "computed");
      equal(await c.get("raw", 2), new Uint8Array(100).fill(7), "computed, stored");
      await c.close();
    }),

    check("clear, then close: later calls reject", async () => {
      const options = await env.fresh(backend);
      const c = await Cache.open(options);
      await c.set("c", 1, 1);
      await c.set("c", 2, 2);
      await c.clear();
      equal((await c.stats()).entries, 0, "cleared");
      equal(await c.get("c", 1), undefined, "cleared");
      await c.set("c", 3, 3);
      await c.close();
      await c.close();
      const closed = (call) => rejects(call, TypeError, "the cache is closed", "closed");
      await closed(() => c.get("c", 3));
      await closed(() => c.set("c", 3, 4));
      await closed(() => c.getOrCompute("c", 3, () => 4));
      await closed(() => c.has("c", 3));
      await closed(() => c.delete("c", 3));
      await closed(() => c.invalidateTag("t"));
      await closed(() => c.invalidateNamespace("c"));
      await closed(() => c.prune());
      await closed(() => c.clear());
      await closed(() => c.stats());
      await closed(() => c.entries());
      // The same storage, opened again: what was written before close is there.
      const again = await Cache.open(options);
      equal(await again.get("c", 3), backend === "memory" ? undefined : 3, "after reopening");
      await again.close();
    }),

    check("setMany and getMany: one batch, in order, all or nothing", async () => {
      const options = await env.fresh(backend);
      const c = await Cache.open(options);
      const pairs = Array.from({ length: 300 }, (_, i) => [{ i, kind: "sq" }, { sq: i * i, at: new Date(i) }]);
      await c.setMany("batch", pairs, { tags: ["squares"] });
      const got = await c.getMany("batch", [...pairs.map(([p]) => ({ kind: p.kind, i: p.i })), { i: -1, kind: "sq" }]);
      equal(got, [...pairs.map(([, v]) => v), undefined], "values in order, a miss last");
      const before = await env.snapshot(options);
      await rejects(() => c.setMany("batch", [[{ i: 1000 }, 1], [{ i: 1001 }, () => 2]]), TypeError,
        "setMany: entries[1][1]: a function cannot be stored in the cache");
      equal((await c.stats()).entries, 300, "the bad batch wrote nothing");
      equal(await env.snapshot(options), before, "storage unchanged");
      equal(await c.invalidateTag("squares"), 300, "every pair carries the options' tag");
      await c.close();
    }),

    check("encodeValue and decodeValue round-trip without a cache", async () => {
      const v = { f: new Float64Array([1.5, -0, NaN]), m: new Map([[1n, new Set(["x"])]]) };
      const bytes = encodeValue(v);
      ok(bytes instanceof Uint8Array && bytes.length > 0, "bytes");
      equal(decodeValue(bytes), v, "the same value back");
      throws(() => decodeValue([1, 2]), TypeError, "decodeValue: bytes must be a Uint8Array, not an array");
    }),

    check("a Float16Array is kind 12 where the runtime has one, a codec error where not", async () => {
      const stored = Uint8Array.of(1, 0x0f, 12, 4, 0x00, 0x3c, 0x00, 0xc0); // [1, -2]
      if (typeof Float16Array === "function") {
        equal(encodeValue(Float16Array.of(1, -2)), stored, "the documented bytes");
        equal(decodeValue(stored), Float16Array.of(1, -2), "read back");
        const c = await open();
        await rejects(
          () => c.get("f16", { v: Float16Array.of(1) }),
          TypeError,
          "params.v: a Float16Array cannot be part of a key (only Uint8Array and ArrayBuffer are bytes; convert it to a Uint8Array or an array of numbers)",
        );
        await c.close();
      } else {
        throws(
          () => decodeValue(stored),
          Error,
          "the cached value holds a Float16Array, which this JavaScript runtime does not have; read it where one exists (Chromium and Deno have it, Node 20 does not), or store a Float32Array",
          "codec",
        );
      }
    }),

    check("a call made right after close() rejects", async () => {
      const c = await open();
      const closing = c.close();
      await rejects(() => c.get("c", 1), TypeError, "the cache is closed", "closed");
      await closing;
    }),
  ];
}
