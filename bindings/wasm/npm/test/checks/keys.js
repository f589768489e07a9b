// tests/vectors/keys.json, the key contract shared by every larder
// implementation, checked through the package's keyHash: every vector's hash,
// and every `same_as` pair, from JS values built by the convention of
// docs/FORMAT.md ("Test vectors").

import { AssertionError, equal, ok } from "./assert.js";

const unhex = (h) => Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16));

/** A vector's params as the JS value a caller would pass. */
export function toJs(v) {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(toJs);
  const keys = Object.keys(v);
  if (keys.length === 1) {
    const [tag] = keys;
    const inner = v[tag];
    if (tag === "$bytes") return unhex(inner);
    // Number() reads "NaN", "Infinity", "-0.0" and rounds decimals correctly.
    if (tag === "$float") return Number(inner);
    if (tag === "$bigint") return BigInt(inner);
    if (tag === "$map") return new Map(inner.map(([k, x]) => [toJs(k), toJs(x)]));
  }
  // An own data property for every member, "__proto__" included.
  return Object.fromEntries(keys.map((k) => [k, toJs(v[k])]));
}

export function keyChecks({ keyHash }, doc) {
  return [
    {
      name: "keys.json: every vector's keyHash is the shared one",
      run: async () => {
        const vectors = doc.vectors;
        ok(vectors.length > 50, `only ${vectors.length} vectors`);
        const byName = new Map();
        const wrong = [];
        for (const v of vectors) {
          const ns = v.version === 0 ? v.namespace : [v.namespace, v.version];
          const hash = keyHash(ns, toJs(v.params));
          byName.set(v.name, hash);
          if (hash !== v.key_hash_hex) wrong.push(`${v.name}: ${hash} != ${v.key_hash_hex}`);
        }
        if (wrong.length) throw new AssertionError(`${wrong.length} vectors differ:\n${wrong.join("\n")}`);
        for (const v of vectors.filter((x) => x.same_as)) {
          equal(byName.get(v.name), byName.get(v.same_as), `${v.name} same_as ${v.same_as}`);
        }
        // Distinct vectors stay distinct.
        const distinct = vectors.filter((x) => !x.same_as).map((x) => byName.get(x.name));
        equal(new Set(distinct).size, distinct.length, "distinct keys");
      },
    },
  ];
}
