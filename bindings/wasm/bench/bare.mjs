// Bare IndexedDB in larder's layout, the floor of the browser benchmark:
// what an entry costs with no key derivation, checksum, value codec, TTL or
// LRU, only the requests larder makes. A put writes the value to `frames` and
// a small record to `meta` in one readwrite transaction with relaxed
// durability, as larder does (listing never reads payloads); a get reads
// `frames` in a read-only transaction.

function done(tx) {
  return new Promise((ok, fail) => {
    tx.oncomplete = () => ok();
    tx.onabort = () => fail(tx.error);
  });
}

function result(req) {
  return new Promise((ok, fail) => {
    req.onsuccess = () => ok(req.result);
    req.onerror = () => fail(req.error);
  });
}

const record = (value) => {
  const now = Date.now();
  return { size: value.length, created: now, expires: null, lastAccess: now, namespace: "bench", tags: [], cost: 0 };
};

export async function openBare(name) {
  const open = indexedDB.open(name, 1);
  open.onupgradeneeded = () => {
    open.result.createObjectStore("frames");
    open.result.createObjectStore("meta");
  };
  const db = await result(open);
  const write = (pairs) => {
    const tx = db.transaction(["frames", "meta"], "readwrite", { durability: "relaxed" });
    const frames = tx.objectStore("frames");
    const meta = tx.objectStore("meta");
    for (const [key, value] of pairs) {
      frames.put(value, key);
      meta.put(record(value), key);
    }
    tx.commit();
    return done(tx);
  };
  const read = (keys) => {
    const frames = db.transaction("frames").objectStore("frames");
    return Promise.all(keys.map((k) => result(frames.get(k))));
  };
  return {
    set: (key, value) => write([[key, value]]),
    setMany: write,
    get: async (key) => (await read([key]))[0],
    getMany: read,
    close: () => db.close(),
    name,
  };
}
