// cache.memoize and cache.warm end to end, for one backend, in Node, Deno and
// Chromium: the key contract (named arguments, the source hash, versions,
// ignore), refresh and forget, single-flight with errors, stale-while-
// revalidate, Blob and File arguments keyed by content, bad input.

import { deferred, equal, ok, rejects, throws } from "./assert.js";
import { later, until } from "./api.js";

/** Poll an async condition (real time passes between tries; nothing is timed). */
async function waitFor(cond, what) {
  for (let i = 0; i < 2_000; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`${what} never happened`);
}

/**
 * Another realm, whose classes are not this one's: a new iframe's window in a
 * page, a vm context in Node and Deno (`eval` and, in a page, `Blob`); null
 * where neither exists (a worker).
 */
function otherRealm() {
  if (typeof document !== "undefined") {
    const frame = document.createElement("iframe");
    document.body.append(frame);
    return frame.contentWindow;
  }
  const vm = globalThis.process?.getBuiltinModule?.("node:vm");
  return vm ? { eval: (src) => vm.runInNewContext(src), Blob: undefined } : null;
}

export function memoizeChecks({ Cache, keyHash }, env, backend) {
  const open = async (extra = {}) => Cache.open({ ...(await env.fresh(backend)), ...extra });
  const check = (name, run) => ({ name: `${backend}: memoize: ${name}`, run });
  return [
    check("arguments are keyed by parameter name, with the source's hash", async () => {
      const c = await open();
      let runs = 0;
      function area(w, h = 1) {
        runs++;
        return w * h;
      }
      const m = c.memoize(area);
      equal(m.name, "area", "name");
      equal(m.namespace, "area", "namespace: the function's name");
      equal(await m(2, 3), 6, "first call");
      equal(await m(2, 3), 6, "second call");
      equal(runs, 1, "runs after a hit");
      equal(await m(3, 2), 6, "other arguments");
      equal(runs, 2, "runs after other arguments");
      // The key contract: the params are the arguments by name, and $code.
      const { namespace, params } = await m.key(2, 3);
      equal(namespace, "area", "key namespace");
      equal(Object.keys(params).sort(), ["$code", "h", "w"], "key params");
      equal([params.w, params.h], [2, 3], "key values");
      equal(await c.get(namespace, { ...params }), 6, "cache.get with the key");
      // A missing argument keys as undefined (which keys as null).
      equal((await m.key(2)).params.h, undefined, "a missing argument");
      // Same name, edited source: its own entries.
      const edited = c.memoize(function area(w, h = 1) {
        runs++;
        return w * h + 0;
      });
      equal(await edited(2, 3), 6, "edited function");
      equal(runs, 3, "an edited function misses");
      ok((await edited.key(2, 3)).params.$code !== params.$code, "the source hash differs");
      await c.close();
    }),

    check("a version replaces the source hash; destructured, rest and extra arguments", async () => {
      const c = await open();
      let runs = 0;
      const v1 = c.memoize((w, h) => (runs++, w * h), { namespace: "vol", version: 1 });
      const v1Edited = c.memoize((w, h) => (runs++, -1), { namespace: "vol", version: 1 });
      equal(await v1(2, 3), 6, "v1");
      equal(await v1Edited(2, 3), 6, "same version, edited source: a hit");
      equal(runs, 1, "runs");
      equal(await c.get(["vol", 1], { w: 2, h: 3 }), 6, "key [name, version], no $code");
      const key = await v1.key(2, 3);
      equal([key.namespace, { ...key.params }], [["vol", 1], { w: 2, h: 3 }], "key()");
      const v2 = c.memoize((w, h) => (runs++, w * h * 10), { namespace: "vol", version: 2 });
      equal(await v2(2, 3), 60, "v2 misses");

      const pick = c.memoize(function pick({ a }, [b], ...more) {
        return [a, b, more];
      }, { version: 0 });
      equal(await pick({ a: 1 }, [2], 3, 4), [1, 2, [3, 4]], "value");
      equal({ ...(await pick.key({ a: 1 }, [2], 3, 4)).params }, { $0: { a: 1 }, $1: [2], more: [3, 4] }, "patterns by position, rest as an array");
      const one = c.memoize(function one(x) {
        return arguments.length;
      }, { version: 0 });
      equal({ ...(await one.key(1, "extra")).params }, { x: 1, $1: "extra" }, "an argument past the list, by position");
      equal(await one(1, "extra"), 2, "extra arguments reach fn");
      equal(await one(1), 1, "and are part of the key");
      // Native and bound functions: no parameter list to read, all by position.
      const max = c.memoize(Math.max, { namespace: "max", version: 0 });
      equal(await max(1, 5, 3), 5, "Math.max");
      equal({ ...(await max.key(1, 5)).params }, { $0: 1, $1: 5 }, "Math.max key");
      await c.close();
    }),

    check("ignore leaves arguments out; this passes through", async () => {
      const c = await open();
      let runs = 0;
      const report = c.memoize(async function report(year, verbose) {
        runs++;
        return `report ${year}${verbose ? " (verbose)" : ""}`;
      }, { ignore: ["verbose"], ttl: "1h", tags: ["reports"] });
      equal(await report(2024, true), "report 2024 (verbose)", "first");
      equal(await report(2024, false), "report 2024 (verbose)", "verbose is not in the key");
      equal(runs, 1, "runs");
      equal(Object.keys((await report.key(2024, true)).params).sort(), ["$code", "year"], "key");
      equal((await c.entries({ tag: "reports" })).length, 1, "tags applied");
      equal(await c.invalidateTag("reports"), 1, "invalidateTag");
      await report(2024, false);
      equal(runs, 2, "computed again after invalidation");

      const obj = {
        factor: 3,
        scale: c.memoize(function scale(x) {
          return x * this.factor;
        }),
      };
      equal(await obj.scale(2), 6, "this");
      await c.close();
    }),

    check("refresh recomputes, forget removes", async () => {
      const c = await open();
      let runs = 0;
      const fetchRate = c.memoize(async function fetchRate(currency) {
        runs++;
        return { currency, rate: runs };
      });
      equal(await fetchRate("EUR"), { currency: "EUR", rate: 1 }, "first");
      equal(await fetchRate("EUR"), { currency: "EUR", rate: 1 }, "hit");
      equal(await fetchRate.refresh("EUR"), { currency: "EUR", rate: 2 }, "refresh");
      equal(await fetchRate("EUR"), { currency: "EUR", rate: 2 }, "the refreshed value is stored");
      equal(await fetchRate.forget("EUR"), true, "forget");
      equal(await fetchRate.forget("EUR"), false, "forget again");
      equal(await fetchRate("EUR"), { currency: "EUR", rate: 3 }, "computed after forget");
      equal(runs, 3, "runs");
      await c.close();
    }),

    check("single-flight: concurrent calls run fn once; an error reaches every caller and nothing is cached", async () => {
      const c = await open();
      let runs = 0;
      let gate = deferred();
      let fail = null;
      const slow = c.memoize(async function slow(n) {
        runs++;
        await gate.promise;
        if (fail) throw fail;
        return n * 2;
      });
      const all = Array.from({ length: 10 }, () => slow(21));
      await until(() => runs > 0);
      gate.resolve();
      equal(await Promise.all(all), Array(10).fill(42), "every caller's value");
      equal(runs, 1, "runs");

      gate = deferred();
      fail = new RangeError("upstream down");
      const failing = Array.from({ length: 6 }, () => slow(5));
      await until(() => runs > 1);
      gate.resolve();
      const settled = await Promise.allSettled(failing);
      equal(runs, 2, "runs of the failing computation");
      for (const s of settled) ok(s.status === "rejected" && s.reason === fail, `every caller gets the error itself: ${s.status}`);
      const { namespace, params } = await slow.key(5);
      equal(await c.has(namespace, params), false, "nothing cached");
      fail = null;
      equal(await slow(5), 10, "the next call computes");
      equal(runs, 3, "runs");
      await c.close();
    }),

    check("stale-while-revalidate serves the stale value and refreshes once", async () => {
      const c = await open();
      let runs = 0;
      let gate = null;
      const feed = c.memoize(async function feed(id) {
        runs++;
        if (gate) await gate.promise;
        return `feed ${id} v${runs}`;
      }, { ttl: "1h", staleWhileRevalidate: "1d" });
      equal(await feed(1), "feed 1 v1", "first");
      const { namespace, params } = await feed.key(1);
      gate = deferred();
      // Two hours on: stale, within the grace period.
      await later(2 * 3600_000, async () => {
        equal(await c.has(namespace, params), false, "stale is not fresh");
        equal(await Promise.all([feed(1), feed(1), feed(1)]), Array(3).fill("feed 1 v1"), "stale values at once");
        await until(() => runs === 2);
        equal(await feed(1), "feed 1 v1", "still stale while the refresh runs");
      });
      equal(runs, 2, "one refresh for every stale read");
      gate.resolve();
      // (Back in real time, the first entry is fresh again until the refresh replaces it.)
      await waitFor(async () => (await c.get(namespace, params)) === "feed 1 v2", "the refresh");
      equal(await feed(1), "feed 1 v2", "the refreshed value");
      equal(runs, 2, "runs after the refresh");
      // Past the grace period: computed while the caller waits.
      gate = null;
      await later(2 * 86_400_000, async () => equal(await feed(1), "feed 1 v3", "past the grace period"));
      await c.close();
    }),

    check("stale-while-revalidate in real time: a short ttl, one background refresh", async () => {
      const c = await open();
      let runs = 0;
      const gate = deferred();
      const tick = c.memoize(async function tick() {
        runs++;
        if (runs === 2) await gate.promise;
        return runs;
      }, { ttl: 30, staleWhileRevalidate: "10m" });
      equal(await tick(), 1, "first");
      const { namespace, params } = await tick.key();
      await waitFor(async () => !(await c.has(namespace, params)), "expiry");
      const [before] = await c.entries({ namespace: "tick" });
      equal(await Promise.all([tick(), tick(), tick()]), [1, 1, 1], "the stale value, at once");
      await until(() => runs === 2);
      equal(await tick(), 1, "while the refresh runs");
      equal(runs, 2, "one refresh");
      gate.resolve();
      await waitFor(async () => (await c.entries({ namespace: "tick" }))[0]?.created > before.created, "the refreshed entry");
      equal(runs, 2, "runs");
      await c.close();
    }),

    check("a failed background refresh keeps the stale value", async () => {
      const c = await open();
      let runs = 0;
      const flaky = c.memoize(async function flaky() {
        runs++;
        if (runs === 2) throw new Error("refresh failed");
        return runs;
      }, { ttl: "1h", staleWhileRevalidate: "1d" });
      equal(await flaky(), 1, "first");
      await later(2 * 3600_000, async () => {
        equal(await flaky(), 1, "stale; the refresh fails in the background");
        await until(() => runs === 2);
        // The failed refresh let go of its claim: a later stale read refreshes.
        await waitFor(async () => {
          const v = await flaky();
          ok(v === 1 || v === 3, `the stale value, or the second refresh's: ${v}`);
          return runs === 3;
        }, "a second refresh");
        await waitFor(async () => c.has(...Object.values(await flaky.key())), "the second refresh stored");
      });
      equal(await flaky(), 3, "the second refresh's value");
      await c.close();
    }),

    check("Blob and File arguments are keyed by their bytes", async () => {
      const c = await open();
      let runs = 0;
      const size = c.memoize(async function size(file, opts) {
        runs++;
        return (await file.arrayBuffer()).byteLength + (opts?.extra ?? 0);
      });
      equal(await size(new Blob(["hello"])), 5, "first");
      equal(await size(new Blob(["hel", "lo"], { type: "text/plain" })), 5, "same bytes, another Blob");
      equal(runs, 1, "a hit");
      equal(await size(new Blob(["hellp"])), 5, "changed bytes");
      equal(runs, 2, "a miss");
      const bytes = new TextEncoder().encode("hello");
      equal({ ...(await size.key(new Blob([bytes]))).params }.file, { $blob: keyHash("larder:blob", bytes) }, "the key part");
      // Inside other arguments too.
      equal(await size(new Blob(["abc"]), { extra: 1, more: [new Blob(["x"])] }), 4, "nested");
      equal(await size(new Blob(["abc"]), { extra: 1, more: [new Blob(["x"])] }), 4, "nested, again");
      equal(runs, 3, "nested: a hit");
      if (typeof File === "function") {
        equal(await size(new File(["hello"], "a.txt")), 5, "a File");
        equal(await size(new File(["hello"], "moved/b.txt")), 5, "renamed");
        equal(runs, 3, "a File with the same bytes hits");
      }
      // Another realm's Map holding a Blob, and (in a browser) another
      // realm's Blob: told by brand, as the key builder tells kinds.
      const realm = otherRealm();
      if (realm !== null) {
        const before = runs;
        const inMap = () => {
          const m = realm.eval("new Map()");
          m.set("f", new Blob(["abcd"]));
          return m;
        };
        equal(await size(new Blob(["q"]), { extra: 2, more: inMap() }), 3, "another realm's Map");
        equal(await size(new Blob(["q"]), { extra: 2, more: inMap() }), 3, "another realm's Map, again");
        equal(runs, before + 1, "another realm's Map: a hit");
        if (realm.Blob !== undefined) {
          equal(await size(new realm.Blob(["hello"])), 5, "another realm's Blob");
          equal(runs, before + 1, "another realm's Blob with the same bytes hits");
        }
      }
      await c.close();
    }),

    check("bad input: TypeError or RangeError at memoize time, naming the problem", async () => {
      const c = await open();
      const fn = function fn(a, b) {
        return a + b;
      };
      const cases = [
        [() => c.memoize.call(undefined, fn), TypeError, "memoize must be called on a cache: cache.memoize(fn)"],
        [() => c.memoize(42), TypeError, "memoize: the function to memoize must be a function, not a number"],
        [() => c.memoize(class Point {}), TypeError, "memoize: Point is a class, which cannot be called without new; memoize a function"],
        [() => c.memoize(() => 1), TypeError, "memoize: an anonymous function needs a namespace option (its key starts with the namespace)"],
        [() => c.memoize(fn, { namespace: "" }), TypeError, "memoize options: namespace must be a non-empty string, not an empty string"],
        [() => c.memoize(fn, "fast"), TypeError, "memoize options must be an object, not a string"],
        [() => c.memoize(fn, { tll: 5 }), TypeError, 'memoize options: unknown option "tll" (known: namespace, version, ttl, ignore, tags, staleWhileRevalidate, dependsOn)'],
        [() => c.memoize(fn, { ignore: ["c"] }), TypeError, 'memoize options: ignore names "c", which is not an argument of fn (its arguments: a, b)'],
        [() => c.memoize(fn, { ignore: "a" }), TypeError, "memoize options: ignore must be an array of argument names, not a string"],
        [() => c.memoize(fn, { ttl: -1 }), RangeError, "memoize options: ttl must be a positive number of milliseconds, not -1"],
        [() => c.memoize(fn, { ttl: "soon" }), RangeError, /^memoize options: ttl: /],
        [() => c.memoize(fn, { staleWhileRevalidate: 0 }), RangeError, "memoize options: staleWhileRevalidate must be a positive number of milliseconds, not 0"],
        [() => c.memoize(fn, { tags: [1] }), TypeError, "memoize options: tags[0] must be a string, not a number"],
        [() => c.memoize(fn, { version: "2" }), TypeError, "memoize options: version must be a number, not a string"],
        [() => c.memoize(fn, { version: -1 }), RangeError, "memoize options: version must be an integer from 0 to 4294967295, not -1"],
        [() => c.memoize(function f($code) {}), TypeError, 'memoize: f has two arguments named "$code" in its key; rename one, or give a version (which leaves out "$code")'],
      ];
      for (const [call, Class, message] of cases) throws(call, Class, message);
      await c.close();
    }),

    check("bad input: an argument that cannot be in a key rejects naming it, and nothing runs or is written", async () => {
      const c = await open();
      let runs = 0;
      const m = c.memoize(function shape(kind, opts) {
        runs++;
        return kind;
      });
      const cyclic = { a: {} };
      cyclic.a.self = cyclic;
      const before = (await c.stats()).entries;
      await rejects(() => m(() => 1), TypeError, "shape: argument kind: a function cannot be part of a key");
      await rejects(() => m("sq", { fill: Symbol("red") }), TypeError, "shape: argument opts.fill: a symbol cannot be part of a key");
      await rejects(() => m("sq", cyclic), TypeError, "shape: argument opts.a.self: a value that contains itself (a cycle) cannot be part of a key");
      await rejects(() => m.refresh(Symbol("s")), TypeError, "shape: argument kind: a symbol cannot be part of a key");
      await rejects(() => m.forget("sq", { f() {} }), TypeError, "shape: argument opts.f: a function cannot be part of a key");
      // staleWhileRevalidate needs a ttl, the memoized function's or the
      // cache's, which memoize cannot see: the call rejects.
      const noTtl = c.memoize(function noTtl() {
        runs++;
      }, { staleWhileRevalidate: "1m" });
      await rejects(() => noTtl(), TypeError, "put: invalid input: stale-while-revalidate needs a ttl: the entry never goes stale without one");
      equal(runs, 0, "fn never ran");
      equal((await c.stats()).entries, before, "nothing written");
      // The function's own TypeError is left as it is.
      const own = new TypeError("params.x: mine");
      const throwing = c.memoize(function throwing() {
        throw own;
      });
      ok((await throwing().catch((e) => e)) === own, "fn's own error");
      await c.close();
    }),

    check("dependsOn: removing a dependency removes the memoized entry", async () => {
      const c = await open();
      await c.set("config", "rates", { eur: 1.5 });
      let runs = 0;
      const price = c.memoize(async function price(amount) {
        runs++;
        return amount * (await c.get("config", "rates")).eur;
      }, { dependsOn: [["config", "rates"]] });
      equal(await price(10), 15, "first");
      equal(await price(10), 15, "cached");
      equal(runs, 1, "runs");
      const { namespace, params } = await price.key(10);
      equal(await c.delete("config", "rates"), true, "the dependency removed");
      equal(await c.has(namespace, params), false, "and the memoized entry with it");
      // A function of the arguments: each call its own dependencies.
      const greet = c.memoize(function greet(id) {
        return `hello ${id}`;
      }, { dependsOn: (id) => [["users", { id }]] });
      await greet(1);
      await greet(2);
      await c.set("users", { id: 1 }, "Ada");
      equal(await c.invalidateNamespace("users"), 2, "invalidateNamespace: the entry and its dependent");
      equal(await c.has(...Object.values(await greet.key(1))), false, "the dependent of users {id: 1} went with it");
      equal(await c.has(...Object.values(await greet.key(2))), true, "another's dependent stays");
      await c.set("users", { id: 2 }, "Bob");
      equal(await c.delete("users", { id: 2 }), true, "delete");
      equal(await c.has(...Object.values(await greet.key(2))), false, "its dependent went with it");
      throws(() => c.memoize(greet, { dependsOn: "users" }), TypeError, "memoize options: dependsOn must be an array of [namespace, params] pairs, not a string");
      throws(() => c.memoize(greet, { dependsOn: [["users"]] }), TypeError, "memoize options: dependsOn[0] must be a [namespace, params] pair, not an array");
      await c.close();
    }),

    check("warm fills the cache with bounded concurrency and reports progress", async () => {
      const c = await open();
      let running = 0;
      let most = 0;
      const square = async (n) => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 1));
        running--;
        if (n === 4) throw new Error("four");
        return n * n;
      };
      const seen = [];
      const p = await c.warm("squares", [1, 2, 3, 4, 5, 6], square, { concurrency: 2, onProgress: (x) => seen.push(x.done), tags: ["sq"] });
      equal([p.done, p.total, p.computed, p.cached, p.failed, p.firstError?.message], [6, 6, 5, 0, 1, "four"], "progress");
      equal(seen, [1, 2, 3, 4, 5, 6], "onProgress after each");
      ok(most >= 1 && most <= 2, `at most 2 at once (saw ${most})`);
      equal(await c.get("squares", 3), 9, "stored");
      equal((await c.entries({ tag: "sq" })).length, 5, "options applied");
      function* gen() {
        for (let i = 1; i <= 6; i++) yield i;
      }
      const again = await c.warm("squares", gen(), square);
      equal([again.done, again.total, again.cached, again.computed, again.failed], [6, undefined, 5, 0, 1], "second run, from a generator");
      await rejects(() => c.warm("squares", 5, square), TypeError, "warm: the params must be an iterable (an array, a generator...), not a number");
      await rejects(() => c.warm("squares", [1], square, { concurrency: 0 }), RangeError, "warm options: concurrency must be a positive integer, not 0");
      await c.close();
    }),
  ];
}
