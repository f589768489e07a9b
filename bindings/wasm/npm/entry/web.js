// The package entry in browsers, bundlers and Deno: the glue from `wasm-bindgen
// --target web` needs the wasm fetched and instantiated first. Top-level await
// does it here, once, so `import { Cache } from "larder"` is all a user writes.
// The `new URL(..., import.meta.url)` form is the one webpack 5 and Vite (and
// Parcel) recognise and copy the file for; esbuild and Rollup leave it
// behind, hence `larder/inline` (web-inline.js) and the error below that
// points to it. memo.js adds cache.memoize and cache.warm, written in JS over
// getOrCompute.
import init, { Cache } from "./larder_wasm.js";
import { install } from "./memo.js";

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
await init({ module_or_path: response });
install(Cache);

export { Cache, decodeValue, encodeValue, keyHash } from "./larder_wasm.js";
