// Hands the .wasm, carried as base64 in larder_wasm_inline.js, to the Node
// glue before it is evaluated (node-inline.js imports this first).
import { Buffer } from "node:buffer";

import { WASM_BASE64 } from "./larder_wasm_inline.js";
import { provideWasm } from "./node-wasm.js";

provideWasm(Buffer.from(WASM_BASE64, "base64"));
