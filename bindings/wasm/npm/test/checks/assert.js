// Assertions that run unchanged in Node, Deno and a browser page (no node:assert).

export class AssertionError extends Error {
  constructor(message) {
    super(message);
    this.name = "AssertionError";
  }
}

/** A short, exact rendering of a value for failure messages (-0, NaN, bigint, typed arrays, Maps). */
export function show(v, depth = 0) {
  if (depth > 4) return "…";
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : String(v);
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v !== "object" || v === null) return String(v);
  if (v instanceof Date) return `Date(${v.getTime()})`;
  if (v instanceof ArrayBuffer) return `ArrayBuffer[${new Uint8Array(v).slice(0, 16)}${v.byteLength > 16 ? ",…" : ""}]`;
  if (ArrayBuffer.isView(v)) {
    const bytes = new Uint8Array(v.buffer, v.byteOffset, Math.min(v.byteLength, 16));
    return `${v.constructor.name}(${v.byteLength} bytes)[${bytes}${v.byteLength > 16 ? ",…" : ""}]`;
  }
  if (v instanceof Map) return `Map{${[...v].map(([k, x]) => `${show(k, depth + 1)} => ${show(x, depth + 1)}`).join(", ")}}`;
  if (v instanceof Set) return `Set{${[...v].map((x) => show(x, depth + 1)).join(", ")}}`;
  if (Array.isArray(v)) return `[${Array.from(v, (x) => show(x, depth + 1)).join(", ")}]`;
  return `{${Object.keys(v).map((k) => `${k}: ${show(v[k], depth + 1)}`).join(", ")}}`;
}

/**
 * Structural equality as larder promises it: -0 is not 0, NaN equals NaN,
 * prototypes must match (a Uint8Array is not an Int8Array, a Map not an
 * object), typed arrays compare by their viewed bytes, Maps, Sets and object
 * keys in order.
 */
export function deepEqual(a, b) {
  if (typeof a !== typeof b) return false;
  if (typeof a !== "object" || a === null || b === null) return Object.is(a, b);
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (a instanceof Date) return Object.is(a.getTime(), b.getTime());
  if (a instanceof ArrayBuffer || ArrayBuffer.isView(a)) {
    const bytes = (x) => (x instanceof ArrayBuffer ? new Uint8Array(x) : new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
    const [x, y] = [bytes(a), bytes(b)];
    return x.length === y.length && x.every((v, i) => v === y[i]);
  }
  if (a instanceof Map || a instanceof Set) {
    const [x, y] = [[...a.entries()], [...b.entries()]];
    return x.length === y.length && x.every((e, i) => deepEqual(e[0], y[i][0]) && deepEqual(e[1], y[i][1]));
  }
  if (Array.isArray(a)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      if (i in a !== i in b && !(a[i] === undefined && b[i] === undefined)) return false;
      if (!deepEqual(a[i], b[i])) return false;
    }
    return true;
  }
  const [ka, kb] = [Object.keys(a), Object.keys(b)];
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && deepEqual(a[k], b[k]));
}

export function ok(cond, message) {
  if (!cond) throw new AssertionError(message ?? "expected a true value");
}

export function equal(actual, expected, what = "value") {
  if (!deepEqual(actual, expected)) {
    throw new AssertionError(`${what}: expected ${show(expected)}, got ${show(actual)}`);
  }
}

/** `fn()` (or the Promise it returns) must fail with exactly this class, message (and kind). */
export async function rejects(fn, Class, message, kind) {
  let error;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  if (error === undefined) {
    throw new AssertionError(`expected ${Class.name}: ${message}, but nothing was thrown`);
  }
  checkError(error, Class, message, kind);
  return error;
}

/** The same as `rejects` for a synchronous call that must throw. */
export function throws(fn, Class, message, kind) {
  try {
    fn();
  } catch (e) {
    checkError(e, Class, message, kind);
    return e;
  }
  throw new AssertionError(`expected ${Class.name}: ${message}, but nothing was thrown`);
}

function checkError(error, Class, message, kind) {
  const got = `${error?.constructor?.name}: ${error?.message}${error?.kind ? ` (kind ${error.kind})` : ""}`;
  if (!(error instanceof Class) || error.constructor !== Class) {
    throw new AssertionError(`expected ${Class.name}: ${message}, got ${got}`);
  }
  const matches = message instanceof RegExp ? message.test(error.message) : error.message === message;
  if (!matches) throw new AssertionError(`expected ${Class.name}: ${message}, got ${got}`);
  if (kind !== undefined && error.kind !== kind) {
    throw new AssertionError(`expected kind ${kind}, got ${got}`);
  }
}

/** A Promise and the functions that settle it, for holding a computation open. */
export function deferred() {
  let resolve, reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
