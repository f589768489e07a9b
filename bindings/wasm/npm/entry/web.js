// The package entry in browsers, bundlers and Deno: the glue from `wasm-bindgen
// --target web` needs the wasm fetched and instantiated first. Top-level await
// does it here, once, so `import { Cache } from "larder"` is all a user writes
// (where a module may not await at its top level, load.js). memo.js adds
// cache.memoize and cache.warm, written in JS over getOrCompute.
import init, { Cache } from "./larder_wasm.js";
import { install } from "./memo.js";
import { fetchWasm } from "./wasm.js";

await init({ module_or_path: await fetchWasm() });
install(Cache);

export { Cache, decodeValue, encodeValue, keyHash } from "./larder_wasm.js";
