// Deno: the value codec against JSON and structuredClone, printed as JSON.
import { decodeValue, encodeValue } from "larder";
import { codecCases } from "./measure.mjs";

console.log(JSON.stringify(await codecCases({ encodeValue, decodeValue })));
