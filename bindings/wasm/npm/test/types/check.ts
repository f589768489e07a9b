// larder.d.ts, checked by tsc against the installed package (cargo xtask test,
// `tsc -p tsconfig.node.json` and `-p tsconfig.bundler.json`): what must
// compile compiles, and every `@ts-expect-error` line must be an error, or tsc
// fails ("unused @ts-expect-error").

import { Cache, keyHash } from "larder";
import * as inline from "larder/inline";
import { load } from "larder/load";
import type { CacheEntry, CacheStats, LarderError, MemoKey, Memoized, OpenOptions, WarmProgress } from "larder";

interface User {
  id: number;
  org: string;
}

async function uses(): Promise<void> {
  const options: OpenOptions = { backend: "fs", dir: "/tmp/x", maxBytes: "100MB", ttl: "1h", memoryBytes: 0 };
  const cache: Cache = await Cache.open(options);
  await Cache.open();
  await Cache.open({ name: "app", maxEntries: 10, ttl: 60_000 });

  // Params: interfaces, Maps, arrays, bytes, dates, bigints, nested.
  const user: User = { id: 1, org: "x" };
  const v: unknown = await cache.get("users", user);
  const typed = (await cache.get("users", { id: 1 })) as { name: string } | undefined;
  await cache.get(["users", 2], new Map([["id", 1n]]));
  await cache.has("ns", [1, "a", null, new Uint8Array(1), new Date(), { deep: [true] }]);
  await cache.delete("ns", undefined);

  // Values: structured data of every supported kind.
  await cache.set("ns", 1, { a: [1, 2n, "x"], m: new Map([[1, new Set([new Date()])]]), f: new Float64Array(2) });
  await cache.set("ns", 1, new ArrayBuffer(8), { ttl: "10m", tags: ["t"], meta: { by: "me" } });
  await cache.set("ns", 1, new Uint8Array(4), { raw: true });
  const n: number = await cache.getOrCompute("ns", { id: 1 }, async () => 42);
  const s: string = await cache.getOrCompute("ns", { id: 1 }, () => "sync", { ttl: 1000 });
  const b: Uint8Array = await cache.getOrCompute("ns", 1, () => new Uint8Array(1), { raw: true });

  // memoize: the arguments and result types carry through; always async.
  const area = cache.memoize((w: number, h: number) => w * h, { namespace: "area", ttl: "1h", ignore: ["h"] });
  const a: number = await area(2, 3);
  const r: number = await area.refresh(2, 3);
  const gone: boolean = await area.forget(2, 3);
  const k: MemoKey = await area.key(2, 3);
  const typedMemo: Memoized<unknown, [number, number], number> = area;
  const fetched = cache.memoize(async function fetchUser(id: number, file: Uint8Array) {
    return { id, size: file.length };
  }, { version: 2, staleWhileRevalidate: "10m" });
  const u: { id: number; size: number } = await fetched(1, new Uint8Array(2));
  const progress: WarmProgress = await cache.warm("squares", [1, 2, 3], async (x) => x * x, {
    concurrency: 2,
    onProgress: (p) => void p.done,
  });
  void [a, r, gone, k, typedMemo, u, progress];

  const removed: number = (await cache.invalidateTag("t")) + (await cache.invalidateNamespace("ns")) + (await cache.prune());
  const stats: CacheStats = await cache.stats();
  const list: CacheEntry[] = await cache.entries({ namespace: "ns", tag: "t" });
  const expires: number | null = list[0].expires;
  const hash: string = keyHash(["ns", 3], { a: 1 });
  await cache.clear();
  await cache.close();
  cache.free();
  void [v, typed, n, s, b, removed, stats, expires, hash];

  try {
    await Cache.open({ backend: "opfs" });
  } catch (e) {
    const kind: LarderError["kind"] = (e as LarderError).kind;
    void kind;
  }
}

async function misuses(cache: Cache): Promise<void> {
  // @ts-expect-error: an unknown backend
  await Cache.open({ backend: "redis" });
  // @ts-expect-error: an unknown option
  await Cache.open({ maxbytes: 1 });
  // @ts-expect-error: a namespace is a string or [name, version]
  await cache.get(5, {});
  // @ts-expect-error: the version is a number
  await cache.get(["ns", "2"], {});
  // @ts-expect-error: a function cannot be part of a key
  await cache.get("ns", { cb: () => 1 });
  // @ts-expect-error: a Set cannot be part of a key
  await cache.get("ns", { s: new Set([1]) });
  // @ts-expect-error: nor another typed array
  await cache.has("ns", { a: new Int16Array(1) });
  // @ts-expect-error: nor a symbol
  await cache.delete("ns", [Symbol("s")]);
  // @ts-expect-error: a function cannot be stored
  await cache.set("ns", 1, { f: () => 1 });
  // @ts-expect-error: nor a symbol, however deep
  await cache.set("ns", 1, { a: [{ s: Symbol("s") }] });
  // @ts-expect-error: raw values are Uint8Arrays
  await cache.set("ns", 1, "text", { raw: true });
  // @ts-expect-error: tags are strings
  await cache.set("ns", 1, 1, { tags: [1] });
  // @ts-expect-error: compute must be a function
  await cache.getOrCompute("ns", 1, 42);
  // @ts-expect-error: compute must not produce a function
  await cache.getOrCompute("ns", 1, () => () => 1);
  // @ts-expect-error: a tag is a string
  await cache.invalidateTag(1);
  // @ts-expect-error: the filter's namespace is a string
  await cache.entries({ namespace: 1 });
  // @ts-expect-error: there is no constructor; use Cache.open
  new Cache();
  // @ts-expect-error: the result of get is unknown until asserted
  const n: number = await cache.get("ns", 1);
  // @ts-expect-error: compute must not resolve to a function
  await cache.getOrCompute("ns", 1, async () => () => 1);
  // @ts-expect-error: a WeakMap cannot be stored
  await cache.set("ns", 1, new WeakMap());
  // @ts-expect-error: memoize needs a function
  cache.memoize(42);
  // @ts-expect-error: a memoized function must not return a function
  cache.memoize((x: number) => () => x);
  // @ts-expect-error: an unknown memoize option
  cache.memoize((x: number) => x, { tll: 5 });
  const sq = cache.memoize((x: number) => x * x, { namespace: "sq" });
  // @ts-expect-error: the arguments keep their types
  await sq("two");
  void n;
}

void uses;
void misuses;

// `larder/inline` (the browser build with the .wasm inside the JS) has the same API.
async function usesInline(): Promise<void> {
  const cache: Cache = await inline.Cache.open({ backend: "indexeddb", name: "app" });
  const hash: string = inline.keyHash("ns", { a: 1 });
  await cache.set("ns", { a: 1 }, hash);
  // @ts-expect-error: the same types as "larder": a namespace is a string or an array.
  await cache.get(1, {});
}
void usesInline;

// `larder/load` resolves to the same exports, without top-level await.
async function usesLoad(): Promise<void> {
  const larder = await load();
  const cache: Cache = await larder.Cache.open({ name: "sw" });
  const hash: string = larder.keyHash("ns", [1]);
  await cache.set("ns", [1], hash);
  // @ts-expect-error: load takes no arguments
  await load("x");
}
void usesLoad;
