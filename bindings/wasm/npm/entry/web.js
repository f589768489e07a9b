// The package entry in browsers, bundlers and Deno: the glue from `wasm-bindgen
// --target web` needs the wasm fetched and instantiated first. Top-level await
// does it here, once, so `import { Cache } from "larder"` is all a user writes.
// The `new URL(..., import.meta.url)` form is the one bundlers (webpack 5,
// Vite, Rollup, esbuild, Parcel) recognise and copy the asset for. memo.js
// adds cache.memoize and cache.warm, written in JS over getOrCompute.
import init, { Cache } from "./larder_wasm.js";
import { install } from "./memo.js";

await init({ module_or_path: new URL("./larder_wasm_bg.wasm", import.meta.url) });
install(Cache);

export { Cache, decodeValue, encodeValue, keyHash } from "./larder_wasm.js";
