// How the web builds get their .wasm running, shared by index.js (web.js),
// load.js (web-load.js) and inline.js (web-inline.js).
import init, { Cache, decodeValue, encodeValue, keyHash } from "./larder_wasm.js";
import { install } from "./memo.js";

// Instantiate the wasm from `source` (a Response, a promise of one, or the
// bytes) and resolve to what the package exports. memo.js adds
// cache.memoize and cache.warm, written in JS over getOrCompute.
export async function start(source) {
  await init({ module_or_path: await source });
  install(Cache);
  return Object.freeze({ Cache, decodeValue, encodeValue, keyHash });
}

// The .wasm fetched from next to this module. The `new URL(..., import.meta.url)`
// form is the one webpack 5 and Vite recognise and copy the file for;
// esbuild and Rollup leave it behind, hence `larder/inline` and the error
// below that points to it.
export async function fetchWasm() {
  const url = new URL("./larder_wasm_bg.wasm", import.meta.url);
  const response = await fetch(url);
  // A missing file is a 404, or the page itself where a server answers every
  // path with it (a single-page app's fallback).
  if (!response.ok || response.headers.get("content-type")?.startsWith("text/html")) {
    const found = response.ok ? "an HTML page" : `${response.status} ${response.statusText}`.trim();
    throw new Error(
      `larder: its WebAssembly file is not at ${url} (${found}). A bundler that does not copy ` +
        `files referenced as new URL("...", import.meta.url) leaves it behind (esbuild; Rollup ` +
        `without an assets plugin): import from "larder/inline" instead, which carries the wasm ` +
        `inside the JS, or copy node_modules/larder/web/larder_wasm_bg.wasm next to the bundle.`,
    );
  }
  return response;
}
