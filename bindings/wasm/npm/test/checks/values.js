// Values the cache must hand back exactly (codec 2), as [what, value] pairs.
// Each is compared with `deepEqual` from assert.js: -0 is not 0, NaN is NaN,
// prototypes and typed array kinds must match.

export function valueCases() {
  const sparse = [1, , 3]; // eslint-disable-line no-sparse-arrays
  const nullProto = Object.create(null);
  nullProto.x = 1;
  const window = new Uint8Array(new ArrayBuffer(10), 2, 3);
  window.set([7, 8, 9]);
  const big = new Float64Array(100_000).map((_, i) => Math.sin(i) * 1e6);
  return [
    ["undefined", undefined],
    ["null", null],
    ["true", true],
    ["false", false],
    ["0", 0],
    ["-0", -0],
    ["-65", -65],
    ["2^53", 2 ** 53],
    ["2^53 + 2", 2 ** 53 + 2],
    ["-2^53", -(2 ** 53)],
    ["0.1", 0.1],
    ["NaN", NaN],
    ["Infinity", Infinity],
    ["-Infinity", -Infinity],
    ["Number.MIN_VALUE", Number.MIN_VALUE],
    ["0n", 0n],
    ["-256n", -256n],
    ["2^200 bigint", 2n ** 200n],
    ["-(2^64) bigint", -(2n ** 64n)],
    ["empty string", ""],
    ["unicode string", "héllo wörld 🌍 名前"],
    ["lone surrogate", "a\ud800b"],
    ["1 MB string", "x".repeat(1 << 20)],
    ["Date", new Date(1_700_000_000_123)],
    ["Date before 1970", new Date(-1e12)],
    ["invalid Date", new Date(NaN)],
    ["empty array", []],
    ["nested arrays", [1, [2, [3, [4]]]]],
    ["sparse array (a hole is undefined)", sparse],
    ["empty object", {}],
    ["nested object", { a: 1, b: { c: [null, { d: "e" }] }, "key with space": true }],
    ["own __proto__ key", JSON.parse('{"__proto__": 1, "b": 2}')],
    ["null-prototype object (decodes with Object.prototype)", nullProto, { x: 1 }],
    ["Map with mixed keys", new Map([[1, "a"], ["1", "b"], [{ k: 1 }, new Set([1])], [null, undefined]])],
    ["Set", new Set([1, "1", 1n, null, [2]])],
    ["empty ArrayBuffer", new ArrayBuffer(0)],
    ["ArrayBuffer", Uint8Array.of(1, 2, 3, 255).buffer],
    ["Int8Array", Int8Array.of(-128, 0, 127)],
    ["Uint8Array", Uint8Array.of(0, 255)],
    ["Uint8ClampedArray", Uint8ClampedArray.of(0, 128, 255)],
    ["Int16Array", Int16Array.of(1, -2)],
    ["Uint16Array", Uint16Array.of(65535)],
    ["Int32Array", Int32Array.of(-(2 ** 31), 2 ** 31 - 1)],
    ["Uint32Array", Uint32Array.of(2 ** 32 - 1)],
    ["Float32Array", Float32Array.of(1.5, NaN, -0)],
    ["Float64Array", Float64Array.of(-0, NaN, 1e300, -Infinity)],
    ["BigInt64Array", BigInt64Array.of(-1n, 2n ** 63n - 1n)],
    ["BigUint64Array", BigUint64Array.of(2n ** 64n - 1n)],
    // Float16Array only where the runtime has it (Chromium, Deno; not Node 20).
    ...(typeof Float16Array === "function"
      ? [["Float16Array", Float16Array.of(1.5, -0, NaN, -Infinity, 65504, 2 ** -24)]]
      : []),
    ["DataView of part of a buffer", new DataView(Uint8Array.of(1, 2, 3, 4).buffer, 1, 2)],
    ["a view of part of a buffer", window],
    ["800 KB Float64Array", big],
    [
      "everything nested",
      {
        when: new Date(0),
        tags: new Set(["a"]),
        index: new Map([["k", [1n, -0, NaN]]]),
        raw: { bytes: Uint8Array.of(9), buf: new ArrayBuffer(2) },
      },
    ],
  ].map(([what, value, expected]) => [what, value, expected === undefined ? value : expected]);
}
