// The package entry in browsers, bundlers and Deno: the glue from `wasm-bindgen
// --target web` needs the wasm fetched and instantiated first. Top-level await
// does it here, once, so `import { Cache } from "larder"` is all a user writes.
// The `new URL(..., import.meta.url)` form is the one bundlers (webpack 5,
// Vite, Rollup, esbuild, Parcel) recognise and copy the asset for.
import init from "./larder_wasm.js";

await init({ module_or_path: new URL("./larder_wasm_bg.wasm", import.meta.url) });

export { Cache, decodeValue, encodeValue, keyHash } from "./larder_wasm.js";
