// Serves the web demo on 127.0.0.1: `node server.mjs [--port N]` (default
// 8787; 0 picks a free port). `cargo xtask demo --web` builds the npm package,
// installs its tarball here and runs this. The page imports "larder" as any
// user's page would; the import map that resolves it is built from the
// installed package's own exports (its "browser" condition), so nothing here
// knows the package's layout. Serves until Ctrl-C.
//
// 127.0.0.1 is a secure context, which OPFS needs; and it keeps the demo off
// the network. Storage is per origin, port included: keep the port to keep
// the cache.

import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const DEFAULT_PORT = 8787;

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
};

/** Resolve a package.json exports target for these conditions, as Node does: first match wins. */
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

async function importMap() {
  const manifest = join(here, "node_modules", "larder", "package.json");
  let pkg;
  try {
    pkg = JSON.parse(await readFile(manifest, "utf8"));
  } catch (e) {
    throw new Error(
      `the larder package is not installed in ${join(here, "node_modules")} (${e.code ?? e.message}): ` +
        "run `cargo xtask demo --web`, which builds the package and installs its tarball here",
    );
  }
  const entry = resolveExport(pkg.exports?.["."], ["browser", "import"]);
  if (!entry) throw new Error(`${manifest} has no export for browsers`);
  return { imports: { larder: `/node_modules/larder/${entry.replace(/^\.\//, "")}` } };
}

/** The file a URL path names, or null: the page's own files and the larder package, nothing else. */
function fileFor(urlPath) {
  const rel = urlPath === "/" ? "/index.html" : urlPath;
  const path = resolve(here, "." + rel);
  if (!path.startsWith(here + sep) || !MIME[extname(path)]) return null;
  const inside = path.slice(here.length + 1).split(sep);
  if (inside[0] === "test") return null;
  if (inside[0] === "node_modules" && inside[1] !== "larder") return null;
  return path;
}

function parsePort(args) {
  if (args.length === 0) return DEFAULT_PORT;
  const port = Number(args[1]);
  if (args[0] !== "--port" || args.length !== 2 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`usage: node server.mjs [--port N] (N from 0 to 65535; 0 picks a free port), got ${args.join(" ")}`);
  }
  return port;
}

async function main() {
  const port = parsePort(process.argv.slice(2));
  const mapTag = `<script type="importmap">${JSON.stringify(await importMap())}</script>`;
  const server = createServer(async (req, res) => {
    let path = null;
    try {
      path = fileFor(decodeURIComponent(new URL(req.url, "http://x").pathname));
    } catch {
      // A malformed escape in the URL: not one of our files.
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (!path) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    try {
      let body = await readFile(path);
      if (path.endsWith(".html")) body = body.toString("utf8").replace("<!--IMPORTMAP-->", mapTag);
      // no-cache: a rebuilt package or an edited page shows on the next reload.
      res.writeHead(200, { "content-type": MIME[extname(path)], "cache-control": "no-cache" }).end(body);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    }
  });
  await new Promise((ok, fail) => {
    server.once("error", (e) => {
      fail(e.code === "EADDRINUSE" ? new Error(`port ${port} on 127.0.0.1 is in use; pass --port N to use another`) : e);
    });
    server.listen(port, "127.0.0.1", ok);
  });
  // The tests read this line for the URL.
  console.log(`larder web demo: http://127.0.0.1:${server.address().port}/`);
  console.log("(Ctrl-C to stop)");
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.on(signal, () => {
      server.close();
      server.closeAllConnections();
    });
  }
}

main().catch((e) => {
  console.error(`server.mjs: ${e.message}`);
  process.exit(1);
});
