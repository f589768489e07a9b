// The package in Deno, through Deno.test: `deno test -A --no-check deno.test.js` in a
// project where the packed tarball is installed (cargo xtask test does it).
// The same checks as node.test.js; Deno resolves "larder" from node_modules
// with its "deno" export condition. (--no-check: this file is JS; the types
// are checked by tsc, see types/.)

import * as larder from "larder";

import { removeAll, serverChecks, serverEnv } from "./checks/server.js";

const vectors = JSON.parse(await Deno.readTextFile(new URL("./keys.json", import.meta.url)));

// Deno's sanitizers stay on: a check that leaves a file handle or a timer
// behind fails.
for (const { name, run } of serverChecks(larder, serverEnv("deno"), vectors)) {
  // A check may return its figures line (docs/RELIABILITY.md): print it.
  Deno.test({
    name,
    fn: async () => {
      const figures = await run();
      if (typeof figures === "string") console.log(figures);
    },
  });
}

Deno.test({
  name: "Deno: larder/inline is larder itself (nothing to inline where no bundler is)",
  fn: async () => {
    const inline = await import("larder/inline");
    if (inline.Cache !== larder.Cache) throw new Error("larder/inline is another module in Deno");
  },
});

Deno.test({
  name: "Deno: larder/load resolves to larder's exports",
  fn: async () => {
    const { load } = await import("larder/load");
    const loaded = await load();
    if (loaded.Cache !== larder.Cache || loaded.keyHash !== larder.keyHash) throw new Error("larder/load gave other exports");
  },
});

Deno.test({ name: "clean up temp directories", fn: removeAll });
