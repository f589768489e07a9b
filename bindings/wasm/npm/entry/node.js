// The package entry in Node: the glue from `wasm-bindgen --target
// experimental-nodejs-module` loads larder_wasm_bg.wasm synchronously from this
// directory when it is imported, so there is nothing to await. memo.js adds
// cache.memoize and cache.warm, written in JS over getOrCompute.
import { Cache } from "./larder_wasm.js";
import { install } from "./memo.js";

install(Cache);

export { Cache, decodeValue, encodeValue, keyHash } from "./larder_wasm.js";
