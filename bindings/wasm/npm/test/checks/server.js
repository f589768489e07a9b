// What Node and Deno share: the test environment on the real filesystem
// (node:fs works in both), the checks of the "fs" backend, and the check that
// the package's exports are exactly what larder.d.ts declares.

import { createHash } from "node:crypto";
import * as fs from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { apiChecks } from "./api.js";
import { equal, ok } from "./assert.js";
import { badInputChecks, openChecks } from "./badinput.js";
import { keyChecks } from "./keys.js";
import { memoizeChecks } from "./memoize.js";

const dirs = [];

/** A new empty directory under the system temp dir; `removeAll()` deletes them. */
export async function tempDir() {
  const d = await fs.mkdtemp(join(tmpdir(), "larder-npm-"));
  dirs.push(d);
  return d;
}

export async function removeAll() {
  await Promise.all(dirs.splice(0).map((d) => fs.rm(d, { recursive: true, force: true })));
}

/** Every file and directory below `root`: path, mode, size, mtime and a content hash. */
export async function snapshot(root) {
  const out = [];
  const walk = async (rel) => {
    const names = (await fs.readdir(join(root, rel))).sort();
    for (const name of names) {
      const path = join(rel, name);
      const st = await fs.stat(join(root, path));
      if (st.isDirectory()) {
        out.push([path, "dir", st.mode & 0o777]);
        await walk(path);
      } else {
        const hash = createHash("sha256").update(await fs.readFile(join(root, path))).digest("hex");
        out.push([path, st.size, st.mode & 0o777, st.mtimeMs, hash]);
      }
    }
  };
  await walk("");
  return out;
}

async function exists(path) {
  return fs.stat(path).then(
    () => true,
    () => false,
  );
}

/** The environment the shared checks get in Node or Deno. */
export function serverEnv(runtime) {
  const build = runtime === "deno" ? "deno" : "node";
  return {
    runtime,
    persistent: "fs",
    fresh: async (backend) => (backend === "fs" ? { backend, dir: await tempDir() } : { backend }),
    snapshot: async (options) => (options.dir ? snapshot(options.dir) : null),
    openCases: [
      [{ backend: "opfs" }, Error, 'the "opfs" backend is not in this build of larder: it is in the browser build; in Node and Deno, use "fs" or "memory" (cargo feature "opfs")', "unsupported"],
      [{ backend: "indexeddb" }, Error, 'the "indexeddb" backend is not in this build of larder: it is in the browser build; in Node and Deno, use "fs" or "memory" (cargo feature "indexeddb")', "unsupported"],
      [{ backend: "fs" }, TypeError, 'Cache.open options: backend "fs" needs a dir option (or the LARDER_DIR environment variable); or pass backend: "memory"'],
      [{}, TypeError, 'Cache.open options: the default backend in Node and Deno is "fs", which needs a dir option (or the LARDER_DIR environment variable); or pass backend: "memory"'],
      [{ backend: "fs", dir: "" }, TypeError, "Cache.open options: dir must be a non-empty string, not an empty string"],
    ],
    build,
  };
}

/** Every check for Node or Deno, in the order they run. */
export function serverChecks(larder, env, vectors) {
  return [
    ...packageChecks(larder, env),
    ...openChecks(larder, env),
    ...["memory", "fs"].flatMap((b) => [...apiChecks(larder, env, b), ...badInputChecks(larder, env, b), ...memoizeChecks(larder, env, b)]),
    ...fsChecks(larder, env),
    ...keyChecks(larder, vectors),
  ];
}

function packageChecks(larder, env) {
  return [
    {
      name: `the package resolves to its ${env.build} build, whose exports are what larder.d.ts declares`,
      run: async () => {
        const entry = import.meta.resolve("larder");
        ok(entry.endsWith(`/node_modules/larder/${env.build}/index.js`), `"larder" resolves to ${entry}`);
        const dts = await fs.readFile(fileURLToPath(new URL("../larder.d.ts", entry)), "utf8");
        const declared = [...dts.matchAll(/^export declare (?:class|function) (\w+)/gm)].map((m) => m[1]).sort();
        equal(Object.keys(larder).sort(), declared, "exports");
        // The methods of Cache: the class body's members in larder.d.ts.
        const body = dts.slice(dts.indexOf("export declare class Cache"));
        const members = [...body.slice(0, body.indexOf("\n}")).matchAll(/^ {2}(static )?(\w+)[<(]/gm)];
        const names = (list) => [...new Set(list.map((m) => m[2]))].sort(); // overloads once
        const statics = names(members.filter((m) => m[1]));
        const methods = names(members.filter((m) => !m[1] && m[2] !== "constructor"));
        const internal = new Set(["constructor", "__destroy_into_raw", "__wrap", "length", "name", "prototype"]);
        equal(Object.getOwnPropertyNames(larder.Cache.prototype).filter((n) => !internal.has(n)).sort(), methods, "Cache methods");
        equal(Object.getOwnPropertyNames(larder.Cache).filter((n) => !internal.has(n)).sort(), statics, "Cache statics");
      },
    },
  ];
}

function fsChecks({ Cache, keyHash }, env) {
  const entryFile = (dir, ns, params) => {
    const h = keyHash(ns, params);
    return join(dir, "larder-v1", "entries", h.slice(0, 2), h);
  };
  return [
    {
      name: "fs: the default backend, in the larder-fs layout, private, kept across caches",
      run: async () => {
        const dir = await tempDir();
        const c = await Cache.open({ dir });
        await c.set("users", { id: 1 }, { name: "Ada", langs: new Set(["en"]) });
        await c.close();
        const file = entryFile(dir, "users", { id: 1 });
        ok(await exists(file), `${file} exists`);
        equal((await fs.stat(file)).mode & 0o777, 0o600, "entry file mode");
        equal((await fs.stat(join(dir, "larder-v1"))).mode & 0o777, 0o700, "directory mode");
        const again = await Cache.open({ backend: "fs", dir });
        equal(await again.get("users", { id: 1 }), { name: "Ada", langs: new Set(["en"]) }, "read by a new cache");
        await again.close();
      },
    },
    {
      name: "fs: LARDER_DIR is the directory when dir is not given",
      run: async () => {
        const dir = await tempDir();
        process.env.LARDER_DIR = dir;
        let c;
        try {
          c = await Cache.open();
        } finally {
          delete process.env.LARDER_DIR;
        }
        await c.set("env", 1, "here");
        await c.close();
        ok(await exists(entryFile(dir, "env", 1)), "written to LARDER_DIR");
      },
    },
    {
      name: "fs: a damaged entry file is a miss, removed and counted",
      run: async () => {
        const dir = await tempDir();
        const c = await Cache.open({ backend: "fs", dir });
        for (const i of [1, 2, 3]) await c.set("c", { i }, { i, text: "x".repeat(500) });
        await c.close();
        const flipped = entryFile(dir, "c", { i: 1 });
        const bytes = await fs.readFile(flipped);
        bytes[bytes.length >> 1] ^= 0x40;
        await fs.writeFile(flipped, bytes);
        const truncated = entryFile(dir, "c", { i: 2 });
        await fs.truncate(truncated, 50);
        // A new cache, no memory tier: every read goes to the files.
        const again = await Cache.open({ backend: "fs", dir, memoryBytes: 0 });
        equal(await again.get("c", { i: 1 }), undefined, "a flipped bit");
        equal(await again.get("c", { i: 2 }), undefined, "a truncated file");
        equal(await again.get("c", { i: 3 }), { i: 3, text: "x".repeat(500) }, "the intact entry");
        const s = await again.stats();
        equal(s.corrupt, 2, "stats.corrupt");
        equal(s.misses, 2, "stats.misses");
        ok(!(await exists(flipped)) && !(await exists(truncated)), "damaged files removed");
        equal((await again.entries()).length, 1, "entries");
        await again.close();
      },
    },
    {
      name: "fs: a bad option opens nothing and creates no directory",
      run: async () => {
        const dir = join(await tempDir(), "not-yet");
        for (const bad of [{ ttl: -1 }, { maxBytes: "lots" }, { tags: [] }, { backend: "fs", memoryBytes: {} }]) {
          const err = await Cache.open({ backend: "fs", dir, ...bad }).catch((e) => e);
          ok(err instanceof TypeError || err instanceof RangeError, `${JSON.stringify(bad)}: ${err}`);
        }
        ok(!(await exists(dir)), "no directory created");
      },
    },
  ];
}
