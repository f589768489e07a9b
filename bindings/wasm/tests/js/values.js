// Values for tests/value_paths.rs that take more than an expression to make.

function xorshift(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x;
  };
}

// Primitives both writers of codec 2 (Rust for a value on its own, the JS
// side for runs of parts of a container) must write alike: integers on both
// sides of every varint and zigzag boundary, floats, strings of every kind.
export function primitives() {
  const nums = [
    0, -0, 1, -1, NaN, Infinity, -Infinity, 0.5, -0.5, 1e-310, Number.MAX_VALUE, Number.MIN_VALUE,
    2 ** 53, -(2 ** 53), 2 ** 53 - 1, -(2 ** 53) + 1, 2 ** 53 + 2, -(2 ** 53) - 2, 1e21, 123456789.125,
  ];
  for (let i = 0; i < 60; i++) nums.push(2 ** i, -(2 ** i), 2 ** i - 1, -(2 ** i) + 1, 2 ** i + 0.5);
  const next = xorshift(7);
  for (let i = 0; i < 300; i++) {
    const x = next() * 2 ** 21 + next();
    nums.push(x, -x, Math.floor(x / 2 ** (i % 53)), next() - 2 ** 31, x / 7);
  }
  const strs = [
    "", "a", "hi", "x".repeat(127), "x".repeat(128), "x".repeat(16383), "x".repeat(16384),
    "é", "日本語", "🦀", "a\u0000b", "\ufeffbom", "lone \ud800", "\udc00", "\ud800\udc00",
    "mixed é \ud800 end", "é".repeat(100), "🦀".repeat(3000), "ascii then é", "x".repeat(40) + "é",
  ];
  return [undefined, null, true, false, ...nums, ...strs];
}

// Objects whose keys repeat, differ by a byte, sit either side of the
// length where the decoder stops remembering strings, are not ASCII, and
// come in more distinct kinds than it remembers; string values are keys too.
export function manyKeys() {
  const next = xorshift(11);
  const keys = [];
  for (let i = 0; i < 6000; i++) keys.push(`k${i}`);
  keys.push("a".repeat(31), "a".repeat(32), "a".repeat(33), "a".repeat(31) + "b", "clé", "cle", "ключ", "");
  const out = [];
  for (let i = 0; i < 3000; i++) {
    const o = {};
    for (let j = 0; j < 6; j++) {
      const k = keys[next() % keys.length];
      o[k] = j % 2 ? keys[next() % keys.length] : next();
    }
    o[keys[keys.length - 1 - (i % 8)]] = keys[i % 8 + keys.length - 8];
    out.push(o);
  }
  return out;
}

export function wide(n) {
  const o = {};
  for (let i = 0; i < n; i++) o[`p${i}`] = i % 3 ? `v${i}` : i;
  return o;
}

// A value nested `depth` levels deep, cycling through array, object, Map, Set.
export function nested(depth) {
  let v = "bottom";
  for (let i = 0; i < depth; i++) {
    switch (i % 4) {
      case 0: v = [1, v]; break;
      case 1: v = { a: v, b: 2 }; break;
      case 2: v = new Map([["k", v]]); break;
      default: v = new Set([v]);
    }
  }
  return v;
}

// Getters: one that throws (`where`: "object", "array", "params"), one that
// counts its calls.
export function throwing(where) {
  const boom = new Error("boom from a getter");
  if (where === "array") {
    const a = [1, 2, 3];
    Object.defineProperty(a, 1, { get() { throw boom; }, enumerable: true });
    return { value: { list: a }, error: boom };
  }
  const o = { a: 1 };
  Object.defineProperty(o, "b", { get() { throw boom; }, enumerable: true });
  o.c = 2;
  return { value: { nested: [o] }, error: boom };
}

export function counting(text) {
  const calls = { n: 0 };
  const o = { before: 1 };
  Object.defineProperty(o, "x", { get() { calls.n++; return text; }, enumerable: true });
  o.after = 2;
  return { value: o, calls };
}

export function throwingKeys() {
  return new Proxy({}, { ownKeys() { throw new Error("no keys for you"); } });
}

export function revoked() {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return { inside: proxy };
}

// An object whose getter calls `f` (a Rust function) in the middle of being
// encoded; `f` may encode another value, or grow wasm memory.
export function calling(f) {
  const o = { first: "a", list: [1, 2, 3] };
  Object.defineProperty(o, "mid", { get() { return f(); }, enumerable: true });
  o.last = ["z", { deep: "y" }];
  return o;
}

// Runs `body` while assigning a key named "trap" on any object calls
// `f(value)` (a Rust function that may decode another value, or grow wasm
// memory) and stores its result as `this.seen`.
export function withTrap(f, body) {
  Object.defineProperty(Object.prototype, "trap", {
    configurable: true,
    set(v) {
      Object.defineProperty(this, "seen", { value: f(v), enumerable: true, configurable: true, writable: true });
    },
  });
  try {
    return body();
  } finally {
    delete Object.prototype.trap;
  }
}
