// `larder/load` in browsers and Deno: the web glue without top-level await,
// for where a module may not await at its top level (a service worker, whose
// scripts must not). `load()` fetches and instantiates the .wasm once and
// resolves to what `larder` exports; a failed load may be retried.
import init, { Cache, decodeValue, encodeValue, keyHash } from "./larder_wasm.js";
import { install } from "./memo.js";
import { fetchWasm } from "./wasm.js";

let loading;

export function load() {
  loading ??= fetchWasm()
    .then((response) => init({ module_or_path: response }))
    .then(
      () => {
        install(Cache);
        return Object.freeze({ Cache, decodeValue, encodeValue, keyHash });
      },
      (e) => {
        loading = undefined;
        throw e;
      },
    );
  return loading;
}
