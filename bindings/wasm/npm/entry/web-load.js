// `larder/load` in browsers and Deno: the web glue without top-level await,
// for where a module may not await at its top level (a service worker, whose
// scripts must not). `load()` fetches and instantiates the .wasm once and
// resolves to what `larder` exports; a failed load may be retried.
import { fetchWasm, start } from "./wasm.js";

let loading;

export function load() {
  loading ??= start(fetchWasm()).catch((e) => {
    loading = undefined;
    throw e;
  });
  return loading;
}
