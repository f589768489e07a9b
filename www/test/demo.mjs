// What the end-to-end tests need around the page: the demo's own server
// (server.mjs, started as `cargo xtask demo --web` starts it), Debian's
// Chromium through playwright-core with a profile of its own, and readers of
// the page's state. Each page records every console error or warning, page
// error and failed response; the tests assert there are none.

import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

const www = dirname(dirname(fileURLToPath(import.meta.url)));

/** Where screenshots go: $LARDER_WWW_ARTIFACTS (xtask sets it), else target/artifacts/www. */
export const ARTIFACTS = process.env.LARDER_WWW_ARTIFACTS ?? join(www, "..", "target", "artifacts", "www");

/**
 * A name that Chromium resolves to 127.0.0.1 (--host-resolver-rules) but
 * does not treat as localhost: pages from it are not a secure context, so
 * they have no OPFS, as on any plain-http site.
 */
export const INSECURE_HOST = "larder-demo.test";

/** Start server.mjs on a free port; resolves to { url, port, stop }. */
export async function startServer() {
  const child = spawn(process.execPath, [join(www, "server.mjs"), "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise((resolve, reject) => {
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const m = out.match(/larder web demo: (http:\/\/127\.0\.0\.1:\d+\/)/);
      if (m) resolve(m[1]);
    });
    child.once("exit", (code) => reject(new Error(`server.mjs exited (${code}) before serving; it printed: ${out}`)));
  });
  return {
    url,
    port: new URL(url).port,
    stop: () => new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.once("exit", resolve), child.kill("SIGINT")))),
  };
}

/**
 * Chromium with a fresh profile on disk (removed by `close`). `blockSiteData`
 * sets the profile's content setting that blocks cookies and site data for
 * every site, as "Block all cookies" does: no localStorage, IndexedDB or OPFS.
 */
export async function launch({ blockSiteData = false } = {}) {
  const profile = await mkdtemp(join(tmpdir(), "larder-www-profile-"));
  if (blockSiteData) {
    await mkdir(join(profile, "Default"));
    const prefs = { profile: { default_content_setting_values: { cookies: 2 } } };
    await writeFile(join(profile, "Default", "Preferences"), JSON.stringify(prefs));
  }
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", `--host-resolver-rules=MAP ${INSECURE_HOST} 127.0.0.1`],
    viewport: { width: 1360, height: 1000 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** A new page of `context` whose problems are recorded in `page.problems`. */
export async function newPage(context) {
  const page = await context.newPage();
  page.setDefaultTimeout(120_000);
  page.problems = [];
  page.on("pageerror", (e) => page.problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") page.problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("response", (r) => r.status() >= 400 && page.problems.push(`HTTP ${r.status()}: ${r.url()}`));
  return page;
}

/** Load `url` and wait for the page to open its cache and show its first view. */
export async function load(page, url) {
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.ready === "1");
}

/** Reload, and wait as `load` does. */
export async function reload(page) {
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready === "1");
}

/** Do `action` (a click, a choice) and wait until the page has finished what it started. */
export async function settle(page, action) {
  const done = await page.evaluate(() => Number(document.body.dataset.done ?? 0));
  await action();
  await page.waitForFunction((n) => Number(document.body.dataset.done ?? 0) > n, done);
}

/** What the page shows: backend, last result, requests, entries, stats, notes. */
export function read(page) {
  return page.evaluate(() => {
    const text = (sel) => document.querySelector(sel)?.textContent.trim() ?? null;
    return {
      backend: document.getElementById("status").dataset.backend,
      status: text("#status"),
      checked: document.querySelector('input[name="backend"]:checked')?.value ?? null,
      result: document.getElementById("result").dataset.kind,
      resultText: text("#result"),
      requests: [...document.querySelectorAll("#requests tr.request")].map((tr) => (tr.classList.contains("hit") ? "hit" : "miss")),
      entries: [...document.querySelectorAll("#entries tr.entry")].map((tr) => ({
        namespace: tr.cells[0].textContent,
        params: tr.cells[1].innerText,
        bytes: Number(tr.querySelector("td.size").dataset.bytes),
        expires: tr.cells[4].textContent,
        tags: [...tr.querySelectorAll(".chip")].map((c) => c.textContent).sort(),
      })),
      emptyTable: text("#entries td.empty"),
      tags: [...document.querySelectorAll("#tag option")].map((o) => o.value).filter(Boolean),
      stats: Object.fromEntries([...document.querySelectorAll(".tile")].map((t) => [t.dataset.stat, t.querySelector(".tile-value").textContent])),
      statsDetail: text("#stats-detail"),
      actionResult: text("#action-result"),
      limitsError: document.getElementById("limits-error").hidden ? null : text("#limits-error"),
      notes: [...document.querySelectorAll("#notes .note")].map((n) => ({ kind: n.classList.contains("warn") ? "warn" : "error", text: n.innerText })),
    };
  });
}

/** Save a full-page screenshot as ARTIFACTS/<name>.png. */
export async function screenshot(page, name) {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}
