// The package in headless Chromium: `node browser.js <project>`, where
// <project> is a temporary project with the packed tarball installed and the
// checks copied to <project>/tests (cargo xtask test prepares it). Serves
// <project> on 127.0.0.1, builds the page's import map from the package's
// exports (the "browser" condition), runs the checks in the page, reloads it,
// runs the checks that IndexedDB kept the entries, then the quota checks
// (browser/quota.js) with the quota set through the DevTools protocol, then
// a module service worker that uses `larder/load` (browser/sw.html, sw.js). Exits non-zero on any
// failed check, page error or console error/warning.

import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, resolve, sep } from "node:path";

import { chromium } from "playwright-core";

const root = resolve(process.argv[2] ?? "");
if (!process.argv[2]) {
  console.error("usage: node browser.js <project dir>");
  process.exit(2);
}

/** Resolve an exports target for these conditions, as Node's algorithm does (first match wins). */
function resolveExport(target, conditions) {
  if (typeof target === "string") return target;
  for (const [key, value] of Object.entries(target ?? {})) {
    if (key === "default" || conditions.includes(key)) {
      const found = resolveExport(value, conditions);
      if (found) return found;
    }
  }
  return null;
}

const pkg = JSON.parse(await readFile(join(root, "node_modules/larder/package.json"), "utf8"));
const entry = resolveExport(pkg.exports["."], ["browser", "import"]);
if (!entry?.startsWith("./web/")) throw new Error(`the browser condition resolves to ${entry}, not the web build`);
const importMap = { imports: { larder: `/node_modules/larder/${entry.slice(2)}` } };

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
};

const server = createServer(async (req, res) => {
  const path = resolve(root, "." + decodeURIComponent(new URL(req.url, "http://x").pathname));
  const type = MIME[extname(path)];
  if (!path.startsWith(root + sep) || !type) {
    res.writeHead(404).end();
    return;
  }
  try {
    let body = await readFile(path);
    if (path.endsWith(".html")) {
      const map = `<script type="importmap">${JSON.stringify(importMap)}</script>`;
      body = body.toString("utf8").replace("<!--IMPORTMAP-->", map);
    }
    res.writeHead(200, { "content-type": type, "cache-control": "no-store" }).end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const url = `http://127.0.0.1:${server.address().port}/tests/browser/index.html`;

/** The origin's quota in the quota checks, in bytes. */
const QUOTA = 3 * 1024 * 1024;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
const problems = [];
let failed = 0;
try {
  /** A page in a new browser context (its own, empty storage), watched for errors. */
  const newPage = async () => {
    const page = await (await browser.newContext()).newPage();
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("response", (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()}: ${r.url()}`));
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
    });
    return page;
  };
  const phase = async (page, name) => {
    await page.waitForFunction(() => window.larderTests !== undefined);
    const results = await page.evaluate((p) => window.larderTests.run(p), name);
    if (results.length === 0) throw new Error(`phase ${name} ran no checks`);
    for (const r of results) {
      console.log(`${r.ok ? "ok" : "FAILED"} - chromium ${name}: ${r.name}`);
      if (r.figures) console.log(r.figures);
      if (!r.ok) {
        failed++;
        console.log(r.error.replace(/^/gm, "    "));
      }
    }
    return results.length;
  };
  const page = await newPage();
  await page.goto(url);
  let ran = await phase(page, "main");
  await page.reload();
  ran += await phase(page, "persisted");

  // The quota checks (browser/quota.js), one fresh context per backend: the
  // quota is lowered through the DevTools protocol before the page first
  // touches storage (Chromium keeps the quota an IndexedDB database started
  // with). navigator.storage.estimate() does not show the override; the
  // protocol's own figures do, so the page gets those as larderQuota().
  const origin = new URL(url).origin;
  for (const backend of ["indexeddb", "opfs"]) {
    const quotaPage = await newPage();
    const cdp = await quotaPage.context().newCDPSession(quotaPage);
    await cdp.send("Storage.overrideQuotaForOrigin", { origin, quotaSize: QUOTA });
    await quotaPage.exposeFunction("larderQuota", async () => {
      const { usage, quota, overrideActive } = await cdp.send("Storage.getUsageAndQuota", { origin });
      return { usage, quota, overrideActive };
    });
    await quotaPage.goto(url);
    ran += await phase(quotaPage, `quota:${backend}`);
    await quotaPage.context().close();
  }
  // A module service worker on `larder/load` (browser/sw.html and sw.js).
  const swPage = await newPage();
  await swPage.goto(url.replace("index.html", "sw.html"));
  await swPage.waitForFunction(() => window.swResult !== undefined, null, { timeout: 60_000 });
  const sw = await swPage.evaluate(() => window.swResult);
  const swOk = sw === "ok";
  console.log(`${swOk ? "ok" : "FAILED"} - chromium: a module service worker uses larder/load, the page reads its entry`);
  if (!swOk) {
    failed++;
    console.log(sw.replace(/^/gm, "    "));
  }
  ran++;
  await swPage.context().close();
  console.log(`chromium: ${ran - failed} passed, ${failed} failed (${await browser.version()})`);
} finally {
  await browser.close();
  server.close();
}
for (const p of problems) console.log(p);
process.exit(failed > 0 || problems.length > 0 ? 1 : 0);
