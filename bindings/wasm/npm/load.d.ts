// Types of `larder/load`: the package's exports, resolved by `load()` instead
// of by top-level await (for service workers, whose scripts must not await at
// their top level).
import * as larder from "./larder.js";

/**
 * Fetches and instantiates larder's .wasm (once) and resolves to what
 * `import * as larder from "larder"` gives: `Cache`, `keyHash`,
 * `encodeValue`, `decodeValue`. A failed load rejects, and the next call tries again.
 */
export function load(): Promise<typeof larder>;
