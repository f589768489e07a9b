// `larder/inline` in Node: the Node build with the .wasm inside the JS, for
// bundles that leave the file behind. The first import hands the bytes to the
// glue, which then reads no file; the second is `larder` itself (index.js),
// so where `larder` was imported first, both are the one instance it made.
import "./node-inline-wasm.js";

export { Cache, decodeValue, encodeValue, keyHash } from "./index.js";
