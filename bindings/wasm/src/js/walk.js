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
const END = 20, FULL = 21, SLOW = 22;

// Kinds are told by brand, not by this realm's constructors, so that a value
// made in another realm (an iframe, a vm context, a Buffer under Jest) is
// what it is: instanceof looks only for this realm's classes.
//
// A view's codec-2 kind (docs/FORMAT.md) comes from its [[TypedArrayName]],
// which the %TypedArray%.prototype[Symbol.toStringTag] getter reads for any
// realm's typed array (undefined for a DataView).
const TYPED_NAME = Object.getOwnPropertyDescriptor(
  Object.getPrototypeOf(Int8Array.prototype),
  Symbol.toStringTag,
).get;
const VIEW_KINDS = new Map([
  "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array",
  "Uint32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array", "DataView",
  "Float16Array",
].map((name, kind) => [name, kind]));
const DATA_VIEW = VIEW_KINDS.get("DataView");

// Another realm's Date, Map, Set and ArrayBuffer: each of these throws for
// anything but its own kind of object, from any realm.
const BRANDS = [
  [Date.prototype.getTime, DATE],
  [Object.getOwnPropertyDescriptor(Map.prototype, "size").get, MAP],
  [Object.getOwnPropertyDescriptor(Set.prototype, "size").get, SET],
];
const BUFFER_LENGTH = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, "byteLength").get;

let memory = null;
let u8 = new Uint8Array(0);
let dv = new DataView(new ArrayBuffer(0));
const utf8 = new TextEncoder();

// Views of wasm memory are detached (length 0) when it grows: renew them.
// (Reading an element is the cheapest test: a detached view has none.)
function views() {
  if (u8[0] === undefined) {
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
  drop();
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

// The codec-2 kind of a view (ArrayBuffer.isView holds), -1 for a kind
// codec 2 does not have.
function elem(v) {
  const name = TYPED_NAME.call(v);
  return name === undefined ? DATA_VIEW : (VIEW_KINDS.get(name) ?? -1);
}

// What instanceof did not recognize: another realm's Date, Map, Set or
// ArrayBuffer (a SharedArrayBuffer has no byteLength of ArrayBuffer's), or
// else something codec 2 does not store.
function foreign(v) {
  for (const [brand, kind] of BRANDS) {
    try {
      brand.call(v);
      return kind;
    } catch {
      // Not this kind.
    }
  }
  try {
    return ARRAY_BUFFER + 32 * BUFFER_LENGTH.call(v);
  } catch {
    return OTHER;
  }
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
  return foreign(v);
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

// 1 for a string with a UTF-8 form, 0 for one with a lone surrogate, -1 for
// anything else (walk.rs `name`).
export function walkName(v) {
  return typeof v !== "string" ? -1 : wellFormed(v) ? 1 : 0;
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
  if (heldAt === i && heldTop === top) {
    v = held;
    drop();
  } else {
    try {
      const ks = keys[top];
      v = ks === null ? items[top][i] : vals[top][ks[i]];
    } catch (e) {
      pending = e;
      return THREW;
    }
  }
  return guarded(v, p, cap);
}

// A part walkRun read but did not write, for the next call: read once, as a getter may
// answer differently (or count) each time.
let held, heldAt = -1, heldTop = -1;

function hold(v, i) {
  held = v;
  heldAt = i;
  heldTop = top;
}

function drop() {
  held = undefined;
  heldAt = heldTop = -1;
}

// A run: the parts of the innermost open container from part `i` (of `n`)
// on, written as codec 2 (docs/FORMAT.md) at p + 8 while they are
// undefined, null, booleans, numbers or strings (for a plain object, each
// part is its key, then its value); one call instead of one or two per
// part. At p: the bytes written and the parts done, as two u32
// (little-endian). Returns how the run ended: END (no parts left), FULL (the
// room is used up: call again), SLOW (part j, the first after the run, is
// simple but too large for the room: read it with walkKey/walkChild), or
// the code of part j when it is anything else, which walkRun classified as
// walkChild does (its key written first), a Date's 8 bytes after the run.
export function walkRun(i, n, p, cap) {
  const ks = keys[top];
  const o = ks === null ? items[top] : vals[top];
  // First read the parts of the run (getters run here, and may run Rust,
  // which may grow wasm memory), then write them.
  const room = cap - 16; // the counts, and a Date's 8 bytes
  // (A getter may start another walk: the parts are kept in this call's own array.)
  const run = [];
  let need = 0, j = i, code = END, last;
  for (; j < n; j++) {
    let v;
    if (heldAt === j && heldTop === top) {
      v = held;
      drop();
    } else {
      try {
        v = ks === null ? o[j] : o[ks[j]];
      } catch (e) {
        pending = e;
        code = THREW;
        break;
      }
    }
    const t = typeof v;
    const simple = t === "string" || t === "number" || t === "boolean" || t === "undefined" || v === null;
    let more = ks === null ? 0 : 6 + 3 * ks[j].length;
    more += t === "string" ? 6 + 3 * v.length : simple ? 10 : 0;
    if (need + more > room) {
      // Read, not written: the next call (walkRun or walkChild) takes it.
      hold(v, j);
      code = j === i ? SLOW : FULL;
      break;
    }
    need += more;
    if (!simple) {
      last = v;
      code = -1;
      break;
    }
    run[j - i] = v;
  }
  views();
  const b = u8;
  let q = p + 8;
  for (let k = i; k < j; k++) {
    if (ks !== null) q = writeStr(b, ks[k], q);
    const v = run[k - i];
    switch (typeof v) {
      case "string":
        q = writeStr(b, v, q);
        break;
      case "number":
        q = writeNum(b, v, q);
        break;
      default:
        b[q++] = v === undefined ? 0 : v === null ? 1 : v ? 3 : 2;
    }
  }
  if (code === -1) {
    // The part after the run is not a primitive: its key, then what it is.
    if (ks !== null) q = writeStr(b, ks[j], q);
    code = guarded(last, q, p + cap - q);
    views();
  }
  dv.setUint32(p, q - p - 8, true);
  dv.setUint32(p + 4, j - i, true);
  return code;
}

function writeVarint(b, q, z) {
  while (z >= 0x80) {
    b[q++] = (z % 0x80) | 0x80;
    z = Math.floor(z / 0x80);
  }
  b[q++] = z;
  return q;
}

function varintSize(z) {
  let k = 1;
  while (z >= 0x80) {
    z = Math.floor(z / 0x80);
    k++;
  }
  return k;
}

// A number as codec 2: integral, within ±2^53 and not -0 a zigzag varint
// (tag 04), anything else binary64 (tag 05). Room: 10 bytes.
function writeNum(b, x, q) {
  if (Number.isInteger(x) && !(x === 0 && 1 / x < 0)) {
    if (x >= -0x40000000 && x < 0x40000000) {
      b[q++] = 0x04;
      let z = ((x << 1) ^ (x >> 31)) >>> 0;
      while (z >= 0x80) {
        b[q++] = (z & 0x7f) | 0x80;
        z >>>= 7;
      }
      b[q++] = z;
      return q;
    }
    if (Math.abs(x) <= 2 ** 53) {
      // Past 2^30 the zigzag is exact only in bigints.
      b[q++] = 0x04;
      let z = BigInt(x);
      z = z >= 0n ? z << 1n : (-z << 1n) - 1n;
      while (z >= 0x80n) {
        b[q++] = Number(z & 0x7fn) | 0x80;
        z >>= 7n;
      }
      b[q++] = Number(z);
      return q;
    }
  }
  b[q] = 0x05;
  dv.setFloat64(q + 1, x, true);
  return q + 9;
}

// A string as codec 2: UTF-8 (tag 07), or UTF-16 code units (tag 08) when a
// lone surrogate leaves it no UTF-8 form. Room: 6 + 3 bytes per unit.
function writeStr(b, s, q) {
  const n = s.length;
  const h = n < 0x80 ? 2 : 1 + varintSize(n);
  let i = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) break;
    b[q + h + i] = c;
  }
  if (i === n) {
    b[q] = 0x07;
    writeVarint(b, q + 1, n);
    return q + h + n;
  }
  if (!wellFormed(s)) {
    b[q] = 0x08;
    const at = writeVarint(b, q + 1, n);
    for (let j = 0; j < n; j++) dv.setUint16(at + 2 * j, s.charCodeAt(j), true);
    return at + 2 * n;
  }
  const most = 1 + varintSize(3 * n);
  const { written } = utf8.encodeInto(s, b.subarray(q + most, q + most + 3 * n));
  const h2 = 1 + varintSize(written);
  if (h2 !== most) b.copyWithin(q + h2, q + most, q + most + written);
  b[q] = 0x07;
  writeVarint(b, q + 1, written);
  return q + h2 + written;
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
  drop();
  vals[top] = keys[top] = items[top] = null;
  top--;
}

// Copy the n bytes of the pending ArrayBuffer or view to `p` (never more:
// a resizable buffer may have changed since it was classified).
export function walkCopy(p, n) {
  const v = pending;
  pending = undefined;
  views();
  const src = ArrayBuffer.isView(v)
    ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
    : new Uint8Array(v);
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
