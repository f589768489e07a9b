// The package in a browser page: `import ... from "larder"` through the import
// map browser.js builds from the package's exports (the web build). browser.js
// calls window.larderTests.run("main"), reloads the page, then
// run("persisted"): what "main" wrote to IndexedDB must still be there; then
// in a new context under a quota it lowers, run("quota:<backend>") (quota.js).

import * as larder from "larder";

import { apiChecks } from "../checks/api.js";
import { deepEqual, equal, ok } from "../checks/assert.js";
import { badInputChecks, openChecks } from "../checks/badinput.js";
import { keyChecks } from "../checks/keys.js";
import { memoizeChecks } from "../checks/memoize.js";
import { valueCases } from "../checks/values.js";
import { quotaChecks } from "./quota.js";

const { Cache } = larder;
let seq = 0;
const unique = (what) => `${what}-${Date.now()}-${++seq}`;

const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** A stored IndexedDB value as plain comparable data, every byte included. */
function full(v) {
  if (v instanceof ArrayBuffer) return hex(new Uint8Array(v));
  if (ArrayBuffer.isView(v)) return hex(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  if (Array.isArray(v)) return v.map(full);
  if (typeof v === "bigint") return `${v}n`;
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, full(x)]));
  return v;
}

/** A connection to IndexedDB database `name`, at its current version. */
function openDatabase(name) {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Every record of every object store of an IndexedDB database, as data. */
async function dumpDatabase(name) {
  const db = await openDatabase(name);
  try {
    const out = [];
    for (const store of [...db.objectStoreNames].sort()) {
      const tx = db.transaction(store, "readonly");
      const os = tx.objectStore(store);
      const [keys, values] = await Promise.all(
        [os.getAllKeys(), os.getAll()].map(
          (req) =>
            new Promise((resolve, reject) => {
              req.onsuccess = () => resolve(req.result);
              req.onerror = () => reject(req.error);
            }),
        ),
      );
      out.push(...keys.map((k, i) => [store, full(k), full(values[i])]));
    }
    return out;
  } finally {
    db.close();
  }
}

/** Every file under the OPFS directory of cache `name`: [path, bytes] sorted by path. */
async function dumpOpfs(name) {
  const out = [];
  const walk = async (dir, prefix) => {
    for await (const [entry, handle] of dir.entries()) {
      const path = `${prefix}/${entry}`;
      if (handle.kind === "directory") await walk(handle, path);
      else out.push([path, Array.from(new Uint8Array(await (await handle.getFile()).arrayBuffer()))]);
    }
  };
  const root = await navigator.storage.getDirectory();
  try {
    await walk(await root.getDirectoryHandle(`larder-${name}`), "");
  } catch (e) {
    if (e.name !== "NotFoundError") throw e;
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

const env = {
  runtime: "browser",
  persistent: "indexeddb",
  fresh: async (backend) => (backend === "memory" ? { backend } : { backend, name: unique("check") }),
  snapshot: async (options) => {
    if (options.backend === "opfs") return dumpOpfs(options.name);
    return options.name ? dumpDatabase(`larder-${options.name}`) : null;
  },
  openCases: [
    [{ backend: "fs", dir: "/tmp" }, Error, 'the "fs" backend is not in this build of larder: it is in the Node and Deno builds; in a browser, use "indexeddb", "opfs" or "memory" (cargo feature "nodefs")', "unsupported"],
    [{ backend: "indexeddb", name: 5 }, TypeError, "Cache.open options: name must be a non-empty string, not a number"],
  ],
};

const RELOAD_NAME = "reload-check";
const RELOAD_BACKENDS = ["indexeddb", "opfs"];
const reloadValues = () => valueCases().filter(([what]) => !what.includes("MB") && !what.includes("KB"));

const browserChecks = [
  {
    name: "indexeddb: the default backend in a browser, database larder-<name>",
    run: async () => {
      const name = unique("default");
      const c = await Cache.open({ name, dir: "/ignored/in/browsers" });
      await c.set("d", 1, "here");
      await c.close();
      const dbs = (await indexedDB.databases()).map((d) => d.name);
      ok(dbs.includes(`larder-${name}`), `larder-${name} in ${dbs}`);
      const again = await Cache.open({ backend: "indexeddb", name });
      equal(await again.get("d", 1), "here", "read by a new cache");
      await again.close();
    },
  },
  {
    name: "indexeddb: getMany over several parts: damaged records are misses, removed and counted, the rest in order",
    run: async () => {
      const name = unique("damaged-batch");
      const c = await Cache.open({ backend: "indexeddb", name, memoryBytes: 0 });
      const params = Array.from({ length: 250 }, (_, i) => ({ i }));
      await c.setMany("d", params.map((p) => [p, { i: p.i, text: "x".repeat(300) }]));
      // One damaged record in each of getMany's parts (of 100): a flipped
      // byte, a frame that is not bytes, a truncated frame.
      const damage = { 5: (f) => { f[f.length >> 1] ^= 0x40; return f; }, 150: () => "not bytes", 249: (f) => f.slice(0, 20) };
      const db = await openDatabase(`larder-${name}`);
      const keyOf = (i) => larder.keyHash("d", { i });
      for (const [i, spoil] of Object.entries(damage)) {
        const tx = db.transaction("entries", "readwrite");
        const store = tx.objectStore("entries");
        const read = store.get(keyOf(Number(i)));
        read.onsuccess = () => store.put({ ...read.result, f: spoil(read.result.f) }, keyOf(Number(i)));
        await new Promise((resolve, reject) => { tx.oncomplete = resolve; tx.onabort = () => reject(tx.error); });
      }
      db.close();
      const got = await c.getMany("d", [...params, { i: -1 }]);
      equal(got, [...params.map((p) => (p.i in damage ? undefined : { i: p.i, text: "x".repeat(300) })), undefined], "values in order");
      const s = await c.stats();
      equal(s.corrupt, 3, "stats.corrupt");
      equal((await c.entries()).length, 247, "the damaged entries removed");
      const left = (await dumpDatabase(`larder-${name}`)).filter(([store]) => store === "entries").map(([, k]) => k);
      ok(Object.keys(damage).every((i) => !left.includes(keyOf(Number(i)))), "no damaged record left");
      await c.close();
    },
  },
  ...RELOAD_BACKENDS.map((backend) => ({
    name: `${backend}: write the entries the reloaded page must find`,
    run: async () => {
      const c = await Cache.open({ backend, name: RELOAD_NAME, memoryBytes: 0 });
      await c.clear();
      for (const [what, value] of reloadValues()) await c.set("reload", what, value, { tags: ["reload"] });
      await c.getOrCompute("reload", "computed", () => new Map([["n", 42n]]));
      equal((await c.stats()).entries, reloadValues().length + 1, "entries written");
      await c.close();
    },
  })),
];

const persistedChecks = RELOAD_BACKENDS.map((backend) => ({
  name: `${backend}: after a reload the entries are still there`,
  run: async () => {
    const c = await Cache.open({ backend, name: RELOAD_NAME });
    const cases = reloadValues();
    equal((await c.stats()).entries, cases.length + 1, "stats.entries");
    equal((await c.entries({ tag: "reload" })).length, cases.length, "tagged entries");
    for (const [what, , expected] of cases) equal(await c.get("reload", what), expected, what);
    let calls = 0;
    const v = await c.getOrCompute("reload", "computed", () => calls++);
    ok(calls === 0 && deepEqual(v, new Map([["n", 42n]])), "getOrCompute finds the stored value");
    await c.clear();
    await c.close();
  },
}));

async function run(phase) {
  let checks;
  if (phase === "main") {
    const vectors = await (await fetch(new URL("../keys.json", import.meta.url))).json();
    checks = [
      ...openChecks(larder, env),
      ...["memory", "indexeddb", "opfs"].flatMap((b) => [...apiChecks(larder, env, b), ...badInputChecks(larder, env, b), ...memoizeChecks(larder, env, b)]),
      ...browserChecks,
      ...keyChecks(larder, vectors),
    ];
  } else if (phase === "persisted") {
    checks = persistedChecks;
  } else if (phase.startsWith("quota:")) {
    checks = quotaChecks(larder, unique, phase.slice("quota:".length));
  } else {
    throw new Error(`unknown phase ${phase}`);
  }
  const results = [];
  for (const { name, run } of checks) {
    try {
      // A check may return its figures line (browser.js prints it).
      const figures = await run();
      results.push({ name, ok: true, figures: typeof figures === "string" ? figures : undefined });
    } catch (e) {
      results.push({ name, ok: false, error: `${e?.name}: ${e?.message}\n${e?.stack ?? ""}` });
    }
  }
  return results;
}

window.larderTests = { run };
