// The package in headless Chromium: `node browser.js <project>`, where
// <project> is a temporary project with the packed tarball installed and the
// checks copied to <project>/tests (cargo xtask test prepares it). Serves
// <project> on 127.0.0.1, builds the page's import map from the package's
// exports (the "browser" condition), runs the checks in the page, reloads it,
// and runs the checks that IndexedDB kept the entries. Exits non-zero on any
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
    if (path.endsWith("index.html")) {
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

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
const problems = [];
let failed = 0;
try {
  const page = await browser.newPage();
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("response", (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()}: ${r.url()}`));
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
  });
  const phase = async (name) => {
    await page.waitForFunction(() => window.larderTests !== undefined);
    const results = await page.evaluate((p) => window.larderTests.run(p), name);
    if (results.length === 0) throw new Error(`phase ${name} ran no checks`);
    for (const r of results) {
      console.log(`${r.ok ? "ok" : "FAILED"} - chromium ${name}: ${r.name}`);
      if (!r.ok) {
        failed++;
        console.log(r.error.replace(/^/gm, "    "));
      }
    }
    return results.length;
  };
  await page.goto(url);
  let ran = await phase("main");
  await page.reload();
  ran += await phase("persisted");
  console.log(`chromium: ${ran - failed} passed, ${failed} failed (${await browser.version()})`);
} finally {
  await browser.close();
  server.close();
}
for (const p of problems) console.log(p);
process.exit(failed > 0 || problems.length > 0 ? 1 : 0);
