// Node: larder's "fs" backend against the cacache npm package, its memory
// backend against lru-cache, and the value codec against JSON and
// structuredClone. Every case runs in this one process, side by side: larder
// and its anchor take turns round by round (timeSideBySide), so that a busy
// moment of a shared machine falls on both alike.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import cacache from "cacache";
import { LRUCache } from "lru-cache";
import { Cache, decodeValue, encodeValue } from "larder";

import { checkHit as check, codecCases, noise, timeSideBySide } from "./measure.mjs";

const N = 500;

/** A row from side-by-side timings of larder and one anchor. */
async function row(label, larder, [name, anchor], ops, note) {
  const t = await timeSideBySide({ larder, anchor }, { ops });
  return { case: label, larder: t.larder, anchors: { [name]: t.anchor }, note };
}

export async function nodeBench() {
  const root = await mkdtemp(join(tmpdir(), "larder-bench-"));
  const value = noise(1024);
  const rows = [];
  try {
    // A fresh directory for each round's new keys; reads without the memory
    // tier (memoryBytes: 0), so every get is a filesystem read.
    const fs = await Cache.open({ backend: "fs", dir: join(root, "larder"), memoryBytes: 0 });
    const cac = join(root, "cacache");
    rows.push(await row(
      "fs set 1 KiB (new key)",
      (i, r) => fs.set("bench", { r, i }, value),
      ["cacache", (i, r) => cacache.put(cac, `bench-${r}-${i}`, value)],
      N,
    ));
    rows.push(await row(
      "fs get 1 KiB (hit)",
      async (i) => check(await fs.get("bench", { r: 0, i })),
      ["cacache", async (i) => check((await cacache.get(cac, `bench-0-${i}`)).data)],
      N,
      "memoryBytes: 0, every get reads the file",
    ));
    await fs.close();

    const mem = await Cache.open({ backend: "memory" });
    const lru = new LRUCache({ max: 100000 });
    for (let i = 0; i < N; i++) {
      await mem.set("bench", { i }, value);
      lru.set(`bench-${i}`, value);
    }
    rows.push(await row(
      "memory get 1 KiB (hit)",
      async (i) => check(await mem.get("bench", { i: i % N })),
      ["lru-cache", (i) => check(lru.get(`bench-${i % N}`))],
      N * 10,
      "larder copies the value out (as structuredClone would); lru-cache returns the same object",
    ));
    rows.push(await row(
      "memory set 1 KiB",
      (i, r) => mem.set("bench", { r, i }, value),
      ["lru-cache", (i, r) => lru.set(`bench-${r}-${i}`, value)],
      N,
    ));
    await mem.close();
    rows.push(...(await codecCases({ encodeValue, decodeValue })));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  return rows;
}
