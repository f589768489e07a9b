// The package entry in browsers, bundlers and Deno: the glue from `wasm-bindgen
// --target web` needs the wasm fetched and instantiated first. Top-level await
// does it here, once, so `import { Cache } from "larder"` is all a user writes
// (where a module may not await at its top level, load.js; both share one
// instance).
import { load } from "./load.js";

export const { Cache, decodeValue, encodeValue, keyHash } = await load();
