// A benchmark page in a fresh headless Chromium (Debian's, driven by
// playwright-core), served from 127.0.0.1: what run.mjs and ab.mjs share.

import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";

import { chromium } from "playwright-core";

const MIME = { ".js": "text/javascript", ".mjs": "text/javascript", ".html": "text/html", ".wasm": "application/wasm", ".json": "application/json" };

/**
 * Serve files under `root` and a page importing `script` with `imports` as
 * its import map; open it (plus `query`) in a Chromium started with `flags`
 * and return its `window.benchResults` once set, with the browser's
 * version. Throws if the page sets `error` there or reports one. With
 * `profile`, also `profiles`: the CPU profile (sampled every 50 µs) of each
 * `console.profile()` … `console.profileEnd()` the page ran.
 */
export async function runPage({ root, imports, script, flags = [], query = "", profile = false }) {
  const page = `<!doctype html><meta charset="utf-8"><title>larder bench</title>
<link rel="icon" href="data:,">
<script type="importmap">${JSON.stringify({ imports })}</script><script type="module" src="/${script}"></script>`;
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname));
    // Cross-origin isolated, so that performance.now() counts in 5 µs steps
    // rather than 100 µs (bench/phases.mjs times single calls).
    const isolated = { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" };
    if (path === "/") {
      res.writeHead(200, { "content-type": "text/html", ...isolated }).end(page);
      return;
    }
    try {
      const body = await readFile(join(root, path));
      res.writeHead(200, { "content-type": MIME[extname(path)] ?? "application/octet-stream", ...isolated }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", ...flags],
  });
  try {
    const p = await browser.newPage();
    const errors = [];
    p.on("pageerror", (e) => errors.push(String(e)));
    p.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    const profiles = [];
    if (profile) {
      const cdp = await p.context().newCDPSession(p);
      cdp.on("Profiler.consoleProfileFinished", (e) => profiles.push(e.profile));
      await cdp.send("Profiler.enable");
      await cdp.send("Profiler.setSamplingInterval", { interval: 50 });
    }
    await p.goto(`http://127.0.0.1:${server.address().port}/${query}`);
    await p.waitForFunction(() => window.benchResults, null, { timeout: 600_000, polling: 500 });
    const r = await p.evaluate(() => window.benchResults);
    if (r.error || errors.length) throw new Error(`the browser benchmark failed: ${r.error ?? errors.join("\n")}`);
    return { ...r, version: browser.version(), ...(profile ? { profiles } : {}) };
  } finally {
    await browser.close();
    server.close();
  }
}

/** Where a page served from the bench directory finds idb-keyval. */
export const IDB_KEYVAL = "/node_modules/idb-keyval/dist/index.js";

/**
 * The import map of a page served from `root` (the bench directory) for the
 * packages installed there: larder (cargo xtask bench --js installs it from
 * its tarball) and idb-keyval.
 */
export async function installedImports(root) {
  return {
    larder: `/node_modules/larder/${await browserEntry(join(root, "node_modules/larder"))}`,
    "idb-keyval": IDB_KEYVAL,
  };
}

/** The module a page imports for the larder package unpacked at `dir` (its `browser` export). */
export async function browserEntry(dir) {
  const pkg = JSON.parse(await readFile(join(dir, "package.json"), "utf8"));
  const browser = pkg.exports["."].browser;
  return normalize(typeof browser === "string" ? browser : browser.default);
}
