// How the Node build gets its .wasm. The glue from `wasm-bindgen --target
// experimental-nodejs-module` reads it with readFileSync next to itself;
// `cargo xtask npm` points that read here, so that `larder/inline` can hand
// over the bytes first (node-inline-wasm.js) and a file left behind (a bundle
// for Node does not copy it) is an error that says what to do rather than a
// bare ENOENT.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

let provided = null;

export function provideWasm(bytes) {
  provided = bytes;
}

export function readWasm(url) {
  if (provided !== null) return provided;
  try {
    return readFileSync(url);
  } catch (e) {
    if (e?.code !== "ENOENT") throw e;
    throw new Error(
      `larder: its WebAssembly file is not at ${fileURLToPath(url)}. A bundler for Node ` +
        `(esbuild --platform=node, for one) leaves it behind: import from "larder/inline" ` +
        `instead, which carries the wasm inside the JS, or keep larder out of the bundle ` +
        `(esbuild --packages=external).`,
      { cause: e },
    );
  }
}
