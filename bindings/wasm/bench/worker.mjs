// The dedicated worker of the browser benchmark (started by page.mjs): in a
// worker larder's "opfs" backend uses synchronous access handles, its fast
// path. Workers have no import maps, so the page passes larder's module URL.
import { storageCases } from "./storage.mjs";

self.onmessage = async ({ data }) => {
  try {
    const { Cache } = await import(data.larder);
    self.postMessage({ rows: await storageCases(Cache, "worker") });
  } catch (e) {
    self.postMessage({ error: String((e && e.stack) || e) });
  }
};
