// `larder/inline`: the browser build for bundlers that leave the .wasm file
// behind (esbuild; Rollup without an assets plugin). The same glue and API as
// web.js, with the .wasm inside the JS as base64 (larder_wasm_inline.js,
// written by `cargo xtask npm`): a third more bytes than the file, and no
// request of its own.
import { WASM_BASE64 } from "./larder_wasm_inline.js";
import { start } from "./wasm.js";

export const { Cache, decodeValue, encodeValue, keyHash } = await start(bytes(WASM_BASE64));

function bytes(base64) {
  if (typeof Uint8Array.fromBase64 === "function") return Uint8Array.fromBase64(base64);
  const text = atob(base64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}
