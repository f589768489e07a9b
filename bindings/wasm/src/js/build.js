// Making JavaScript values for Rust (value/decode.rs). Rust checks the bytes
// of a value and writes a tape of steps (u32 words in wasm memory: a step
// code in the low byte, a small argument above it, then its operands); this
// builds the value from the whole tape in one call, reading strings as UTF-8
// straight from wasm memory. A short string Rust saw before in the same value
// is named by number, and this hands back the string it made the first time.
// The step codes are mirrored in decode.rs (`step`).

const CONST = 0, INT = 1, F64 = 2, F64_HERE = 3, STR = 4, STR_ID = 5, KEY = 6, KEY_ID = 7;
const STR16 = 8, OPEN = 9, CLOSE = 10, DATE = 11, BYTES = 12, BIGINT = 13;

// Container kinds: codec 2's tags.
const ARRAY = 0x0a, OBJECT = 0x0b, MAP = 0x0c, SET = 0x0d;
const ROOT = 0;

// Typed array kinds, in codec 2's order (docs/FORMAT.md).
const VIEWS = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array,
  Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array, DataView,
];

// 0 undefined, 1 null, 2 false, 3 true: codec 2's tags.
const CONSTS = [undefined, null, false, true];
// bytes()'s kind for a Uint8Array.
const UINT8 = VIEWS.indexOf(Uint8Array) + 1;
const INT_BIAS = 0x800000;
const NO_KEY = {};
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

let memory = null;
let u8 = new Uint8Array(0);
let u32 = new Uint32Array(0);
let dv = new DataView(new ArrayBuffer(0));
// Rust checked the UTF-8; ignoreBOM keeps a leading U+FEFF, which is data.
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

export function buildInit(mem) {
  memory = mem;
}

// Views of wasm memory are detached (length 0) when it grows: renew them.
function views() {
  if (u8[0] === undefined) {
    u8 = new Uint8Array(memory.buffer);
    u32 = new Uint32Array(memory.buffer);
    dv = new DataView(memory.buffer);
  }
}

function text(p, n) {
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

function text16(p, n) {
  const units = new Uint16Array(n);
  for (let i = 0; i < n; i++) units[i] = u8[p + 2 * i] | (u8[p + 2 * i + 1] << 8);
  let s = "";
  for (let i = 0; i < n; i += 8192) s += String.fromCharCode.apply(null, units.subarray(i, i + 8192));
  return s;
}

// A new ArrayBuffer of the n bytes at p (kind 0), or a view (kind: its
// codec-2 kind + 1) of one. Kind 12, Float16Array, comes after the others:
// decode.rs asked buildHasFloat16 before writing it on a tape.
function bytes(kind, p, n) {
  const copy = u8.slice(p, p + n);
  // A Uint8Array is the copy itself, not a second view of its buffer.
  if (kind === UINT8) return copy;
  const b = copy.buffer;
  if (kind === 0) return b;
  return kind <= VIEWS.length ? new VIEWS[kind - 1](b) : new globalThis.Float16Array(b);
}

export function buildHasFloat16() {
  return typeof globalThis.Float16Array === "function";
}

export function buildBytes(kind, p, n) {
  views();
  return bytes(kind, p, n);
}

// The value the `len` words at `tp` (a multiple of 4) describe.
export function buildValue(tp, len) {
  views();
  const strs = [];
  // The open containers: each, its kind, and the key waiting for its value
  // (an object's key, a Map entry's key). Level 0 receives the value.
  const objs = [undefined], kinds = [ROOT], keys = [NO_KEY];
  let d = 0;
  // The tape as indexes of u32: `i` runs from `t` to `end`.
  const t = tp >>> 2, end = t + len;
  let i = t;
  while (i < end) {
    // A setter put on Object.prototype may have run Rust, which may have grown
    // wasm memory (detaching the views: reading gives undefined). The tape
    // itself has not moved.
    let w = u32[i];
    if (w === undefined) {
      views();
      w = u32[i];
    }
    const a = w >>> 8;
    let v;
    switch (w & 0xff) {
      case CONST:
        v = CONSTS[a];
        i += 1;
        break;
      case INT:
        v = a - INT_BIAS;
        i += 1;
        break;
      case F64:
        v = dv.getFloat64(u32[i + 1], true);
        i += 2;
        break;
      case F64_HERE:
        v = dv.getFloat64(4 * (i + 1), true);
        i += 3;
        break;
      case STR:
        v = text(u32[i + 1], u32[i + 2]);
        if (a) strs.push(v);
        i += 3;
        break;
      case STR_ID:
        v = strs[a];
        i += 1;
        break;
      case KEY:
        keys[d] = text(u32[i + 1], u32[i + 2]);
        if (a) strs.push(keys[d]);
        i += 3;
        continue;
      case KEY_ID:
        keys[d] = strs[a];
        i += 1;
        continue;
      case STR16:
        v = text16(u32[i + 1], u32[i + 2]);
        i += 3;
        if (a) {
          keys[d] = v;
          continue;
        }
        break;
      case OPEN:
        d++;
        objs[d] = a === ARRAY ? [] : a === OBJECT ? {} : a === MAP ? new Map() : new Set();
        kinds[d] = a;
        keys[d] = NO_KEY;
        i += 1;
        continue;
      case CLOSE:
        v = objs[d];
        objs[d] = keys[d] = undefined;
        d--;
        i += 1;
        break;
      case DATE:
        v = new Date(dv.getFloat64(u32[i + 1], true));
        i += 2;
        break;
      case BYTES:
        v = bytes(a, u32[i + 1], u32[i + 2]);
        i += 3;
        break;
      case BIGINT: {
        const p = u32[i + 1], n = u32[i + 2];
        let hex = "0x0";
        for (let k = 0; k < n; k++) hex += HEX[u8[p + k]];
        v = a ? -BigInt(hex) : BigInt(hex);
        i += 3;
        break;
      }
      default:
        throw new Error(`larder: unknown build step ${w & 0xff}`);
    }
    const o = objs[d];
    switch (kinds[d]) {
      case ARRAY:
        o.push(v);
        break;
      case OBJECT: {
        const k = keys[d];
        if (k === "__proto__") {
          Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
        } else {
          o[k] = v;
        }
        break;
      }
      case MAP:
        if (keys[d] === NO_KEY) {
          keys[d] = v;
        } else {
          o.set(keys[d], v);
          keys[d] = NO_KEY;
        }
        break;
      case SET:
        o.add(v);
        break;
      default:
        objs[0] = v;
    }
  }
  return objs[0];
}
