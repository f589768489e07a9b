// The package entry in Node: the glue from `wasm-bindgen --target
// experimental-nodejs-module` loads larder_wasm_bg.wasm synchronously from this
// directory when it is imported, so there is nothing to await.
export { Cache, decodeValue, encodeValue, keyHash } from "./larder_wasm.js";
