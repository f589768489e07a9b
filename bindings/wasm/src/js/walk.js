// Reading JavaScript values for Rust (walk.rs): the value encoder and the key
// builder walk a value through these functions. Each call does as much as it
// can on this side of the wasm boundary, because every crossing costs far more
// than the work of one value: a value is classified in one call (typeof and an
// instanceof chain), a string is written as UTF-8 straight into Rust's scratch
// buffer, a number as 8 bytes there, and a container's parts are read from a
// stack of open containers kept here, by index, without handing each part to
// Rust.
//
// The codes below are mirrored in walk.rs (`code`). A call returns
// `code + 32 * n`, n being a length where the code has one.

const UNDEFINED = 0, NULL = 1, FALSE = 2, TRUE = 3, NUMBER = 4;
const STR = 5, STR16 = 6, BIGINT = 7, SYMBOL = 8, FUNCTION = 9;
const ARRAY = 10, PLAIN = 11, MAP = 12, SET = 13, DATE = 14;
const ARRAY_BUFFER = 15, VIEW = 16, OTHER = 17, THREW = 18, SPACE = 19;

// Typed array kinds, in codec 2's order (docs/FORMAT.md).
const VIEWS = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array,
  Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array, DataView,
];

let memory = null;
let u8 = new Uint8Array(0);
let dv = new DataView(new ArrayBuffer(0));
const utf8 = new TextEncoder();

// Views of wasm memory are detached (length 0) when it grows: renew them.
function views() {
  if (u8.byteLength === 0) {
    u8 = new Uint8Array(memory.buffer);
    dv = new DataView(memory.buffer);
  }
}

export function walkInit(mem) {
  memory = mem;
}

// The open containers of every walk in progress (a walk can start inside a
// getter of another): the container, its own keys (plain objects) and its
// parts by index. A null container marks where a walk begins.
const vals = [], keys = [], items = [];
let top = -1;
// The value last classified, when Rust needs it: a container to enter, a
// bigint, a string waiting for room, an error thrown by a getter.
let pending;

export function walkBegin() {
  top++;
  vals[top] = null;
  keys[top] = null;
  items[top] = null;
}

// Close every container down to and including the last walkBegin.
export function walkEnd() {
  while (top >= 0) {
    const v = vals[top];
    vals[top] = keys[top] = items[top] = null;
    top--;
    if (v === null) break;
  }
  pending = undefined;
}

export function walkPending() {
  const v = pending;
  pending = undefined;
  return v;
}

const wellFormed = typeof String.prototype.isWellFormed === "function"
  ? (s) => s.isWellFormed()
  : (s) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

// Write string `s` at `p` (room for 3 bytes per UTF-16 unit): its UTF-8, or
// its UTF-16 code units when a lone surrogate leaves it no UTF-8 form.
function putStr(s, p) {
  views();
  const n = s.length;
  let i = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) break;
    u8[p + i] = c;
  }
  if (i === n) return STR + 32 * n;
  if (!wellFormed(s)) {
    for (let j = 0; j < n; j++) dv.setUint16(p + 2 * j, s.charCodeAt(j), true);
    return STR16 + 32 * n;
  }
  const { written } = utf8.encodeInto(s.slice(i), u8.subarray(p + i, p + 3 * n));
  return STR + 32 * (i + written);
}

// The string that did not fit, now that Rust made room for it.
export function walkStr(p) {
  const s = pending;
  pending = undefined;
  return putStr(s, p);
}

function elem(v) {
  for (let i = 0; i < VIEWS.length; i++) if (v instanceof VIEWS[i]) return i;
  return -1;
}

// The kind of `v` (an object's kind costs a few checks: do them once).
function kindOf(v) {
  switch (typeof v) {
    case "number":
      return NUMBER;
    case "string":
      return STR;
    case "boolean":
      return v ? TRUE : FALSE;
    case "undefined":
      return UNDEFINED;
    case "bigint":
      return BIGINT;
    case "symbol":
      return SYMBOL;
    case "function":
      return FUNCTION;
  }
  if (v === null) return NULL;
  if (Array.isArray(v)) return ARRAY;
  // Plain: the prototype is null, or has a null prototype (Object.prototype
  // of any realm).
  const proto = Object.getPrototypeOf(v);
  if (proto === null || Object.getPrototypeOf(proto) === null) return PLAIN;
  if (ArrayBuffer.isView(v)) {
    const e = elem(v);
    return e < 0 ? OTHER : VIEW + 32 * (e + 16 * v.byteLength);
  }
  if (v instanceof Date) return DATE;
  if (v instanceof Map) return MAP;
  if (v instanceof Set) return SET;
  if (v instanceof ArrayBuffer) return ARRAY_BUFFER + 32 * v.byteLength;
  return OTHER;
}

// Classify `v`, writing what Rust needs at `p` (`cap` bytes of room, at
// least 8): a number's or a Date's 8 bytes (binary64, little-endian), a
// string's text.
function put(v, p, cap) {
  if (typeof v === "number") {
    views();
    dv.setFloat64(p, v, true);
    return NUMBER;
  }
  if (typeof v === "string") {
    if (v.length * 3 > cap) {
      pending = v;
      return SPACE + 32 * v.length * 3;
    }
    return putStr(v, p);
  }
  const k = kindOf(v);
  pending = v;
  if (k === DATE) {
    const ms = v.getTime();
    views();
    dv.setFloat64(p, ms, true);
  }
  return k;
}

// The kind of `v` alone, for type checks and messages.
export function walkKind(v) {
  try {
    return kindOf(v);
  } catch (e) {
    pending = e;
    return THREW;
  }
}

function guarded(v, p, cap) {
  try {
    return put(v, p, cap);
  } catch (e) {
    // A revoked Proxy, a throwing getTime: the error is the caller's to see.
    pending = e;
    return THREW;
  }
}

// Classify a value Rust holds.
export function walkRoot(v, p, cap) {
  return guarded(v, p, cap);
}

// Classify part `i` of the innermost open container.
export function walkChild(i, p, cap) {
  let v;
  try {
    const ks = keys[top];
    v = ks === null ? items[top][i] : vals[top][ks[i]];
  } catch (e) {
    pending = e;
    return THREW;
  }
  return guarded(v, p, cap);
}

// Write the i-th own key of the innermost open (plain) container.
export function walkKey(i, p, cap) {
  const k = keys[top][i];
  if (k.length * 3 > cap) {
    pending = k;
    return SPACE + 32 * k.length * 3;
  }
  return putStr(k, p);
}

// Open the pending container, classified as `kind`; its number of parts, -1
// if it is already open (a cycle), -2 if listing its parts threw (pending).
export function walkEnter(kind) {
  const v = pending;
  pending = undefined;
  for (let d = top; d >= 0 && vals[d] !== null; d--) if (vals[d] === v) return -1;
  let ks = null, its = null;
  try {
    if (kind === PLAIN) {
      ks = Object.keys(v);
    } else if (kind === ARRAY) {
      its = v;
    } else if (kind === MAP) {
      its = [];
      for (const [k, x] of v.entries()) its.push(k, x);
    } else {
      its = Array.from(v.values());
    }
  } catch (e) {
    pending = e;
    return -2;
  }
  top++;
  vals[top] = v;
  keys[top] = ks;
  items[top] = its;
  return ks === null ? its.length : ks.length;
}

export function walkLeave() {
  vals[top] = keys[top] = items[top] = null;
  top--;
}

// Copy the n bytes of the pending ArrayBuffer or view to `p` (never more:
// a resizable buffer may have changed since it was classified).
export function walkCopy(p, n) {
  const v = pending;
  pending = undefined;
  views();
  const src = v instanceof ArrayBuffer
    ? new Uint8Array(v)
    : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  u8.set(src.length > n ? src.subarray(0, n) : src, p);
}

// For error messages, once a walk failed: the i-th key of the open container
// `depth` levels above the walk's start, or its i-th part.
export function walkKeyAt(depth, i) {
  return keys[base() + depth][i];
}

export function walkItemAt(depth, i) {
  return items[base() + depth][i];
}

function base() {
  let d = top;
  while (vals[d] !== null) d--;
  return d + 1;
}
