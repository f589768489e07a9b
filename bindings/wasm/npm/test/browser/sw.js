// A module service worker using the package through `larder/load` (service
// worker scripts must not await at their top level, which `larder` does).
// browser.js's page posts "run"; the worker answers with what it found.
// Imported by URL: service workers have no import maps.
import { load } from "/node_modules/larder/web/load.js";

self.addEventListener("message", (event) => {
  event.waitUntil(
    (async () => {
      let answer;
      try {
        const { Cache, keyHash } = await load();
        const again = await load();
        if (again.Cache !== Cache) throw new Error("a second load() gave another Cache");
        const cache = await Cache.open({ name: "service-worker" });
        await cache.set("sw", { a: 1, b: [2, 3] }, new Map([["from", "the worker"]]));
        const back = await cache.get("sw", { b: [2, 3], a: 1 });
        if (back?.get("from") !== "the worker") throw new Error(`read back ${String(back)}`);
        await cache.close();
        answer = { ok: true, key: keyHash("sw", { a: 1, b: [2, 3] }) };
      } catch (e) {
        answer = { ok: false, error: String(e?.stack ?? e) };
      }
      event.source.postMessage(answer);
    })(),
  );
});
