// `larder/load` in Node: the Node build has no top-level await to avoid (its
// glue reads the .wasm synchronously), so `load()` resolves to what `larder`
// exports at once, for code shared with browsers and service workers.
import * as larder from "./index.js";

export async function load() {
  return larder;
}
