// The web demo end to end, in Debian's Chromium: `node --test test/` in www/,
// with the larder package installed from its tarball (cargo xtask test, stage
// "www (Chromium e2e)", does both). The tests run in order on one browser
// profile, as one person's visit would: each builds on what the last left.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { INSECURE_HOST, launch, load, newPage, read, reload, screenshot, settle, startServer } from "./demo.mjs";

let server;
let browser;
let page;

before(async () => {
  server = await startServer();
  browser = await launch();
  page = await newPage(browser.context);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

function clean(p = page) {
  assert.deepEqual(p.problems, [], "console errors, page errors or failed requests");
}

const render = () => settle(page, () => page.click("#render"));
const rowsWith = (s, tag) => s.entries.filter((e) => e.tags.includes(tag));

test("IndexedDB: the first request is a miss, the same request again a hit", async () => {
  await load(page, server.url);
  let s = await read(page);
  assert.equal(s.backend, "indexeddb");
  assert.equal(s.result, "miss", s.resultText);
  assert.match(s.resultText, /rendered in [\d,.]+ ms in the worker, then stored in IndexedDB/);
  assert.equal(s.entries.length, 1);
  assert.deepEqual(s.entries[0].tags, ["iterations:1000", "region:seahorse", "size:800x500"]);
  assert.equal(s.entries[0].namespace, "mandelbrot v1");
  assert.deepEqual(s.notes, []);

  await render();
  s = await read(page);
  assert.equal(s.result, "hit", s.resultText);
  assert.match(s.resultText, /read from IndexedDB in [\d,.]+ ms; rendering it took [\d,.]+ ms/);
  assert.deepEqual(s.requests, ["hit", "miss"]);
  assert.equal(s.entries.length, 1);
  assert.equal(s.stats.hitRate, "50%");
  assert.equal(s.stats.entries, "1");
  assert.match(s.statsDetail, /^1 hit · 1 miss · 0 evicted/);
  await screenshot(page, "01-indexeddb-miss-then-hit");
  clean();
});

test("IndexedDB: the entry is still there after a reload", async () => {
  const before = (await read(page)).entries;
  await reload(page);
  const s = await read(page);
  assert.equal(s.backend, "indexeddb");
  // The page shows the last view again: from the cache.
  assert.equal(s.result, "hit", s.resultText);
  assert.deepEqual(s.requests, ["hit"]);
  assert.deepEqual(
    s.entries.map((e) => [e.params, e.bytes]),
    before.map((e) => [e.params, e.bytes]),
  );
  await screenshot(page, "02-indexeddb-after-reload");
  clean();
});

test("OPFS: switch, a miss, a hit, and the entry is still there after a reload", async () => {
  await settle(page, () => page.click('input[name="backend"][value="opfs"]'));
  let s = await read(page);
  assert.equal(s.backend, "opfs");
  assert.deepEqual(s.notes, []);
  assert.equal(s.emptyTable, "The cache is empty.", "OPFS is a store of its own");

  await render();
  s = await read(page);
  assert.equal(s.result, "miss", s.resultText);
  assert.match(s.resultText, /stored in OPFS/);
  assert.equal(s.entries.length, 1);
  await render();
  assert.equal((await read(page)).result, "hit");

  await reload(page);
  s = await read(page);
  assert.equal(s.backend, "opfs", "the choice of OPFS survives the reload");
  assert.equal(s.result, "hit", s.resultText);
  assert.match(s.resultText, /read from OPFS/);
  assert.equal(s.entries.length, 1);
  await screenshot(page, "03-opfs-after-reload");
  clean();
});

test("invalidating a tag removes the entries that carry it, and only those", async () => {
  // A second entry: another iteration count, so another key and another tag.
  await settle(page, () => page.selectOption("#iterations", "250"));
  let s = await read(page);
  assert.equal(s.result, "miss");
  assert.equal(s.entries.length, 2);
  assert.ok(s.tags.includes("iterations:250") && s.tags.includes("iterations:1000"), s.tags.join());

  await page.selectOption("#tag", "iterations:250");
  await settle(page, () => page.click("#invalidate"));
  s = await read(page);
  assert.equal(s.actionResult, "Invalidated 1 entry tagged iterations:250.");
  assert.equal(s.entries.length, 1);
  assert.equal(rowsWith(s, "iterations:1000").length, 1);
  assert.ok(!s.tags.includes("iterations:250"));

  // Gone for real: asking again computes again.
  await render();
  s = await read(page);
  assert.equal(s.result, "miss");
  assert.equal(s.entries.length, 2);
  await screenshot(page, "04-opfs-tag-invalidated");
  clean();
});

test("clear empties the cache", async () => {
  await settle(page, () => page.click("#clear"));
  let s = await read(page);
  assert.equal(s.actionResult, "Cleared the cache.");
  assert.equal(s.entries.length, 0);
  assert.equal(s.emptyTable, "The cache is empty.");
  assert.equal(s.stats.entries, "0");
  assert.equal(s.stats.storeBytes, "0 B");
  await render();
  s = await read(page);
  assert.equal(s.result, "miss", "a cleared cache has nothing to hit");
  assert.equal(s.entries.length, 1);
  await screenshot(page, "05-opfs-cleared-then-miss");
  clean();
});

test("a byte limit evicts the least recently used entries; a bad one changes nothing", async () => {
  await page.fill("#max-bytes", "12 parsecs");
  await settle(page, () => page.click("#apply"));
  let s = await read(page);
  assert.match(s.limitsError ?? "", /maxBytes: unknown unit "parsecs"/);
  assert.equal(s.backend, "opfs");
  assert.equal(s.entries.length, 1, "a refused limit leaves the cache as it was");
  assert.equal(await page.inputValue("#max-bytes"), "12 parsecs", "the typo stays there to fix");

  // A: the entry from before (seahorse, 250 iterations); B: another region.
  await settle(page, () => page.selectOption("#region", "elephant"));
  s = await read(page);
  assert.equal(s.result, "miss");
  const [a] = rowsWith(s, "region:seahorse");
  const [b] = rowsWith(s, "region:elephant");
  assert.ok(a && b, "two entries");

  // A limit that A and B just fit; the page reopens the cache with it.
  const limit = a.bytes + b.bytes;
  await page.fill("#max-bytes", String(limit));
  await settle(page, () => page.click("#apply"));
  s = await read(page);
  assert.equal(s.limitsError, null);
  assert.equal(await page.textContent('.tile[data-stat="storeBytes"] .tile-note'), `of ${limit}`);
  assert.equal(s.entries.length, 2);

  // Back to A, a hit: now B is the least recently used. Then C, which cannot fit beside both.
  await settle(page, () => page.click("#back"));
  assert.equal((await read(page)).result, "hit");
  await settle(page, () => page.selectOption("#region", "spiral"));
  s = await read(page);
  assert.equal(s.result, "miss");
  assert.equal(rowsWith(s, "region:elephant").length, 0, "B, the least recently used, was evicted");
  const [c] = rowsWith(s, "region:spiral");
  assert.ok(c, "C, just written, stays");
  assert.equal(rowsWith(s, "region:seahorse").length, a.bytes + c.bytes <= limit ? 1 : 0, "A goes only if A and C do not fit");
  assert.ok(s.entries.reduce((n, e) => n + e.bytes, 0) <= limit, "the entries fit the limit");
  assert.ok(Number(s.statsDetail.match(/(\d+) evicted/)[1]) >= 1, s.statsDetail);
  await screenshot(page, "06-opfs-byte-limit");

  await page.fill("#max-bytes", "50MB");
  await settle(page, () => page.click("#apply"));
  clean();
});

test("a TTL makes entries expire, and prune removes them", async () => {
  const kept = (await read(page)).entries.length;
  await page.fill("#ttl", "3s");
  await settle(page, () => page.click("#apply"));
  await settle(page, () => page.selectOption("#region", "minibrot"));
  let s = await read(page);
  assert.equal(s.result, "miss");
  const [fresh] = rowsWith(s, "region:minibrot");
  assert.match(fresh.expires, /^(in \d+ s|expired)$/);
  assert.ok(s.entries.filter((e) => e !== fresh).every((e) => e.expires === "never"), "a TTL applies to new entries");

  // The page counts expiries down every second; wait for this one to run out.
  await page.waitForFunction(() =>
    [...document.querySelectorAll("#entries tr.entry")].some((tr) => tr.textContent.includes("region:minibrot") && tr.cells[4].textContent === "expired"),
  );
  await settle(page, () => page.click("#prune"));
  s = await read(page);
  assert.equal(s.actionResult, "Pruned 1 expired entry.");
  assert.equal(s.entries.length, kept);
  assert.equal(rowsWith(s, "region:minibrot").length, 0);

  await page.fill("#ttl", "");
  await settle(page, () => page.click("#apply"));
  clean();
});

test("IndexedDB keeps its own entries while OPFS is in use", async () => {
  await settle(page, () => page.click('input[name="backend"][value="indexeddb"]'));
  const s = await read(page);
  assert.equal(s.backend, "indexeddb");
  assert.deepEqual(
    s.entries.map((e) => e.tags),
    [["iterations:1000", "region:seahorse", "size:800x500"]],
  );
  clean();
});

test("where OPFS is unavailable, a note names the cause and the page uses IndexedDB", async () => {
  // Not a secure context: a plain-http host that is not localhost.
  const insecure = await newPage(browser.context);
  await load(insecure, `http://${INSECURE_HOST}:${server.port}/`);
  assert.equal((await read(insecure)).backend, "indexeddb");
  await settle(insecure, () => insecure.click('input[name="backend"][value="opfs"]'));
  let s = await read(insecure);
  assert.equal(s.backend, "indexeddb");
  assert.equal(s.checked, "indexeddb");
  assert.equal(s.notes.length, 1, JSON.stringify(s.notes));
  assert.equal(s.notes[0].kind, "warn");
  assert.match(s.notes[0].text, /OPFS is unavailable here, so the cache uses IndexedDB\./);
  assert.match(s.notes[0].text, /OPFS is not available: this page is not a secure context/);
  await settle(insecure, () => insecure.click("#render"));
  assert.equal((await read(insecure)).result, "hit", "the cache still works, on IndexedDB");
  await screenshot(insecure, "07-opfs-unavailable-insecure-context");
  clean(insecure);
  await insecure.close();

  // A browser without OPFS (getDirectory gone), where the saved choice is OPFS: at load.
  await settle(page, () => page.click('input[name="backend"][value="opfs"]'));
  const old = await newPage(browser.context);
  await old.addInitScript(() => delete StorageManager.prototype.getDirectory);
  await load(old, server.url);
  s = await read(old);
  assert.equal(s.backend, "indexeddb");
  assert.match(s.notes[0]?.text ?? "", /OPFS is unavailable here, so the cache uses IndexedDB\./);
  assert.match(s.notes[0].text, /navigator\.storage\.getDirectory is missing: this browser is too old for OPFS/);
  assert.equal(rowsWith(s, "iterations:1000").length, 1, "IndexedDB's entry from the first tests is there");
  clean(old);
  await old.close();
});

test("where the site's storage is blocked, notes name the causes and the page works from memory", async () => {
  const blocked = await launch({ blockSiteData: true });
  try {
    const p = await newPage(blocked.context);
    await load(p, server.url);
    let s = await read(p);
    assert.equal(s.backend, "memory");
    assert.match(s.status, /memory only/);
    assert.equal(s.notes.length, 1, JSON.stringify(s.notes));
    assert.match(s.notes[0].text, /IndexedDB is unavailable here, so the cache uses memory only: entries will not survive a reload\./);
    assert.match(s.notes[0].text, /denied permission to access the database/);
    assert.equal(s.result, "miss");
    await settle(p, () => p.click("#render"));
    assert.equal((await read(p)).result, "hit", "memoized in memory");

    await settle(p, () => p.click('input[name="backend"][value="opfs"]'));
    s = await read(p);
    assert.equal(s.backend, "memory");
    const texts = s.notes.map((n) => n.text).join("\n");
    assert.match(texts, /OPFS is unavailable here, so the cache uses memory only/);
    assert.match(texts, /the browser blocks storage for this site/);
    assert.match(texts, /IndexedDB is unavailable too/);
    await settle(p, () => p.click("#render"));
    assert.equal((await read(p)).result, "hit", "still the same memory cache, entries and all");
    await screenshot(p, "08-storage-blocked");
    clean(p);
  } finally {
    await blocked.close();
  }
});
