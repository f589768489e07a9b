// The package through the bundlers users build pages with: `node bundlers.js
// <project>`, where <project> has the packed tarball installed (cargo xtask
// test prepares it). A small app is written into <project>/bundlers, bundled
// by each tool from this test project's node_modules (vite, webpack, esbuild,
// rollup), served on 127.0.0.1 and run in headless Chromium:
//
// - `import { Cache } from "larder"` through Vite (build, and its dev server)
//   and webpack 5, which copy the .wasm that `new URL(..., import.meta.url)`
//   names;
// - `import { Cache } from "larder/inline"` through esbuild and Rollup, which
//   do not (the .wasm rides in the JS);
// - `import { Cache } from "larder"` through esbuild must fail with the error
//   that names "larder/inline", not a bare 404, also where the server answers
//   the missing .wasm with the page.
//
// And bundles for Node (esbuild --platform=node), run by Node: from
// "larder/inline" it works; from "larder" the .wasm is left behind and the
// import must fail with the error that names "larder/inline", not ENOENT.
//
// The app checks a key vector of tests/vectors/keys.json, a round trip
// (IndexedDB in the pages, the filesystem in Node) with the params in another
// order, and that the entry is there. Exits non-zero on any failure.

import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, resolve, sep } from "node:path";

import { nodeResolve } from "@rollup/plugin-node-resolve";
import * as esbuild from "esbuild";
import { chromium } from "playwright-core";
import { rollup } from "rollup";
import * as vite from "vite";
import webpack from "webpack";

const project = resolve(process.argv[2] ?? "");
if (!process.argv[2]) {
  console.error("usage: node bundlers.js <project dir>");
  process.exit(2);
}
const work = join(project, "bundlers");

// The first vector whose params are a plain object of two or more members
// with no tagged values, so that the page shows the same key as every other
// larder.
const { vectors } = JSON.parse(await readFile(join(project, "tests", "keys.json"), "utf8"));
const plain = (p) => p && typeof p === "object" && !Array.isArray(p) && Object.keys(p).length > 1 && !JSON.stringify(p).includes('"$');
const vector = vectors.find((v) => v.version === 0 && plain(v.params));

/**
 * The app's source, importing the package by `specifier`; `open` is the
 * options of Cache.open as JS source, `done` the statement that reports success.
 */
const app = (specifier, open = `{ name: "bundled" }`, done = `window.bundled = "ok";`) => `import { Cache, keyHash } from ${JSON.stringify(specifier)};
const fail = (what) => { throw new Error(what); };
const hash = keyHash(${JSON.stringify(vector.namespace)}, ${JSON.stringify(vector.params)});
if (hash !== ${JSON.stringify(vector.key_hash_hex)}) fail("key vector ${vector.name}: " + hash);
const cache = await Cache.open(${open});
await cache.set("bundled", { a: 1, b: [2, 3] }, { hello: new Map([["bundler", 1n]]) });
const back = await cache.get("bundled", { b: [2, 3], a: 1 });
if (back?.hello?.get("bundler") !== 1n) fail("round trip: " + String(back));
const stats = await cache.stats();
if (stats.entries !== 1) fail("stats: " + JSON.stringify(stats, (k, v) => typeof v === "bigint" ? String(v) : v));
${done}
`;
const html = (script) =>
  `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module" src="${script}"></script>\n`;

/** Write a source tree for `specifier` under work/<name>: index.html, src/app.js. */
async function source(name, specifier) {
  const dir = join(work, name);
  await mkdir(join(dir, "src"), { recursive: true });
  await writeFile(join(dir, "src", "app.js"), app(specifier));
  await writeFile(join(dir, "index.html"), html("./src/app.js"));
  return dir;
}

/** Each case builds its page and returns the directory to serve, or a dev server's URL. */
const cases = [
  {
    name: "vite build, larder",
    async build() {
      const root = await source("vite", "larder");
      await vite.build({ root, logLevel: "warn", build: { outDir: join(root, "dist"), emptyOutDir: true } });
      return { dir: join(root, "dist") };
    },
  },
  {
    name: "vite dev server, larder",
    async build() {
      const root = await source("vite-dev", "larder");
      const server = await vite.createServer({ root, logLevel: "warn", server: { host: "127.0.0.1", port: 0 } });
      await server.listen();
      return { url: server.resolvedUrls.local[0], close: () => server.close() };
    },
  },
  {
    name: "webpack 5, larder",
    async build() {
      const root = await source("webpack", "larder");
      const dist = join(root, "dist");
      const stats = await new Promise((ok, fail) =>
        webpack({
          mode: "production",
          context: root,
          entry: "./src/app.js",
          output: { path: dist, module: true, filename: "app.js" },
          experiments: { outputModule: true },
          performance: { hints: false },
        }).run((e, s) => (e ? fail(e) : ok(s))),
      );
      if (stats.hasErrors()) throw new Error(stats.toString("errors-only"));
      await writeFile(join(dist, "index.html"), html("./app.js"));
      return { dir: dist };
    },
  },
  {
    name: "esbuild, larder/inline",
    async build() {
      return bundleWithEsbuild(await source("esbuild-inline", "larder/inline"));
    },
  },
  {
    name: "rollup, larder/inline",
    async build() {
      const root = await source("rollup-inline", "larder/inline");
      const dist = join(root, "dist");
      const bundle = await rollup({ input: join(root, "src", "app.js"), plugins: [nodeResolve({ browser: true })] });
      await bundle.write({ dir: dist, format: "es" });
      await bundle.close();
      await writeFile(join(dist, "index.html"), html("./app.js"));
      return { dir: dist };
    },
  },
  {
    name: "esbuild, larder, on a server that answers every path with the page",
    expectError: "its WebAssembly file is not at http://127.0.0.1:PORT/larder_wasm_bg.wasm (an HTML page)",
    async build() {
      return { ...(await bundleWithEsbuild(await source("esbuild-spa", "larder"))), fallback: true };
    },
  },
  {
    name: "esbuild, larder (the .wasm left behind)",
    expectError: 'its WebAssembly file is not at http://127.0.0.1:PORT/larder_wasm_bg.wasm (404 Not Found). A bundler that does not copy files referenced as new URL("...", import.meta.url) leaves it behind (esbuild; Rollup without an assets plugin): import from "larder/inline" instead',
    async build() {
      return bundleWithEsbuild(await source("esbuild", "larder"));
    },
  },
];

async function bundleWithEsbuild(root) {
  const dist = join(root, "dist");
  await esbuild.build({ entryPoints: [join(root, "src", "app.js")], bundle: true, format: "esm", outdir: dist, logLevel: "warning" });
  await writeFile(join(dist, "index.html"), html("./app.js"));
  return { dir: dist };
}

const MIME = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8", ".wasm": "application/wasm" };

/**
 * Serve `dir` on 127.0.0.1; resolves to [url, close]. With `fallback`, a
 * missing file gets index.html, as single-page apps are often served.
 */
async function serve(dir, fallback) {
  const server = createServer(async (req, res) => {
    const path = resolve(dir, "." + decodeURIComponent(new URL(req.url, "http://x").pathname).replace(/\/$/, "/index.html"));
    let body;
    let type = MIME[extname(path)] ?? "application/octet-stream";
    try {
      if (!path.startsWith(dir + sep)) throw new Error("outside");
      body = await readFile(path);
    } catch {
      if (!fallback) {
        res.writeHead(404, "Not Found").end();
        return;
      }
      body = await readFile(join(dir, "index.html"));
      type = MIME[".html"];
    }
    res.writeHead(200, { "content-type": type }).end(body);
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return [`http://127.0.0.1:${server.address().port}/`, () => server.close()];
}

/**
 * Bundles for Node: each is built by esbuild with --platform=node from
 * `specifier`, then run by Node with a fresh cache directory. The app prints
 * "bundled: ok"; with `expectError`, the run must fail with that error
 * (DIST: the bundle's directory).
 */
const nodeCases = [
  { name: "esbuild for Node, larder/inline", specifier: "larder/inline" },
  {
    name: "esbuild for Node, larder (the .wasm left behind)",
    specifier: "larder",
    expectError: 'its WebAssembly file is not at DIST/larder_wasm_bg.wasm. A bundler for Node (esbuild --platform=node, for one) leaves it behind: import from "larder/inline" instead',
  },
];

async function runNodeCase(c, name) {
  const root = join(work, name);
  await mkdir(join(root, "src"), { recursive: true });
  await writeFile(join(root, "src", "app.js"), app(c.specifier, "{ dir: process.argv[2] }", `console.log("bundled: ok");`));
  const dist = join(root, "dist");
  await esbuild.build({ entryPoints: [join(root, "src", "app.js")], bundle: true, platform: "node", format: "esm", outfile: join(dist, "app.mjs"), logLevel: "warning" });
  const dir = await mkdtemp(join(tmpdir(), "larder-bundled-"));
  try {
    const [code, stdout, stderr] = await new Promise((done) =>
      execFile(process.execPath, [join(dist, "app.mjs"), dir], (e, out, err) => done([e ? e.code ?? 1 : 0, out, err])),
    );
    if (c.expectError) {
      const want = `larder: ${c.expectError.replace("DIST", dist)}`;
      if (code === 0 || !stderr.includes(want)) throw new Error(`wanted the error ${JSON.stringify(want)}, got exit ${code}: ${stdout}${stderr}`);
    } else if (code !== 0 || !stdout.includes("bundled: ok")) {
      throw new Error(`the bundle did not finish (exit ${code}): ${stdout}${stderr}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

let passed = 0;
let failed = 0;

/** Run one case, print how it went and count it. */
async function check(name, run) {
  try {
    await run();
    console.log(`ok - ${name}`);
    passed++;
  } catch (e) {
    console.log(`FAILED - ${name}\n${String(e.stack ?? e).replace(/^/gm, "    ")}`);
    failed++;
  }
}

for (const [i, c] of nodeCases.entries()) {
  await check(c.name, () => runNodeCase(c, `node-${i}`));
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
try {
  for (const c of cases) {
    let close = () => {};
    await check(c.name, async () => {
      const built = await c.build();
      let url = built.url;
      if (built.dir) [url, close] = await serve(built.dir, built.fallback);
      else close = built.close;
      const page = await (await browser.newContext()).newPage();
      const errors = [];
      page.on("pageerror", (e) => errors.push(e.message));
      const ran = await page
        .goto(url)
        .then(() => page.waitForFunction(() => window.bundled || null, null, { timeout: 30_000 }))
        .then(() => true, () => false);
      const port = new URL(url).port;
      if (c.expectError) {
        const want = `larder: ${c.expectError.replace("PORT", port)}`;
        if (ran || !errors.some((e) => e.startsWith(want))) throw new Error(`wanted the error ${JSON.stringify(want)}, got ${ran ? "a working page" : JSON.stringify(errors)}`);
      } else if (!ran || errors.length) {
        throw new Error(`the page did not finish: ${JSON.stringify(errors)}`);
      }
      await page.context().close();
    });
    await close();
  }
  console.log(`bundlers: ${passed} passed, ${failed} failed (${await browser.version()})`);
} finally {
  await browser.close();
}
process.exit(failed > 0 ? 1 : 0);
