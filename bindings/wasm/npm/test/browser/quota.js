// Browser quota (issue 6 item 7): browser.js opens this page in a new browser
// context whose origin quota it has lowered (3 MiB) through the DevTools
// protocol (Storage.overrideQuotaForOrigin), and exposes the protocol's
// { usage, quota, overrideActive } for the origin as window.larderQuota().
// Then, for the backend it names:
//
// - writes past the quota succeed: the cache evicts its oldest entries and
//   retries (stats.evictions counts them; no maxBytes is set, so the quota is
//   the only reason to evict);
// - a value larger than the whole quota finally fails with an Error of kind
//   "storage full" and its exact message;
// - stored entries stay intact: every entry still listed reads back its
//   exact bytes, and another cache's entries (written first) all do;
// - the page keeps working: after clear() frees the space, writes and reads
//   succeed again, still under the low quota.

import { equal, ok, rejects } from "../checks/assert.js";

const VALUE_BYTES = 256 * 1024;
/** 6 MiB, twice the quota: the cache must evict to take them all. */
const WRITES = 24;

/** Incompressible bytes (lz4 cannot shrink them below the quota). */
function noise(len) {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536));
  return out;
}

/** The final error's message, after `freed` evictions (Chromium 156's DOMException text for OPFS). */
const QUOTA_FULL = "put (q): storage full: the browser's storage quota for this site is full";
const FULL = {
  indexeddb: (freed) => `${QUOTA_FULL} (IndexedDB QuotaExceededError) (after evicting ${freed} entries)`,
  opfs: (freed) =>
    `${QUOTA_FULL} (QuotaExceededError: The operation failed because it would cause the application to exceed its storage quota.); ` +
    `lower the cache's byte limit or free site data (after evicting ${freed} entries)`,
};

/** The message when Chromium aborted the write (`js::message` of its AbortError may vary: taken from the error). */
function OPFS_ABORTED(freed, message) {
  const m = /\(QuotaExceededError: the browser aborted the write \((AbortError: [^()]*)\): the storage quota is exhausted\)/.exec(message);
  return m === null
    ? null
    : `${QUOTA_FULL} (QuotaExceededError: the browser aborted the write (${m[1]}): the storage quota is exhausted); ` +
        `lower the cache's byte limit or free site data (after evicting ${freed} entries)`;
}

export function quotaChecks(larder, unique, backend) {
  const { Cache } = larder;
  return [
    {
    name: `${backend}: past a quota lowered through the DevTools protocol, writes evict and retry, then fail typed; entries stay intact`,
    run: async () => {
      const keep = await Cache.open({ backend, name: unique("quota-keep"), memoryBytes: 0 });
      const kept = Array.from({ length: 8 }, (_, i) => noise(16 * 1024 + i));
      for (const [i, v] of kept.entries()) await keep.set("k", i, v, { raw: true });

      const q = await window.larderQuota();
      ok(q.overrideActive && q.quota <= 4 * 1024 * 1024, `the quota override: ${JSON.stringify(q)}`);
      const c = await Cache.open({ backend, name: unique("quota"), memoryBytes: 0 });
      try {
        const values = [];
        for (let i = 0; i < WRITES; i++) {
          values.push(noise(VALUE_BYTES));
          await c.set("q", i, values[i], { raw: true });
        }
        const afterWrites = await c.stats();
        ok(afterWrites.evictions > 0, `writing ${WRITES} × 256 KiB under a ${q.quota}-byte quota evicted (stats ${JSON.stringify(afterWrites)})`);
        ok(afterWrites.entries < WRITES, `entries ${afterWrites.entries}`);
        const readBack = async (what) => {
          const listed = (await c.entries()).map((e) => e.params);
          for (const i of listed) equal(await c.get("q", i), values[i], `${what}: entry ${i}`);
          return listed.length;
        };
        const left = await readBack("after the evictions");
        ok(left > 0, "some entries stayed");
        // The newest write is never the one evicted.
        equal(await c.get("q", WRITES - 1), values[WRITES - 1], "the last write");

        const before = afterWrites.evictions;
        const err = await rejects(() => c.set("q", "big", noise(q.quota + VALUE_BYTES), { raw: true }), Error, /./, "storage full");
        const freed = (await c.stats()).evictions - before;
        const full = [FULL[backend](freed)];
        // OPFS on the main thread: Chromium sometimes aborts the stream write
        // instead of throwing QuotaExceededError; the store reports it as full.
        if (backend === "opfs") full.push(OPFS_ABORTED(freed, err.message));
        ok(full.includes(err.message), `the final error's message: ${err.message}`);
        equal(await c.get("q", "big"), undefined, "the value that did not fit");
        // It evicted everything it could before giving up; what is left reads right.
        const leftAfter = await readBack("after the failed write");
        for (const [i, v] of kept.entries()) equal(await keep.get("k", i), v, `the other cache's entry ${i}`);

        // Space freed: the page and both caches work again, under the same quota.
        await c.clear();
        for (let i = 0; i < 4; i++) await c.set("q", i, values[i], { raw: true });
        for (let i = 0; i < 4; i++) equal(await c.get("q", i), values[i], `rewritten entry ${i}`);
        await keep.set("k", "after", kept[0], { raw: true });
        equal(await keep.get("k", "after"), kept[0], "a write to the other cache");
        const s = await c.stats();
        return `reliability: test=browser-quota backend=${backend} quota=${q.quota} usage_before=${q.usage} writes=${WRITES} value_bytes=${VALUE_BYTES} evictions=${afterWrites.evictions} entries_left=${left} final_evictions=${freed} entries_after_final=${leftAfter} final_error="${err.constructor.name} kind=${err.kind}: ${err.message}" rewrites_ok=4 store_entries=${s.entries}`;
      } finally {
        await c.clear();
        await c.close();
        await keep.clear();
        await keep.close();
      }
    },
    },
  ];
}
