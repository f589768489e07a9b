// Two small pieces of the hot paths in JS, each sparing wasm-bindgen a string
// conversion (TextDecoder or TextEncoder, a few microseconds in Chromium) on
// every get and put: the key's hex text, and an event's outcome.

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
export function eventOk(e) {
  const t = e.type;
  return t === "success" || t === "complete";
}

// The writes of a put or a batch, in one readwrite transaction that is asked
// to commit at once; returns the transaction (the caller waits for it). Doing
// the loop here makes one call across the wasm boundary per batch instead of
// a dozen per entry. `d` holds ENTRY numbers per entry: where its frame lies
// in wasm memory (pointer, length), its metadata (size, created, expires or -1
// for never, lastAccess, cost), its key as four 32-bit words, and the indexes
// in `texts` of its namespace and of its tags (-1: none). The record has the
// shape record.rs reads back. If a put throws, nothing is written: the
// transaction is aborted and the error thrown on.
const ENTRY = 13;

export function putEntries(db, scope, framesName, metaName, options, memory, d, texts) {
  const tx = db.transaction(scope, "readwrite", options);
  try {
    const frames = tx.objectStore(framesName);
    const meta = tx.objectStore(metaName);
    const mem = new Uint8Array(memory.buffer);
    for (let o = 0; o < d.length; o += ENTRY) {
      const key = hexKey(d[o + 7], d[o + 8], d[o + 9], d[o + 10]);
      frames.put(mem.slice(d[o], d[o] + d[o + 1]), key);
      const t = d[o + 12];
      meta.put({
        size: d[o + 2],
        created: d[o + 3],
        expires: d[o + 4] < 0 ? null : d[o + 4],
        lastAccess: d[o + 5],
        namespace: texts[d[o + 11]],
        tags: t < 0 ? [] : texts[t],
        cost: d[o + 6],
      }, key);
    }
  } catch (e) {
    try { tx.abort(); } catch { /* already finished: nothing pending */ }
    throw e;
  }
  // Where commit() does not exist the transaction commits by itself a moment
  // later; if it throws, the transaction has already ended and says how.
  try { tx.commit(); } catch { /* see above */ }
  return tx;
}
