// Types of the larder npm package, written by hand: the generated ones can only
// say `any`. One file serves every build (Node, Deno, web); the API is the same,
// only the backends in each build differ (see `Backend`).

/**
 * Where the entries live.
 *
 * - `"fs"`: a directory (`dir`, else `$LARDER_DIR`), the same layout and bytes
 *   as native Rust's larder. In the Node and Deno builds.
 * - `"indexeddb"`: the database `larder-<name>`. In the web build (browsers,
 *   workers, bundlers).
 * - `"opfs"`: the directory `larder-<name>` of the Origin Private File
 *   System. In the web build: synchronous access handles in a dedicated
 *   worker, the async API elsewhere; only in secure contexts.
 * - `"memory"`: the process's memory, gone when it ends. In every build.
 *
 * A backend that the build lacks rejects with an `Error` of kind
 * `"unsupported"` that says so.
 */
export type Backend = "memory" | "indexeddb" | "opfs" | "fs";

/** A number of bytes, or a string with a unit: `"100MB"`, `"2GiB"`, `"1.5kb"`, `"512 KiB"`. */
export type Size = number | string;

/** Milliseconds (> 0), or a string with units: `"500ms"`, `"90s"`, `"10m"`, `"1h30m"`, `"2d"`, `"1w"`. */
export type Duration = number | string;

/** Options of {@link Cache.open}. Every option is checked: an unknown name or a wrong type rejects. */
export interface OpenOptions {
  /** Default: `"indexeddb"` in a browser, `"fs"` in Node and Deno, else `"memory"`. */
  backend?: Backend;
  /** The `"indexeddb"` and `"opfs"` cache name: database or OPFS directory `larder-<name>`. Default `"default"`. Ignored by other backends. */
  name?: string;
  /** The `"fs"` cache directory. Default: the `LARDER_DIR` environment variable. Ignored by other backends. */
  dir?: string;
  /** Byte limit of the store; least recently used entries are evicted past it. Default: none. */
  maxBytes?: Size;
  /** Entry limit of the store; least recently used entries are evicted past it. Default: none. */
  maxEntries?: number;
  /** Default time to live of every entry. Default: entries never expire. */
  ttl?: Duration;
  /** Budget of the in-memory tier in front of the store; `0` turns it off. */
  memoryBytes?: Size;
}

/** Options of {@link Cache.set} and {@link Cache.getOrCompute}. */
export interface SetOptions {
  /** Time to live of this entry (overrides the cache's `ttl`). */
  ttl?: Duration;
  /** Tags, for {@link Cache.invalidateTag}: at most 256, each 1 to 1024 bytes of UTF-8. */
  tags?: readonly string[];
  /** Any storable value (at most 64 KiB encoded), returned by {@link Cache.entries}. */
  meta?: unknown;
  /**
   * Store the value, which must be a `Uint8Array`, as raw bytes: what Rust's
   * `put_bytes` writes and `get_bytes` reads. Reads return a `Uint8Array`
   * either way; only the bytes on disk differ.
   */
  raw?: boolean;
  /**
   * A grace period after the ttl (which it needs: this entry's or the
   * cache's). Within it, {@link Cache.getOrCompute} and memoized functions
   * given this option return the stale value at once and refresh it with one
   * background call of the compute function; other reads treat it as expired.
   * A failed background refresh leaves the stale value; a later read tries
   * again.
   */
  staleWhileRevalidate?: Duration;
  /**
   * The entries this value is computed from, as `[namespace, params]` pairs:
   * removing or invalidating any of them (by `delete`, `invalidateTag`,
   * `invalidateNamespace`, in any language) removes this entry too, transitively.
   */
  dependsOn?: readonly (readonly [namespace: Namespace, params: unknown])[];
}

/** {@link SetOptions} with `raw: true`: the value is a `Uint8Array`. */
export interface RawSetOptions extends SetOptions {
  raw: true;
}

/** {@link SetOptions} without `raw: true`: the value is any storable value. */
export interface ValueSetOptions extends SetOptions {
  raw?: false;
}

/** Filter of {@link Cache.entries}. */
export interface EntriesFilter {
  /** Only this namespace (every version of it). */
  namespace?: string;
  /** Only entries carrying this tag. */
  tag?: string;
}

/** What {@link Cache.stats} returns. Counters count since this `Cache` was opened. */
export interface CacheStats {
  /** Lookups answered from the cache. */
  hits: number;
  /** Lookups that found nothing usable. */
  misses: number;
  /** `hits / (hits + misses)`, 0 when there were none. */
  hitRate: number;
  /** Entries removed to respect `maxBytes` / `maxEntries`. */
  evictions: number;
  /** Entries moved out of the memory tier (they stay in the store). */
  spills: number;
  /** Entries found or pruned past their expiry. */
  expired: number;
  /** Entries that failed verification (damaged, foreign) and were removed: each read as a miss. */
  corrupt: number;
  /** Storage errors absorbed (a failed write-back or eviction). */
  errors: number;
  /** Entries in the store. */
  entries: number;
  /** Bytes in the store. */
  storeBytes: number;
  /** Entries in the memory tier. */
  memoryEntries: number;
  /** Bytes in the memory tier. */
  memoryBytes: number;
  /** Sum of the compute time of every hit, in milliseconds. */
  timeSavedMs: number;
}

/** One item of {@link Cache.entries}. Times are milliseconds since the Unix epoch. */
export interface CacheEntry {
  namespace: string;
  /** The namespace version: the second item of a `[name, version]` namespace, else 0. */
  version: number;
  /**
   * The params, read back from the key: maps with string keys as plain
   * objects, integers beyond ±2^53 as bigints, bytes as `Uint8Array`, a Date
   * as `{ $date: ms }`. `undefined` if the stored key could not be decoded.
   */
  params: unknown;
  /** Bytes in the store. */
  size: number;
  created: number;
  lastAccess: number;
  /** `null`: never expires. */
  expires: number | null;
  tags: string[];
  /** The `meta` given to `set`; `undefined` if none. */
  meta: unknown;
}

/** The `kind` of a larder error, for code that must tell errors apart. */
export type ErrorKind =
  | "invalid input"
  | "too large"
  | "corrupt"
  | "storage"
  | "permission denied"
  | "storage full"
  | "unsupported"
  | "codec"
  | "compute"
  | "closed";

/**
 * What larder rejects with: a `TypeError` (bad input; also a closed cache), a
 * `RangeError` (a value out of range, too large) or an `Error` (storage), with
 * a `kind`. Bad input errors name what was wrong, e.g.
 * `params.user.callback: a function cannot be part of a key`, and nothing is written.
 * Errors thrown by a `getOrCompute` function reach the caller unchanged.
 */
export interface LarderError extends Error {
  kind: ErrorKind;
}

/** A namespace: a name (version 0), or `[name, version]`; bumping the version makes older entries stop matching. */
export type Namespace = string | readonly [name: string, version: number];

type KeyLeaf = null | undefined | boolean | number | bigint | string | Uint8Array | ArrayBuffer | Date;

/**
 * `P` when it can be part of a key, else a type that names the part that
 * cannot: keys are built from null, undefined, booleans, numbers, bigints,
 * strings, `Uint8Array`, `ArrayBuffer`, `Date`, arrays, `Map`s and plain
 * objects. Functions, symbols, `Set`s (pass a sorted array) and other typed
 * arrays (convert to a `Uint8Array`) are refused, also at run time.
 */
// (Maps are tested before Sets and the rest: TypeScript compares these
// classes by shape, and a Map has every member a ReadonlySet or a WeakMap has.)
export type KeyParams<P> = P extends KeyLeaf
  ? P
  : P extends (...args: never[]) => unknown
    ? never
    : P extends symbol
      ? never
      : P extends ReadonlyMap<infer K, infer V>
        ? ReadonlyMap<KeyParams<K>, KeyParams<V>>
        : P extends ReadonlySet<unknown> | ArrayBufferView | RegExp | PromiseLike<unknown>
          ? never
          : P extends object
            ? { [K in keyof P]: K extends string | number ? KeyParams<P[K]> : P[K] }
            : never;

type ValueLeaf = null | undefined | boolean | number | bigint | string | Date | ArrayBuffer | ArrayBufferView;

/**
 * `V` when it can be stored, else a type that names the part that cannot:
 * plain data (primitives, arrays, plain objects), `Date`, `Map`, `Set`,
 * `ArrayBuffer`, every typed array and `DataView`. Functions, symbols,
 * cycles and class instances are refused at run time with a `TypeError`
 * naming the path (`value.a[1].f: a function cannot be stored in the cache`).
 */
export type Storable<V> = V extends ValueLeaf
  ? V
  : V extends (...args: never[]) => unknown
    ? never
    : V extends symbol
      ? never
      : V extends ReadonlyMap<infer K, infer W>
        ? ReadonlyMap<Storable<K>, Storable<W>>
        : V extends ReadonlySet<infer M>
          ? ReadonlySet<Storable<M>>
          : V extends WeakMap<object, unknown> | WeakSet<object> | RegExp | PromiseLike<unknown> | Error
            ? never
            : V extends object
              ? { [K in keyof V]: K extends string | number ? Storable<V[K]> : V[K] }
              : never;

/** What a `getOrCompute` function may return: a storable value, or a Promise of one. */
export type StorableResult<R> = R extends PromiseLike<infer X> ? PromiseLike<Storable<X>> : Storable<R>;

/**
 * Options of {@link Cache.memoize}. Every option is checked when the function
 * is memoized: an unknown name, a wrong type, a bad duration, an `ignore` name
 * that is not an argument throw a `TypeError` or `RangeError` at once.
 */
export interface MemoizeOptions {
  /** The namespace of the entries. Default: the function's name; an anonymous function must be given one. */
  namespace?: string;
  /**
   * A version (0 to 4294967295): the namespace becomes `[namespace, version]`
   * and the function's source is no longer part of the key, so editing the
   * function keeps its entries until the version is bumped.
   */
  version?: number;
  /** Time to live of each entry (default: the cache's). */
  ttl?: Duration;
  /** Names of arguments left out of the key (logging flags, clients, callbacks). */
  ignore?: readonly string[];
  /** Tags of every entry, for {@link Cache.invalidateTag}. */
  tags?: readonly string[];
  /** See {@link SetOptions.staleWhileRevalidate}. */
  staleWhileRevalidate?: Duration;
  /**
   * See {@link SetOptions.dependsOn}; or a function of the call's arguments
   * (and `this`) that returns the pairs.
   */
  dependsOn?: SetOptions["dependsOn"] | ((...args: never[]) => SetOptions["dependsOn"]);
}

/** The key of a memoized call: `cache.get(namespace, params)` reads its entry. */
export interface MemoKey {
  namespace: Namespace;
  /**
   * Each argument under its parameter's name (`$<position>` for a
   * destructured parameter or an argument past the list; a rest parameter
   * holds the array of the remaining arguments), Blob and File arguments as
   * `{ $blob: <hash of their bytes> }`, and `$code`, the hash of the
   * function's source, unless a version was given.
   */
  params: Record<string, unknown>;
}

/** A function returned by {@link Cache.memoize}: always async. */
export interface Memoized<This, A extends unknown[], R> {
  (this: This, ...args: A): Promise<Awaited<R>>;
  /** Compute the value for these arguments again, store and return it. */
  refresh(...args: A): Promise<Awaited<R>>;
  /** Remove the entry for these arguments (and its dependents); `true` if there was one. */
  forget(...args: A): Promise<boolean>;
  /** The key of a call with these arguments. */
  key(...args: A): Promise<MemoKey>;
  /** The namespace of its entries: the name, or `[name, version]`. */
  readonly namespace: Namespace;
}

/** Options of {@link Cache.warm}, and the options of the entries it writes. */
export interface WarmOptions {
  /** How many computations run at once. Default 4. */
  concurrency?: number;
  /** Called after each params is done, with a copy of the progress. */
  onProgress?: (progress: WarmProgress) => void;
  ttl?: Duration;
  tags?: readonly string[];
  staleWhileRevalidate?: Duration;
  dependsOn?: SetOptions["dependsOn"];
}

/** How far {@link Cache.warm} has come. */
export interface WarmProgress {
  /** Params done. */
  done: number;
  /** How many there are, when known (an array's length, a Set's size). */
  total: number | undefined;
  /** Done because a fresh entry was there (or another caller computed it). */
  cached: number;
  /** Done by computing. */
  computed: number;
  /** Whose computation failed; nothing was stored for them. */
  failed: number;
  /** The first failure's error. */
  firstError: unknown;
}

/**
 * A persistent cache for the results of expensive computations.
 *
 * ```js
 * import { Cache } from "larder";
 * const cache = await Cache.open({ dir: "./.cache", maxBytes: "100MB", ttl: "1h" });
 * const user = await cache.getOrCompute("users", { id: 42 }, () => fetchUser(42));
 * ```
 *
 * Every method returns a Promise and reads its arguments before it returns,
 * so changing them afterwards cannot change the call. Reads return fresh
 * copies, as `structuredClone` would.
 */
export declare class Cache {
  private constructor();

  /**
   * Open (creating if needed) a cache. The backend defaults to IndexedDB in a
   * browser and the filesystem in Node and Deno, where `dir` (or
   * `$LARDER_DIR`) is then required.
   *
   * @throws {TypeError} an unknown option or backend, an option of the wrong type, `"fs"` without a directory.
   * @throws {RangeError} a size or ttl that is not positive or has an unknown unit.
   * @throws {LarderError} kind `"unsupported"`: the backend is not in this build or runtime.
   */
  static open(options?: OpenOptions): Promise<Cache>;

  /**
   * The value stored for (namespace, params), or `undefined` on a miss (also
   * when the entry expired or was damaged). Its type is whatever was stored
   * there, so `unknown`: narrow it, or assert what you stored
   * (`as Report | undefined`).
   */
  get<P>(namespace: Namespace, params: P & KeyParams<P>): Promise<unknown>;

  /** Store the bytes of `value` as they are (`raw: true`): what Rust's `get_bytes` reads. */
  set<P>(namespace: Namespace, params: P & KeyParams<P>, value: Uint8Array, options: RawSetOptions): Promise<void>;
  /**
   * Store `value` for (namespace, params), replacing what was there.
   *
   * @throws {TypeError} a part of the value, params or options that cannot be stored, named by its path.
   */
  set<P, V>(namespace: Namespace, params: P & KeyParams<P>, value: V & Storable<V>, options?: ValueSetOptions): Promise<void>;

  /**
   * The value for (namespace, params); on a miss, `compute()` (which may
   * return a Promise) runs and its result is stored and returned. However
   * many calls ask for one key at once, `compute` runs once and they all get
   * its result. If it throws or rejects, every waiting call rejects with that
   * same error and nothing is stored. Every caller gets the stored copy (a
   * Node `Buffer` comes back as a `Uint8Array`).
   */
  getOrCompute<P>(
    namespace: Namespace,
    params: P & KeyParams<P>,
    compute: () => Uint8Array | PromiseLike<Uint8Array>,
    options: RawSetOptions,
  ): Promise<Uint8Array>;
  getOrCompute<P, R>(
    namespace: Namespace,
    params: P & KeyParams<P>,
    compute: () => R & StorableResult<R>,
    options?: ValueSetOptions,
  ): Promise<Awaited<R>>;

  /**
   * `fn`, cached: an async function whose calls are keyed by their arguments
   * and the function's source, and go through {@link Cache.getOrCompute}
   * (one computation for concurrent calls of one key; errors are not cached).
   *
   * ```js
   * const report = cache.memoize(async function report(year, region, verbose) { ... },
   *   { ttl: "24h", ignore: ["verbose"] });
   * await report(2024, "EU", false);          // computes
   * await report(2024, "EU", true);           // cached: verbose is not in the key
   * await report.refresh(2024, "EU", false);  // computes again
   * await report.forget(2024, "EU", false);   // removes the entry
   * ```
   *
   * @throws {TypeError} `fn` is not a function, an unknown option, an `ignore`
   *   name that is not an argument, an anonymous function without a namespace.
   * @throws {RangeError} a ttl or grace period that is not positive or has an
   *   unknown unit, a version outside 0..4294967295.
   */
  memoize<This, A extends unknown[], R>(
    fn: (this: This, ...args: A) => R & StorableResult<R>,
    options?: MemoizeOptions,
  ): Memoized<This, A, R>;

  /**
   * Fill the cache ahead of time: `compute(params)` for each params of
   * `paramsList` that has no fresh entry under `namespace`, at most
   * `concurrency` at once. Failures are counted, not thrown.
   */
  warm<P, R>(
    namespace: Namespace,
    paramsList: Iterable<P & KeyParams<P>> | AsyncIterable<P & KeyParams<P>>,
    compute: (params: P) => R & StorableResult<R>,
    options?: WarmOptions,
  ): Promise<WarmProgress>;

  /**
   * The values stored for each params of `paramsList` under `namespace`, in
   * order, `undefined` where there is none: one IndexedDB transaction, one
   * batch of reads on the filesystem.
   */
  getMany(namespace: Namespace, paramsList: readonly unknown[]): Promise<unknown[]>;

  /**
   * Store each `[params, value]` pair under `namespace`, all with the same
   * options, in one write (one IndexedDB transaction, which writes the first
   * pairs while the rest are encoded). One bad pair rejects the call, naming
   * it (`setMany: entries[3][1].a`), and nothing is written. A params given
   * twice keeps its last value. The pairs are read during the call: changing
   * them once it has returned its promise changes nothing stored.
   */
  setMany(namespace: Namespace, entries: readonly (readonly [params: unknown, value: Uint8Array])[], options: RawSetOptions): Promise<void>;
  setMany(namespace: Namespace, entries: readonly (readonly [params: unknown, value: unknown])[], options?: ValueSetOptions): Promise<void>;

  /** Whether a fresh entry exists for (namespace, params). Counts no hit or miss. */
  has<P>(namespace: Namespace, params: P & KeyParams<P>): Promise<boolean>;

  /** Remove the entry for (namespace, params); `true` if there was one. */
  delete<P>(namespace: Namespace, params: P & KeyParams<P>): Promise<boolean>;

  /** Remove every entry carrying `tag`; resolves to how many were removed. */
  invalidateTag(tag: string): Promise<number>;

  /** Remove every entry of the namespace `name`, of every version; resolves to how many were removed. */
  invalidateNamespace(name: string): Promise<number>;

  /** Remove expired entries (and enforce the limits); resolves to how many were removed. */
  prune(): Promise<number>;

  /** Remove every entry. */
  clear(): Promise<void>;

  /** Counters and sizes. */
  stats(): Promise<CacheStats>;

  /** The entries, most recently used first, optionally only those of a namespace or with a tag. */
  entries(filter?: EntriesFilter): Promise<CacheEntry[]>;

  /**
   * Write back pending recency and release the cache. Every later call
   * rejects with a `TypeError` "the cache is closed" (kind `"closed"`).
   * Closing twice is harmless.
   */
  close(): Promise<void>;

  /** Free this handle's WebAssembly memory at once (otherwise the garbage collector does). Call `close()` first. */
  free(): void;
}

/**
 * The key hash of (namespace, params): 32 hex digits, the same in Rust, Node,
 * Deno and browsers (docs/FORMAT.md in the larder repository). It names the
 * entry's file in an `"fs"` cache: `<dir>/larder-v1/entries/<first 2>/<all 32>`.
 *
 * @throws {TypeError} a part of the params that cannot be part of a key, named by its path.
 * @throws {RangeError} a namespace version outside 0..4294967295, a bigint outside 128 bits, nesting too deep.
 */
export declare function keyHash<P>(namespace: Namespace, params: P & KeyParams<P>): string;

/**
 * The bytes larder stores for `value` (its value codec, docs/FORMAT.md "JS
 * values"): what `set` writes, without a cache.
 *
 * @throws {TypeError} a part of the value that cannot be stored, named by its path.
 */
export declare function encodeValue<V>(value: V & Storable<V>): Uint8Array;

/**
 * The value that `bytes` (from `encodeValue`) stand for, as a fresh copy.
 *
 * @throws {TypeError} `bytes` is not a Uint8Array.
 * @throws {Error} the bytes are not a value larder wrote (kind `"corrupt"`).
 */
export declare function decodeValue(bytes: Uint8Array): unknown;
