// Bare IndexedDB in larder's layout, the floor of the browser benchmark:
// what an entry costs with no key derivation, checksum, value codec, TTL or
// LRU, only the requests larder makes. A put of one entry writes one record
// { m, f } to `entries` (its metadata, also the key of the index `meta` that
// listing walks without reading payloads, and the value); a batch writes
// records { f } and one journal record { k, j } of their keys and metadata
// (under a number the store generates); each in one readwrite transaction
// with relaxed durability, as larder does. A get reads `entries`
// in a read-only transaction, joining the one of the read before while it
// still takes requests (it has not completed) and is under 64 reads and
// 16 ms old, as larder does (larder-indexeddb's fast.js), so that a loop of
// awaited gets shares transactions on both sides.

/** A promise of `tx`'s `complete` event (rejected at `abort`). */
export function done(tx) {
  return new Promise((ok, fail) => {
    tx.oncomplete = () => ok();
    tx.onabort = () => fail(tx.error);
  });
}

/** A promise of `req`'s result (rejected at `error`). */
export function result(req) {
  return new Promise((ok, fail) => {
    req.onsuccess = () => ok(req.result);
    req.onerror = () => fail(req.error);
  });
}

const meta = (value, now) => [value.length, now, -1, now, "bench", [], 0];

export async function openBare(name) {
  const open = indexedDB.open(name, 1);
  open.onupgradeneeded = () => {
    open.result.createObjectStore("entries", { autoIncrement: true }).createIndex("meta", "m");
    open.result.createObjectStore("access");
  };
  const db = await result(open);
  let reader = { tx: null, reads: 0, since: 0 };
  const write = (pairs) => {
    reader.tx = null;
    const tx = db.transaction("entries", "readwrite", { durability: "relaxed" });
    const entries = tx.objectStore("entries");
    const now = Date.now();
    if (pairs.length === 1) {
      const [[key, value]] = pairs;
      entries.put({ m: meta(value, now), f: value }, key);
    } else {
      const k = [];
      const j = [];
      for (const [key, value] of pairs) {
        k.push(key);
        j.push(meta(value, now));
        entries.put({ f: value }, key);
      }
      entries.add({ k, j });
    }
    tx.commit();
    return done(tx);
  };
  const gets = (tx, keys) => {
    const entries = tx.objectStore("entries");
    return keys.map((k) => entries.get(k));
  };
  const requests = (keys) => {
    const { tx } = reader;
    if (tx && reader.reads + keys.length <= 64 && performance.now() - reader.since < 16) {
      try {
        const reqs = gets(tx, keys);
        reader.reads += keys.length;
        return reqs;
      } catch {
        // Inactive: a new transaction.
      }
    }
    const fresh = db.transaction("entries");
    const reqs = gets(fresh, keys);
    fresh.oncomplete = () => {
      if (reader.tx === fresh) reader.tx = null;
    };
    reader = { tx: fresh, reads: keys.length, since: performance.now() };
    return reqs;
  };
  const read = (keys) => Promise.all(requests(keys).map(async (r) => (await result(r))?.f));
  return {
    set: (key, value) => write([[key, value]]),
    setMany: write,
    // One request and one promise, as larder's single get (fast.js getEntry).
    get: async (key) => (await result(requests([key])[0]))?.f,
    getMany: read,
    close: () => db.close(),
    name,
  };
}
