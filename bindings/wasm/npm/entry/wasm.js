// The .wasm of the web glue, fetched from next to this module: what web.js
// and load.js hand to wasm-bindgen's init. The `new URL(..., import.meta.url)`
// form is the one webpack 5 and Vite (and Parcel) recognise and copy the file
// for; esbuild and Rollup leave it behind, hence `larder/inline` and the error
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
