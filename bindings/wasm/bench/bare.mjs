// Bare IndexedDB in larder's layout, the floor of the browser benchmark:
// what an entry costs with no key derivation, checksum, value codec, TTL or
// LRU, only the requests larder makes. A put writes one record { m, f } to
// `entries` (its metadata, also the key of the index `meta` that listing
// walks without reading payloads, and the value) in one readwrite
// transaction with relaxed durability, as larder does; a get reads `entries`
// in a read-only transaction.

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
  return { m: [value.length, now, -1, now, "bench", [], 0], f: value };
};

export async function openBare(name) {
  const open = indexedDB.open(name, 1);
  open.onupgradeneeded = () => {
    open.result.createObjectStore("entries").createIndex("meta", "m");
    open.result.createObjectStore("access");
  };
  const db = await result(open);
  const write = (pairs) => {
    const tx = db.transaction("entries", "readwrite", { durability: "relaxed" });
    const entries = tx.objectStore("entries");
    for (const [key, value] of pairs) entries.put(record(value), key);
    tx.commit();
    return done(tx);
  };
  const read = (keys) => {
    const entries = db.transaction("entries").objectStore("entries");
    return Promise.all(keys.map(async (k) => (await result(entries.get(k)))?.f));
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
