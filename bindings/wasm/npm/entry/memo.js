// cache.memoize and cache.warm, in JS on top of getOrCompute (so the .wasm
// stays as it is): both entries import this module, which adds the two
// methods to Cache.prototype. The key contract, documented in the README:
//
//   namespace  options.namespace, else fn.name; [name, version] with a version
//   params     an object: each argument under its parameter's name, as read
//              from the function's source (`function f(a, b = 1, ...rest)`:
//              a, b, rest = the array of the remaining arguments); a
//              destructured parameter, and any argument past the list, under
//              "$<position>"; ignored arguments left out; Blob and File
//              arguments (anywhere inside) as { $blob: <hash of their bytes> };
//              and, unless a version is given, "$code": a hash of fn's source.

import { checkMemoizeOptions, keyHash } from "./larder_wasm.js";

const MEMOIZE_OPTIONS = ["namespace", "version", "ttl", "ignore", "tags", "staleWhileRevalidate", "dependsOn"];
const CACHE_OPTIONS = ["ttl", "tags", "staleWhileRevalidate", "dependsOn"];
const WARM_OPTIONS = ["concurrency", "onProgress", "ttl", "tags", "staleWhileRevalidate", "dependsOn"];

function describe(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  const t = typeof v;
  if (t === "object") return "an object";
  if (t === "undefined") return "undefined";
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}

/** An options object's own keys, all known; `undefined`/`null` is `{}`. */
function readOptions(options, what, known) {
  if (options === undefined || options === null) return {};
  if (typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`${what} must be an object, not ${describe(options)}`);
  }
  for (const k of Object.keys(options)) {
    if (!known.includes(k)) {
      throw new TypeError(`${what}: unknown option ${JSON.stringify(k)} (known: ${known.join(", ")})`);
    }
  }
  return options;
}

/** The options getOrCompute takes, from those given. */
function pick(options, names) {
  const out = {};
  for (const k of names) if (options[k] !== undefined) out[k] = options[k];
  return out;
}

// ---- Parameter names from a function's source ----

const IDENT = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*$/u;
const BARE_ARROW = /^(?:async\s+)?([\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*)\s*=>/u;

/**
 * The parameters of a function from its source text: one entry per
 * parameter, `{ name, rest }`, `name` null for a destructuring pattern.
 * Strings, template literals, comments and regular expressions inside
 * default values are skipped over, so their brackets and commas do not count.
 */
export function parseParams(src) {
  const arrow = BARE_ARROW.exec(src);
  if (arrow) return [{ name: arrow[1], rest: false }];
  const out = [];
  let depth = 0; // brackets open
  let open = false; // inside the parameter list (which is depth 1)
  let seg = "";
  let last = ""; // the last significant character, to tell a regex from a division
  for (let i = 0; i < src.length; ) {
    const c = src[i];
    const d = src[i + 1];
    if (c === "/" && d === "/") {
      const end = src.indexOf("\n", i);
      i = end < 0 ? src.length : end;
      continue;
    }
    if (c === "/" && d === "*") {
      const end = src.indexOf("*/", i + 2);
      i = end < 0 ? src.length : end + 2;
      continue;
    }
    if (c === '"' || c === "'" || c === "`" || (c === "/" && (last === "" || "(,=:[!&|?{};+-*%<>~^".includes(last)))) {
      const end = skipLiteral(src, i);
      if (open) seg += src.slice(i, end);
      i = end;
      last = "a";
      continue;
    }
    i++;
    if (!/\s/.test(c)) last = c;
    if (!open) {
      // Before the list: a computed method name's brackets, then the first "(".
      if (c === "(" && depth === 0) {
        open = true;
        depth = 1;
      } else if (c === "[") {
        depth++;
      } else if (c === "]") {
        depth--;
      }
      continue;
    }
    if (c === "(" || c === "[" || c === "{") {
      depth++;
    } else if (c === ")" || c === "]" || c === "}") {
      if (--depth === 0) {
        if (seg.trim() !== "") out.push(param(seg));
        return out;
      }
    } else if (c === "," && depth === 1) {
      out.push(param(seg));
      seg = "";
      continue;
    }
    seg += c;
  }
  return out;
}

function param(seg) {
  let s = seg.trim();
  const rest = s.startsWith("...");
  if (rest) s = s.slice(3).trim();
  const name = /^[^\s=]+/.exec(s)?.[0] ?? "";
  return { name: IDENT.test(name) ? name : null, rest };
}

/** The index just past the string, template literal or regex starting at i. */
function skipLiteral(src, i) {
  const q = src[i];
  let inClass = false;
  for (let j = i + 1; j < src.length; j++) {
    const c = src[j];
    if (c === "\\") {
      j++;
    } else if (q === "/" && c === "[") {
      inClass = true;
    } else if (q === "/" && c === "]") {
      inClass = false;
    } else if (c === q && !inClass) {
      if (q !== "/") return j + 1;
      while (/[a-z]/i.test(src[j + 1] ?? "")) j++;
      return j + 1;
    } else if (q === "`" && c === "$" && src[j + 1] === "{") {
      // A substitution: balanced braces, with literals of their own.
      let depth = 0;
      for (j++; j < src.length; j++) {
        const x = src[j];
        if (x === '"' || x === "'" || x === "`") j = skipLiteral(src, j) - 1;
        else if (x === "{") depth++;
        else if (x === "}" && --depth === 0) break;
      }
    }
  }
  return src.length;
}

// ---- Keys ----

/** A Blob's key part: a hash of its bytes, so equal content is one key. */
async function blobPart(blob) {
  return { $blob: keyHash("larder:blob", new Uint8Array(await blob.arrayBuffer())) };
}

// Blobs, Maps and Sets are told by brand, as the key builder tells kinds
// (walk.js): one made in another realm (an iframe, a vm context) is one too.
// Each getter throws for anything but its own kind, from any realm; it is
// only asked about objects that instanceof and the cheap checks left open.
const getter = (proto, name) => Object.getOwnPropertyDescriptor(proto, name)?.get;
const BLOB_SIZE = typeof Blob === "function" ? getter(Blob.prototype, "size") : undefined;
const MAP_SIZE = getter(Map.prototype, "size");
const SET_SIZE = getter(Set.prototype, "size");

function branded(size, v) {
  try {
    size.call(v);
    return true;
  } catch {
    return false;
  }
}

/** Whether `v` is a plain object or an array, which nothing else is. */
function isPlain(v) {
  const proto = Object.getPrototypeOf(v);
  return proto === null || Object.getPrototypeOf(proto) === null || Array.isArray(v);
}

/** An object that is none of this realm's common kinds: worth a brand check. */
const unknown = (v) => !isPlain(v) && !ArrayBuffer.isView(v) && !(v instanceof Date);

function isBlob(v) {
  if (BLOB_SIZE === undefined || v === null || typeof v !== "object") return false;
  return v instanceof Blob || (unknown(v) && !(v instanceof Map) && !(v instanceof Set) && branded(BLOB_SIZE, v));
}

/**
 * What a key walk looks inside: "array", "object" (plain), "map", "set", or
 * null for anything else. Asked once per value, so that a brand check runs
 * at most once for it.
 */
function containerKind(v) {
  if (v === null || typeof v !== "object") return null;
  if (Array.isArray(v)) return "array";
  if (isPlain(v)) return "object";
  if (v instanceof Map) return "map";
  if (v instanceof Set) return "set";
  if (!unknown(v)) return null;
  return branded(MAP_SIZE, v) ? "map" : branded(SET_SIZE, v) ? "set" : null;
}

/** Whether `v` is or holds a Blob (without awaiting: the usual call has none). */
function hasBlob(v, stack = []) {
  if (isBlob(v)) return true;
  const kind = containerKind(v);
  if (kind === null || stack.includes(v)) return false;
  stack.push(v);
  try {
    const parts = kind === "array" ? v : kind === "map" ? [...v].flat() : kind === "set" ? [...v] : Object.values(v);
    return parts.some((x) => hasBlob(x, stack));
  } finally {
    stack.pop();
  }
}

/**
 * `v` with every Blob inside replaced by its key part; `v` itself when it has
 * none. A cycle is left for the key builder to report, with its path.
 */
async function withContent(v, stack = []) {
  if (isBlob(v)) return blobPart(v);
  const kind = containerKind(v);
  if (kind === null || stack.includes(v)) return v;
  stack.push(v);
  try {
    let changed = false;
    const part = async (x) => {
      const y = await withContent(x, stack);
      if (y !== x) changed = true;
      return y;
    };
    let out;
    if (kind === "array") {
      out = [];
      for (const x of v) out.push(await part(x));
    } else if (kind === "map") {
      out = new Map();
      for (const [k, x] of v) out.set(await part(k), await part(x));
    } else if (kind === "set") {
      out = new Set();
      for (const x of v) out.add(await part(x));
    } else {
      out = Object.create(null);
      for (const k of Object.keys(v)) out[k] = await part(v[k]);
    }
    return changed ? out : v;
  } finally {
    stack.pop();
  }
}

/** Make a key error name the argument: "params.x.y: ..." becomes "<ns>: argument x.y: ...". */
function nameArgument(e, name) {
  if (e instanceof TypeError && typeof e.message === "string" && e.message.startsWith("params.")) {
    e.message = `${name}: argument ${e.message.slice("params.".length)}`;
  }
  return e;
}

// ---- memoize ----

function memoize(fn, options) {
  if (typeof fn !== "function") {
    throw new TypeError(`memoize: the function to memoize must be a function, not ${describe(fn)}`);
  }
  if (typeof this?.getOrCompute !== "function") {
    throw new TypeError("memoize must be called on a cache: cache.memoize(fn)");
  }
  const src = Function.prototype.toString.call(fn);
  if (/^class\b/.test(src)) {
    throw new TypeError(`memoize: ${fn.name || "this"} is a class, which cannot be called without new; memoize a function`);
  }
  const opts = readOptions(options, "memoize options", MEMOIZE_OPTIONS);
  let name = opts.namespace;
  if (name === undefined) {
    name = fn.name;
    if (typeof name !== "string" || name === "") {
      throw new TypeError("memoize: an anonymous function needs a namespace option (its key starts with the namespace)");
    }
  } else if (typeof name !== "string" || name === "") {
    throw new TypeError(`memoize options: namespace must be a non-empty string, not ${typeof name === "string" ? "an empty string" : describe(name)}`);
  }
  const { version } = opts;
  if (version !== undefined) {
    if (typeof version !== "number") {
      throw new TypeError(`memoize options: version must be a number, not ${describe(version)}`);
    }
    if (!Number.isInteger(version) || version < 0 || version > 0xffffffff) {
      throw new RangeError(`memoize options: version must be an integer from 0 to 4294967295, not ${version}`);
    }
  }
  const namespace = version === undefined ? name : [name, version];
  const cacheOptions = pick(opts, CACHE_OPTIONS);
  // dependsOn: [namespace, params] pairs, or a function of the arguments
  // returning them (called with the call's `this`, checked at each call).
  const depsOf = typeof opts.dependsOn === "function" ? opts.dependsOn : undefined;
  if (depsOf) delete cacheOptions.dependsOn;
  checkMemoizeOptions(cacheOptions);

  // Each argument's name: the parameter's, else its position.
  const params = parseParams(src);
  const names = params.map((p, i) => p.name ?? `$${i}`);
  const restAt = params.findIndex((p) => p.rest);
  const code = version === undefined ? keyHash("larder:code", src) : undefined;
  const taken = new Set(code === undefined ? [] : ["$code"]);
  for (const n of names) {
    if (taken.has(n)) {
      throw new TypeError(`memoize: ${name} has two arguments named ${JSON.stringify(n)} in its key; rename one, or give a version (which leaves out "$code")`);
    }
    taken.add(n);
  }
  const ignore = new Set();
  if (opts.ignore !== undefined) {
    if (!Array.isArray(opts.ignore)) {
      throw new TypeError(`memoize options: ignore must be an array of argument names, not ${describe(opts.ignore)}`);
    }
    for (const [i, n] of opts.ignore.entries()) {
      if (typeof n !== "string") {
        throw new TypeError(`memoize options: ignore[${i}] must be a string, not ${describe(n)}`);
      }
      if (!names.includes(n)) {
        const known = names.length ? names.join(", ") : "none";
        throw new TypeError(`memoize options: ignore names ${JSON.stringify(n)}, which is not an argument of ${name} (its arguments: ${known})`);
      }
      ignore.add(n);
    }
  }

  const cache = this;
  const keyParams = async (args) => {
    const out = Object.create(null);
    const n = restAt >= 0 ? restAt + 1 : Math.max(names.length, args.length);
    for (let i = 0; i < n; i++) {
      const arg = i === restAt ? args.slice(i) : args[i];
      const key = i < names.length ? names[i] : `$${i}`;
      if (!ignore.has(key)) out[key] = hasBlob(arg) ? await withContent(arg) : arg;
    }
    if (code !== undefined) out.$code = code;
    return out;
  };
  // Run `use(params)`; a key that cannot be built rejects naming the argument.
  const withKey = async (args, use) => {
    const p = await keyParams(args);
    try {
      return await use(p);
    } catch (e) {
      // (A TypeError from fn itself is left as it is: the key builds.)
      if (e instanceof TypeError) {
        try {
          keyHash(namespace, p);
        } catch {
          throw nameArgument(e, name);
        }
      }
      throw e;
    }
  };
  const compute = (self, args, refresh) =>
    withKey(args, async (p) => {
      if (refresh) await cache.delete(namespace, p);
      const o = depsOf ? { ...cacheOptions, dependsOn: depsOf.apply(self, args) } : cacheOptions;
      return cache.getOrCompute(namespace, p, () => fn.apply(self, args), o);
    });
  const memoized = async function (...args) {
    return compute(this, args, false);
  };
  Object.defineProperties(memoized, {
    name: { value: name },
    namespace: { value: namespace, enumerable: true },
    refresh: {
      value: async function (...args) {
        return compute(this, args, true);
      },
    },
    forget: {
      value: (...args) => withKey(args, (p) => cache.delete(namespace, p)),
    },
    key: {
      value: async (...args) => ({ namespace, params: await keyParams(args) }),
    },
  });
  return memoized;
}

// ---- warm ----

async function warm(namespace, paramsIterable, fn, options) {
  if (paramsIterable === null || typeof paramsIterable?.[Symbol.iterator] !== "function" && typeof paramsIterable?.[Symbol.asyncIterator] !== "function") {
    throw new TypeError(`warm: the params must be an iterable (an array, a generator...), not ${describe(paramsIterable)}`);
  }
  if (typeof fn !== "function") {
    throw new TypeError(`warm: the compute argument must be a function, not ${describe(fn)}`);
  }
  const opts = readOptions(options, "warm options", WARM_OPTIONS);
  const { concurrency = 4, onProgress } = opts;
  if (typeof concurrency !== "number") {
    throw new TypeError(`warm options: concurrency must be a number, not ${describe(concurrency)}`);
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`warm options: concurrency must be a positive integer, not ${concurrency}`);
  }
  if (onProgress !== undefined && typeof onProgress !== "function") {
    throw new TypeError(`warm options: onProgress must be a function, not ${describe(onProgress)}`);
  }
  const cacheOptions = pick(opts, CACHE_OPTIONS);
  checkMemoizeOptions(cacheOptions);
  const size = Array.isArray(paramsIterable) ? paramsIterable.length : paramsIterable.size;
  const progress = {
    done: 0,
    total: typeof size === "number" ? size : undefined,
    cached: 0,
    computed: 0,
    failed: 0,
    firstError: undefined,
  };
  const it = typeof paramsIterable[Symbol.asyncIterator] === "function"
    ? paramsIterable[Symbol.asyncIterator]()
    : paramsIterable[Symbol.iterator]();
  // Workers take the next params in turn: at most `concurrency` computations run at once.
  const worker = async () => {
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      const params = next.value;
      let ran = false;
      try {
        await this.getOrCompute(namespace, params, () => {
          ran = true;
          return fn(params);
        }, cacheOptions);
        if (ran) progress.computed++;
        else progress.cached++;
      } catch (e) {
        progress.failed++;
        if (progress.failed === 1) progress.firstError = e;
      }
      progress.done++;
      if (onProgress) onProgress({ ...progress });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return progress;
}

/** Add memoize and warm to the Cache class of the wasm glue. */
export function install(Cache) {
  Object.defineProperty(Cache.prototype, "memoize", { value: memoize, writable: true, configurable: true });
  Object.defineProperty(Cache.prototype, "warm", { value: warm, writable: true, configurable: true });
}
