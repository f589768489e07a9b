// Making JavaScript values for Rust (build.rs): the value decoder checks the
// bytes and calls these, one cheap call (numbers only, no JS value handed
// across) per value, and the values are put together here. Strings are read
// as UTF-8 straight from wasm memory; a short string Rust has seen before in
// the same value is passed by number, and this side hands back the same
// string it made the first time.

const ARRAY = 10, OBJECT = 11, MAP = 12, SET = 13;
const ROOT = 0;

// Typed array kinds, in codec 2's order (docs/FORMAT.md).
const VIEWS = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array,
  Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array, DataView,
];

let memory = null;
let u8 = new Uint8Array(0);
// Rust checked the UTF-8; ignoreBOM keeps a leading U+FEFF, which is data.
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

function views() {
  if (u8.byteLength === 0) u8 = new Uint8Array(memory.buffer);
}

export function buildInit(mem) {
  memory = mem;
}

// The open containers of every value being built (setters a program put on
// Object.prototype run while one is built, and may start another): each
// container, its kind, and the key waiting for its value (an object's key, a
// Map entry's key). A ROOT frame begins each value and receives it.
const objs = [], kinds = [], pendingKeys = [];
let top = -1;
// The strings named by number, of every value being built; `strBase` is where
// the current value's begin.
const strs = [];
const bases = [];
let strBase = 0;
const NO_KEY = {};

export function buildBegin() {
  top++;
  objs[top] = undefined;
  kinds[top] = ROOT;
  pendingKeys[top] = NO_KEY;
  bases.push(strBase);
  strBase = strs.length;
}

// The value built since the last buildBegin; also unwinds a failed one.
export function buildEnd() {
  let v;
  while (top >= 0) {
    const kind = kinds[top];
    v = objs[top];
    objs[top] = pendingKeys[top] = undefined;
    top--;
    if (kind === ROOT) break;
  }
  strs.length = strBase;
  strBase = bases.pop();
  return v;
}

function add(v) {
  const o = objs[top];
  switch (kinds[top]) {
    case ARRAY:
      o.push(v);
      return;
    case OBJECT: {
      const k = pendingKeys[top];
      if (k === "__proto__") {
        Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
      } else {
        o[k] = v;
      }
      return;
    }
    case MAP: {
      const k = pendingKeys[top];
      if (k === NO_KEY) {
        pendingKeys[top] = v;
      } else {
        o.set(k, v);
        pendingKeys[top] = NO_KEY;
      }
      return;
    }
    case SET:
      o.add(v);
      return;
    default:
      objs[top] = v;
  }
}

function text(p, n) {
  views();
  if (n <= 16) {
    let s = "";
    for (let i = 0; i < n; i++) {
      const c = u8[p + i];
      if (c > 0x7f) return utf8.decode(u8.subarray(p, p + n));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return utf8.decode(u8.subarray(p, p + n));
}

// 0 undefined, 1 null, 2 false, 3 true.
const CONSTS = [undefined, null, false, true];

export function buildConst(c) {
  add(CONSTS[c]);
}

export function buildNum(x) {
  add(x);
}

// A string of n UTF-8 bytes at p; `keep`: Rust names it by its next number
// from now on.
export function buildStr(p, n, keep) {
  const s = text(p, n);
  if (keep) strs.push(s);
  add(s);
}

export function buildStrId(id) {
  add(strs[strBase + id]);
}

// An object's key: the next value goes under it.
export function buildKey(p, n, keep) {
  const s = text(p, n);
  if (keep) strs.push(s);
  pendingKeys[top] = s;
}

export function buildKeyId(id) {
  pendingKeys[top] = strs[strBase + id];
}

// A string of n UTF-16 code units (little-endian) at p; as a key when `key`.
export function buildStr16(p, n, key) {
  views();
  const units = new Uint16Array(n);
  for (let i = 0; i < n; i++) units[i] = u8[p + 2 * i] | (u8[p + 2 * i + 1] << 8);
  let s = "";
  for (let i = 0; i < n; i += 8192) s += String.fromCharCode.apply(null, units.subarray(i, i + 8192));
  if (key) pendingKeys[top] = s;
  else add(s);
}

export function buildOpen(kind) {
  const o = kind === ARRAY ? [] : kind === OBJECT ? {} : kind === MAP ? new Map() : new Set();
  top++;
  objs[top] = o;
  kinds[top] = kind;
  pendingKeys[top] = NO_KEY;
}

export function buildClose() {
  const o = objs[top];
  objs[top] = pendingKeys[top] = undefined;
  top--;
  add(o);
}

export function buildDate(ms) {
  add(new Date(ms));
}

// A new ArrayBuffer holding the n bytes at p, or a view of kind `elem` on one.
export function buildBytes(elem, p, n) {
  views();
  const buf = u8.slice(p, p + n).buffer;
  add(elem < 0 ? buf : new VIEWS[elem](buf));
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

// A bigint from n magnitude bytes (big-endian) at p.
export function buildBigInt(neg, p, n) {
  views();
  let hex = "0x0";
  for (let i = 0; i < n; i++) hex += HEX[u8[p + i]];
  const b = BigInt(hex);
  add(neg ? -b : b);
}
