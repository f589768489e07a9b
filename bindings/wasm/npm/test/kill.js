// Kill -9 of Node writers on the "fs" backend (larder-nodefs through the npm
// package), issue 6 item 1: the Node half of tests/tests/reliability_kill.rs.
//
//   node kill.js [kills]              the test (cargo xtask test, stage "npm package")
//   node kill.js --writer <dir> <seed>   one writer (the test spawns these)
//
// WRITERS Node processes loop over mixed set, delete, get and getOrCompute on
// KEYS shared keys of one cache directory, under a byte limit small enough
// that they evict too. The test SIGKILLs one at a random point (0 to
// MAX_DELAY_MS after the last kill), waits until it is gone, then opens the
// cache itself: no temp file of the dead writer may survive that open, every
// get must return the key's one right value or a miss, and nothing may be
// counted corrupt (writes are atomic). A new writer takes the dead one's
// place. Prints one `reliability: test=node-kill ...` figures line (for
// docs/RELIABILITY.md) and exits non-zero on any failure.

import { spawn } from "node:child_process";
import * as fs from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

import { Cache } from "larder";

import { deepEqual, show } from "./checks/assert.js";

const NS = "kill";
const KEYS = 48;
const MAX_VALUE = 96 * 1024;
const LIMIT = "1MiB";
const WRITERS = 3;
const MAX_DELAY_MS = 40;
const READY = "larder-child-ready";

/** xorshift64*, as larder-tests' `Rng`: picks keys, operations and delays. */
function rng(seed) {
  const mask = (1n << 64n) - 1n;
  let x = BigInt(seed) & mask || 0x9e3779b97f4a7c15n;
  return (n) => {
    x ^= x >> 12n;
    x ^= (x << 25n) & mask;
    x ^= x >> 27n;
    return Number(((x * 0x2545f4914f6cdd1dn) & mask) % BigInt(n));
  };
}

/** The one right value of key `k`, from `k` alone: even keys raw bytes
 * (`raw: true`, codec 0), odd keys a structured value (codec 2). The bytes
 * start with `k`, so no two keys share a value; every fourth key's bytes
 * repeat a short pattern, so its entry is lz4-compressed. */
function value(k) {
  const len = 8 + ((k * 2654435761) % MAX_VALUE);
  const bytes = new Uint8Array(len);
  new DataView(bytes.buffer).setUint32(0, k, true);
  let x = k + 1; // xorshift32: noise that lz4 cannot shrink
  for (let i = 8; i < len; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = k % 4 === 0 ? (i % 16) + k : x & 0xff;
  }
  if (k % 2 === 0) return bytes;
  return { k, name: `value of ${k}`, bytes, list: [k, -k, 0.5, null], map: new Map([["k", BigInt(k) << 40n]]) };
}
const values = Array.from({ length: KEYS }, (_, k) => value(k));
const raw = (k) => (k % 2 === 0 ? { raw: true } : {});

const open = (dir, memoryBytes) => Cache.open({ backend: "fs", dir, maxBytes: LIMIT, memoryBytes });

/** One writer: mixed operations on shared keys, each read checked, until killed. */
async function writer(dir, seed) {
  const cache = await open(dir, "256KiB");
  // The test holds our stdin: when it is gone, stop (no orphan outlives it).
  process.stdin.on("end", () => process.exit(0)).resume();
  process.stdout.write(`${READY}\n`);
  const below = rng(seed);
  for (;;) {
    const k = below(KEYS);
    const op = below(10);
    if (op === 0) {
      await cache.delete(NS, k);
    } else if (op <= 2) {
      await cache.set(NS, k, values[k], raw(k));
    } else if (op <= 4) {
      const v = await cache.get(NS, k);
      if (v !== undefined && !deepEqual(v, values[k])) throw new Error(`writer ${process.pid} read a wrong value of ${k}: ${show(v)}`);
    } else {
      const v = await cache.getOrCompute(NS, k, () => values[k], raw(k));
      if (!deepEqual(v, values[k])) throw new Error(`writer ${process.pid} got a wrong value of ${k}: ${show(v)}`);
    }
  }
}

/** Temp files in the cache's tmp/ directory, optionally only those of `pid`. */
async function temps(dir, pid) {
  const names = await fs.readdir(join(dir, "larder-v1", "tmp")).catch(() => []);
  return names.filter((n) => n.endsWith(".tmp") && (pid === undefined || n.split(".")[0] === String(pid)));
}

/** A running writer: its process, a promise of its exit, and whether we killed it. */
async function startWriter(dir, seed, logs, n) {
  const log = join(logs, `writer-${n}.log`);
  const err = await fs.open(log, "w");
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), "--writer", dir, String(seed)], {
    stdio: ["pipe", "pipe", err.fd],
  });
  const w = { child, log, killed: false };
  w.exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  w.exited.then(async ({ code, signal }) => {
    await err.close();
    if (!w.killed) w.died = `writer ${child.pid} ended on its own (${code ?? signal}):\n${await fs.readFile(log, "utf8")}`;
  });
  const lines = createInterface({ input: child.stdout });
  await new Promise((resolve, reject) => {
    lines.on("line", (l) => l === READY && resolve());
    w.exited.then(() => setTimeout(() => reject(new Error(w.died ?? "a writer ended before it was ready")), 50));
  });
  return w;
}

async function test(kills) {
  const started = Date.now();
  const seed = process.env.LARDER_SEED ?? String(Date.now());
  console.log(`reliability: test=node-kill seed=${seed} (replay with LARDER_SEED=${seed})`);
  const below = rng(BigInt(seed));
  const dir = await fs.mkdtemp(join(tmpdir(), "larder-node-kill-"));
  const logs = await fs.mkdtemp(join(tmpdir(), "larder-node-kill-logs-"));
  const t = { kills: 0, midWrite: 0, hits: 0, misses: 0, wrong: 0, corrupt: 0, errors: 0, firstWrong: null };
  let spawned = 0;
  const newWriter = () => startWriter(dir, below(2 ** 48) + 1, logs, ++spawned);

  /** Open the cache after a kill and check every key. */
  const check = async (pid) => {
    const cache = await open(dir, 0);
    if (pid !== undefined) {
      const left = await temps(dir, pid);
      if (left.length > 0) throw new Error(`temps of killed writer ${pid} survived the next open: ${left}`);
    }
    for (let k = 0; k < KEYS; k++) {
      const v = await cache.get(NS, k);
      if (v === undefined) t.misses++;
      else if (deepEqual(v, values[k])) t.hits++;
      else {
        t.wrong++;
        t.firstWrong ??= `key ${k} after kill ${t.kills}: ${show(v)}`;
      }
    }
    const s = await cache.stats();
    t.corrupt += s.corrupt;
    t.errors += s.errors;
    await cache.close();
  };

  const kill = async (w) => {
    w.killed = true;
    w.child.kill("SIGKILL");
    // Reaped: a zombie's pid still answers kill(pid, 0), so its temps would look live.
    const { signal } = await w.exited;
    if (signal !== "SIGKILL") throw new Error(w.died ?? `writer ${w.child.pid} ended by ${signal}, not SIGKILL`);
    t.kills++;
  };

  const writers = await Promise.all(Array.from({ length: WRITERS }, newWriter));
  try {
    while (t.kills < kills) {
      await new Promise((r) => setTimeout(r, below(MAX_DELAY_MS + 1)));
      const dead = writers.find((w) => w.died);
      if (dead) throw new Error(dead.died);
      const [victim] = writers.splice(below(WRITERS), 1);
      await kill(victim);
      const pid = victim.child.pid;
      const left = await temps(dir, pid);
      if (left.length > 0) t.midWrite++;
      for (const name of left) {
        // A temp holds a value before the rename makes it an entry: as private.
        const st = await fs.stat(join(dir, "larder-v1", "tmp", name)).catch(() => null);
        if (st && (st.mode & 0o777) !== 0o600) throw new Error(`temp ${name} has mode ${(st.mode & 0o777).toString(8)}`);
      }
      // The new writer starts while the check runs: the others write on, too.
      const next = newWriter();
      await check(pid);
      writers.push(await next);
    }
    for (const w of writers.splice(0)) await kill(w);
    await check();
  } finally {
    for (const w of writers) {
      w.killed = true;
      w.child.kill("SIGKILL");
    }
  }
  const left = await temps(dir);
  console.log(
    `reliability: test=node-kill writers=${WRITERS} kills=${t.kills} mid_write=${t.midWrite} ` +
      `checked_gets=${t.hits + t.misses + t.wrong} hits=${t.hits} misses=${t.misses} wrong=${t.wrong} ` +
      `corrupt=${t.corrupt} errors=${t.errors} temps_left=${left.length} secs=${((Date.now() - started) / 1000).toFixed(1)}`,
  );
  const fail = (why) => {
    console.error(`node-kill FAILED: ${why} (cache kept in ${dir}, writer logs in ${logs})`);
    process.exit(1);
  };
  if (t.wrong > 0) fail(`wrong values; first: ${t.firstWrong}`);
  if (t.errors > 0) fail("errors while checking");
  if (t.corrupt > 0) fail("a kill left a damaged entry (writes are atomic)");
  if (left.length > 0) fail(`temps left behind: ${left}`);
  if (t.hits === 0) fail("the checks never saw an entry: the writers did not write");
  await fs.rm(dir, { recursive: true, force: true });
  await fs.rm(logs, { recursive: true, force: true });
}

const args = process.argv.slice(2);
if (args[0] === "--writer") {
  await writer(args[1], BigInt(args[2]));
} else {
  const kills = Number(args[0] ?? 60);
  if (!Number.isInteger(kills) || kills < 1) throw new Error("usage: node kill.js [kills] | --writer <dir> <seed>");
  await test(kills);
}
