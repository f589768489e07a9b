// The package in Node, through node:test: `node --test node.test.js` in a
// project where the packed tarball is installed (cargo xtask test does it).

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { after, test } from "node:test";

import * as larder from "larder";

import { removeAll, serverChecks, serverEnv } from "./checks/server.js";

const vectors = JSON.parse(readFileSync(new URL("./keys.json", import.meta.url), "utf8"));

// One after another: the TTL checks move Date.now, which every cache reads.
for (const { name, run } of serverChecks(larder, serverEnv("node"), vectors)) {
  // A check may return its figures line (docs/RELIABILITY.md): print it.
  test(name, { concurrency: false }, async () => {
    const figures = await run();
    if (typeof figures === "string") console.log(figures);
  });
}

test("Node: a Buffer value is stored as its bytes and read back as a Uint8Array", async () => {
  const c = await larder.Cache.open({ backend: "memory" });
  await c.set("b", 1, Buffer.from([1, 2, 3]));
  const back = await c.get("b", 1);
  if (Object.getPrototypeOf(back) !== Uint8Array.prototype || back.join() !== "1,2,3") {
    throw new Error(`got ${back?.constructor?.name} ${back}`);
  }
  // A Buffer in params is the same key as the plain bytes.
  if (larder.keyHash("b", Buffer.from([1])) !== larder.keyHash("b", new Uint8Array([1]))) {
    throw new Error("a Buffer key differs from its bytes");
  }
  await c.close();
});

test("Node: larder/inline is larder's instance once larder is loaded", async () => {
  // Unbundled, larder was imported first: its glue read the .wasm from the
  // package, and larder/inline shares that instance (bundlers.js runs
  // larder/inline where the file is missing).
  const inline = await import("larder/inline");
  if (inline.Cache !== larder.Cache) throw new Error("larder/inline is another instance in Node");
});

// Node 20.19+ and 22.12+ load ES modules through require (README: CommonJS).
const requireEsm = process.features.require_module ? {} : { skip: "this Node cannot require ES modules" };
test("Node: CommonJS require() gets the same module", requireEsm, () => {
  const required = createRequire(import.meta.url)("larder");
  if (required.Cache !== larder.Cache || required.keyHash !== larder.keyHash) throw new Error("require gave other exports");
  if (typeof required.Cache.prototype.memoize !== "function") throw new Error("require gave a Cache without memoize");
});

test("Node: larder/load resolves to larder's exports", async () => {
  const { load } = await import("larder/load");
  const loaded = await load();
  if (loaded.Cache !== larder.Cache || loaded.keyHash !== larder.keyHash) throw new Error("larder/load gave other exports");
});

after(removeAll);
