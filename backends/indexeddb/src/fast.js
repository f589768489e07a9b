// The parts of larder-indexeddb written in JS: the layout's names and its
// upgrade, the puts of a batch and its journal, the reads (and the read-only
// transaction they share), what listing reads, the listeners that report
// events to Rust, and the key's hex text. Each spares the wasm boundary a
// crossing per entry, a closure per call or a string conversion (TextDecoder
// or TextEncoder, a few microseconds each in Chromium) on the hot paths.

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

function word(w) {
  return HEX[w >>> 24] + HEX[(w >>> 16) & 255] + HEX[(w >>> 8) & 255] + HEX[w & 255];
}

// The 32 lowercase hex digits of a key hash given as four 32-bit words, most
// significant first (KeyHash::to_hex in larder-core).
export function hexKey(a, b, c, d) {
  return word(a) + word(b) + word(c) + word(d);
}

// Whether an IndexedDB event reports success: a request's `success` or a
// transaction's `complete` (not `error` or `abort`).
function eventOk(e) {
  const t = e.type;
  return t === "success" || t === "complete";
}

// The events Rust waits for (idb.rs, Fired) all reach one callback made once,
// `wake(id, ok, value, length)`, instead of a wasm closure made, and
// listeners set, per call.
let wake = null;

export function setWake(f) {
  wake = f;
}

// Call wake(id, ok, undefined, 0) at the first of a request's `success` and
// `error` (tx: false) or a transaction's `complete` and `abort` (tx: true).
export function listen(target, tx, id) {
  handle(target, tx, (e) => wake(id, eventOk(e), undefined, 0));
}

export function unlisten(target, tx) {
  handle(target, tx, null);
}

function handle(target, tx, on) {
  if (tx) {
    target.oncomplete = on;
    target.onabort = on;
  } else {
    target.onsuccess = on;
    target.onerror = on;
  }
}

// Reads reuse a read-only transaction while it is still active: a get made
// from the success event of the one before (the common `await get()` in a
// loop: larder's promise settles in microtasks of that event) joins its
// transaction instead of opening one, which saves Chromium a transaction per
// read. Any write of this connection ends the reuse (the next read must see
// it), and so do REUSE_READS reads or REUSE_MS milliseconds, so that another
// tab's writes wait, and stay unseen, no longer than that. A transaction
// that has completed is let go at its `complete` event: trying it would
// throw, and a thrown DOMException costs Chromium about 100 µs, as much as a
// new transaction and its first read. Reads made in the task that opened the
// transaction join it whatever their number (`openedNow`, until the task's
// microtasks run): they are one batch, like a getMany's parts (larder-wasm
// reads a getMany's keys in parts, all asked for at once), which then see
// one state of the database.
const REUSE_READS = 64;
const REUSE_MS = 16;

export function newReader() {
  return { tx: null, reads: 0, since: 0, openedNow: false };
}

export function forgetReads(reader) {
  reader.tx = null;
}

// One `entries.get` per key (`words`: four 32-bit words per key, as hexKey
// takes them), in the reused transaction if it still takes requests, else in
// a new read-only one. When the last succeeds (requests finish in order),
// wake(id, true, frames): per key its record's frame (a Uint8Array),
// undefined for no record, or null for a record without one (damaged); read
// inside the event, where Chromium hands over a result more cheaply than in
// a later microtask. On a failure, wake(id, false, undefined, 0). Returns the
// last request.
export function getEntries(db, reader, words, id) {
  const reqs = readRequests(db, reader, words.length >> 2, (entries) => gets(entries, words));
  const last = reqs[reqs.length - 1];
  last.onsuccess = () => wake(id, true, reqs.map((r) => frameOf(r.result)), 0);
  last.onerror = () => wake(id, false, undefined, 0);
  return last;
}

// getEntries for the one key whose words are a, b, c, d, the path of every
// single get: the frame itself is handed over, wake(id, true, frame, length)
// with its frameLength, so that Rust asks nothing before it copies the bytes.
export function getEntry(db, reader, a, b, c, d, id) {
  const req = readRequests(db, reader, 1, (entries) => entries.get(hexKey(a, b, c, d)));
  req.onsuccess = () => {
    const f = frameOf(req.result);
    wake(id, true, f, lengthOf(f));
  };
  req.onerror = () => wake(id, false, undefined, 0);
  return req;
}

// The requests `issue(entries)` makes for `n` keys, in the reused transaction
// while it may take them, else in a new one.
function readRequests(db, reader, n, issue) {
  const tx = reader.tx;
  if (tx !== null && (reader.openedNow || (reader.reads + n <= REUSE_READS && performance.now() - reader.since < REUSE_MS))) {
    try {
      const reqs = issue(tx.objectStore(ENTRIES));
      reader.reads += n;
      return reqs;
    } catch {
      // Inactive or finished: a new transaction below.
    }
  }
  reader.tx = null;
  const fresh = db.transaction(ENTRIES);
  const reqs = issue(fresh.objectStore(ENTRIES));
  fresh.oncomplete = () => {
    if (reader.tx === fresh) reader.tx = null;
  };
  reader.tx = fresh;
  reader.reads = n;
  reader.since = performance.now();
  reader.openedNow = true;
  queueMicrotask(() => {
    reader.openedNow = false;
  });
  return reqs;
}

function gets(entries, words) {
  const reqs = [];
  for (let o = 0; o < words.length; o += 4) {
    reqs.push(entries.get(hexKey(words[o], words[o + 1], words[o + 2], words[o + 3])));
  }
  return reqs;
}

// The layout (lib.rs): object store `entries` holds one record per entry
// under the key's hex text: { m, f } from a put of one entry, `m` its
// metadata [size, created, expires or -1 for never, lastAccess, namespace,
// tags, cost] and `f` the frame, which the index `meta` on `m` lists without
// reading the frame; or { f } from a batch, whose metadata is in the journal:
// under numbers the store generates (which sort before every string), one
// record { k, j } per batch, `k` its keys and `j` their metadata. A record's
// own `m` wins; without one, the newest journal entry naming its key (the
// batch that wrote it). Object store `access` holds the later access times
// that touch_many records (a number under the key).
export const ENTRIES = "entries";
export const ACCESS = "access";
export const INDEX = "meta";

// Every number key: the journal's range of `entries`. Made when first asked
// for: this module is also loaded where there is no IndexedDB (Node).
const journalRange = () => IDBKeyRange.bound(-Infinity, Infinity);
// Every string key, and anything sorting after strings: the records' range
// (a key there that is not a key hash is damage, found by list).
const recordsRange = () => IDBKeyRange.lowerBound("");

// The object store names and the options of a relaxed transaction, for
// idb.rs to keep: strings from JS literals are internalized, and Chromium
// converts them for IndexedDB calls more cheaply than the strings that a
// TextDecoder makes from wasm memory (measured: a read-only transaction()
// and objectStore() costs 2 to 7 µs less with a literal name).
export function storeNames() {
  return [ENTRIES, ACCESS, [ENTRIES, ACCESS], { durability: "relaxed" }];
}

// Create the layout in a versionchange transaction from `oldVersion`. An
// older layout (version 1: object stores `frames` and `meta`; version 2: no
// journal, and `entries` without a key generator) is dropped whole: a cache
// may start empty.
export function upgrade(db, oldVersion) {
  if (oldVersion < 3) {
    for (const old of [...db.objectStoreNames]) db.deleteObjectStore(old);
  }
  if (!db.objectStoreNames.contains(ENTRIES)) {
    db.createObjectStore(ENTRIES, { autoIncrement: true }).createIndex(INDEX, "m");
  }
  if (!db.objectStoreNames.contains(ACCESS)) db.createObjectStore(ACCESS);
}

// The writes of a put or of a part of a batch, one request per entry, in
// `tx` (a batch's transaction from its part before) or else a new readwrite
// transaction; returns the transaction (the caller waits for it). A single
// entry is one record { m, f }. A batch is records { f } and one journal
// record { k, j } for all of them: Chromium clones a record put into a store
// with an index to find its index key, and writes the index entry. A batch
// of 1000 written this way takes 0.85-0.87 of the time of records { m, f };
// for one entry, the journal's second request costs more than the index
// (docs/BENCHMARKS.md). A batch is written in parts as wasm makes its
// entries, so that IndexedDB writes the first ones while it makes the rest;
// each part is one call across the wasm boundary instead of several per
// entry. `d` holds ENTRY numbers per entry: where its frame lies in wasm
// memory (pointer, length), its metadata (size, created, expires or -1 for
// never, lastAccess, cost), its key as four 32-bit words, and the indexes in
// `texts` of its namespace and of its tags (-1: none). `step` -1 (MORE in
// idb.rs): more parts follow, and the journal's words wait on the
// transaction. Otherwise the part is the last: a batch adds its journal
// record and, with `step` > 0 (the journal's chunk size), compacts the
// journal (compactJournal) before it commits, and the transaction's
// `rewrote` and `live` say what it did (see there); then the commit is asked
// for. If a put throws, nothing is written: the transaction is aborted and
// the error thrown on.
const ENTRY = 13;

export function putEntries(db, tx, reader, options, memory, d, texts, step) {
  const first = tx === null;
  if (first) {
    reader.tx = null;
    tx = db.transaction(ENTRIES, "readwrite", options);
  }
  try {
    const entries = tx.objectStore(ENTRIES);
    const mem = new Uint8Array(memory.buffer);
    const one = first && step >= 0 && d.length === ENTRY;
    const keys = (tx.k ??= []);
    const metas = (tx.j ??= []);
    for (let o = 0; o < d.length; o += ENTRY) {
      const t = d[o + 12];
      const key = hexKey(d[o + 7], d[o + 8], d[o + 9], d[o + 10]);
      const m = [d[o + 2], d[o + 3], d[o + 4], d[o + 5], texts[d[o + 11]], t < 0 ? [] : texts[t], d[o + 6]];
      const f = mem.slice(d[o], d[o] + d[o + 1]);
      if (one) {
        entries.put({ m, f }, key);
      } else {
        keys.push(key);
        metas.push(m);
        entries.put({ f }, key);
      }
    }
    if (step < 0) return tx;
    if (!one) entries.add({ k: keys, j: metas });
    if (step > 0) {
      compactJournal(entries, step, (rewrote, live) => {
        tx.rewrote = rewrote;
        tx.live = live;
        commitNow(tx);
      });
      return tx;
    }
  } catch (e) {
    try { tx.abort(); } catch { /* already finished: nothing pending */ }
    throw e;
  }
  commitNow(tx);
  return tx;
}

// Where commit() does not exist the transaction commits by itself a moment
// later; if it throws, the transaction has already ended and says how.
function commitNow(tx) {
  try { tx.commit(); } catch { /* see above */ }
}

// Replace the whole journal in `entries` with records of at most `chunk`
// entries holding `keys` and `metas`.
export function rewriteJournal(entries, keys, metas, chunk) {
  entries.delete(journalRange());
  for (let i = 0; i < keys.length; i += chunk) {
    entries.add({ k: keys.slice(i, i + chunk), j: metas.slice(i, i + chunk) });
  }
}

// Call each(key, meta) for every entry of the journal records `rs`, newest
// first (the last record first, and within a record the last entry first);
// returns how many records are malformed (not { k, j } of arrays of one
// length), which are skipped.
function eachWord(rs, each) {
  let malformed = 0;
  for (let r = rs.length - 1; r >= 0; r--) {
    const k = rs[r]?.k;
    const j = rs[r]?.j;
    if (!Array.isArray(k) || !Array.isArray(j) || k.length !== j.length) {
      malformed++;
      continue;
    }
    for (let i = k.length - 1; i >= 0; i--) each(k[i], j[i]);
  }
  return malformed;
}

// Whether a journal of `records` records holding `total` entries, `live` of
// them current, is worth rewriting in records of `chunk`: scan.rs
// `worth_compacting`, the same rule.
function worthCompacting(records, total, live, chunk) {
  return records > Math.ceil(live / chunk) + Math.max(1024, Math.floor(live / 8)) || total > 4 * live + 4096;
}

// A batch's compaction of the journal in `entries` (of a readwrite
// transaction), without list's checks: for each record without an `m` of its
// own, the newest journal entry naming its key is kept, the rest dropped,
// and the journal rewritten in records of `chunk` entries, if that is still
// worth it once the batch's connection, which asked on its own count, sees
// the whole journal. What is damaged is left for list to find. Calls
// `done(rewrote, live)` once any rewrite's requests are made (a failure
// aborts the transaction): whether it rewrote the journal, and how many
// current entries the journal names (store/write.rs reads both).
function compactJournal(entries, chunk, done) {
  const journal = entries.getAll(journalRange());
  const records = entries.getAllKeys(recordsRange());
  const inline = entries.index(INDEX).getAllKeys();
  inline.onsuccess = () => {
    const own = new Set(inline.result);
    const bare = new Set(records.result.filter((k) => !own.has(k)));
    const seen = new Set();
    const keys = [];
    const metas = [];
    // The entries of well-formed records, as list counts them (scan.rs).
    let total = 0;
    eachWord(journal.result, (k, m) => {
      total++;
      if (seen.has(k)) return;
      seen.add(k);
      if (bare.has(k)) {
        keys.push(k);
        metas.push(m);
      }
    });
    const live = keys.length;
    if (!worthCompacting(journal.result.length, total, live, chunk)) {
      done(false, live);
      return;
    }
    rewriteJournal(entries, keys, metas, chunk);
    done(true, live);
  };
}

// What `list` reads, in `tx` (covering both object stores), never a frame:
// every [key, m] of the index by a key cursor; the journal's words, newest
// first, as keys and metadata (wKeys, wMetas), and how many of its records
// are malformed; every record's key; and every key and time of `access`.
// Resolves to [keys, metas, wKeys, wMetas, malformed, journalRecords,
// recordKeys, accessKeys, times].
export function listMeta(tx) {
  return new Promise((resolve, reject) => {
    const entries = tx.objectStore(ENTRIES);
    const access = tx.objectStore(ACCESS);
    const journal = entries.getAll(journalRange());
    const reads = [entries.getAllKeys(recordsRange()), access.getAllKeys(), access.getAll()];
    const keys = [];
    const metas = [];
    const cursor = entries.index(INDEX).openKeyCursor();
    cursor.onsuccess = () => {
      const c = cursor.result;
      if (c) {
        keys.push(c.primaryKey);
        metas.push(c.key);
        c.continue();
        return;
      }
      // Requests finish in the order they were made: the others are done.
      const wKeys = [];
      const wMetas = [];
      const malformed = eachWord(journal.result, (k, m) => {
        wKeys.push(k);
        wMetas.push(m);
      });
      resolve([keys, metas, wKeys, wMetas, malformed, journal.result.length, ...reads.map((r) => r.result)]);
    };
    cursor.onerror = () => reject(cursor.error);
  });
}

// How Rust takes the frames getEntries handed over, in two calls a frame
// rather than one per property it would read: the length of frame `i`
// (NO_RECORD, DAMAGED), then its bytes copied to `ptr` in wasm `memory`.
const NO_RECORD = -1;
const DAMAGED = -2;

export function frameLength(frames, i) {
  return lengthOf(frames[i]);
}

function lengthOf(f) {
  return f === undefined ? NO_RECORD : f === null ? DAMAGED : f.length;
}

export function copyFrame(frames, i, memory, ptr) {
  copyTo(frames[i], memory, ptr);
}

// Copy frame `f` (a Uint8Array) to `ptr` in wasm `memory`.
export function copyTo(f, memory, ptr) {
  new Uint8Array(memory.buffer, ptr, f.length).set(f);
}

// The frame of a record read from `entries` as a Uint8Array; undefined for no
// record, null for a record without bytes where its frame should be.
function frameOf(rec) {
  if (rec === undefined) return undefined;
  const f = rec !== null && typeof rec === "object" ? rec.f : undefined;
  if (f instanceof Uint8Array) return f;
  return f instanceof ArrayBuffer ? new Uint8Array(f) : null;
}
