// Memoization in Deno: `deno run -A memoize.deno.js` in a project with larder
// installed (cargo xtask test runs it against the packed tarball and checks
// its output). A file's word count, keyed by the file's content: an edited
// file misses, a copy of it hits. Stale-while-revalidate on a feed.

import { Cache } from "larder";

const dir = await Deno.makeTempDir({ prefix: "larder-example-" });
const cache = await Cache.open({ dir });

let counted = 0;
const wordCount = cache.memoize(async function wordCount(file) {
  counted++;
  return (await file.text()).split(/\s+/).filter(Boolean).length;
});
const readBlob = async (path) => new Blob([await Deno.readFile(path)]);

const path = `${dir}/notes.txt`;
await Deno.writeTextFile(path, "larder keeps the results of expensive computations");
console.log(`words: ${await wordCount(await readBlob(path))}, counted ${counted} time(s)`);
await Deno.copyFile(path, `${dir}/copy.txt`);
console.log(`words of a copy: ${await wordCount(await readBlob(`${dir}/copy.txt`))}, counted ${counted} time(s)`);
await Deno.writeTextFile(path, "edited: now six words in it");
console.log(`words after an edit: ${await wordCount(await readBlob(path))}, counted ${counted} time(s)`);

// Stale-while-revalidate: past the 300 ms ttl, the old value comes back at
// once while one background call fetches the new one.
let version = 0;
const feed = cache.memoize(async function feed(name) {
  version++;
  return `${name} v${version}`;
}, { ttl: 300, staleWhileRevalidate: "1h" });
console.log(`feed: ${await feed("news")}`);
const { namespace, params } = await feed.key("news");
while (await cache.has(namespace, params)) await new Promise((r) => setTimeout(r, 10));
console.log(`feed after its ttl: ${await feed("news")} (stale, refreshing)`);
while (version < 2 || !(await cache.has(namespace, params))) await new Promise((r) => setTimeout(r, 5));
console.log(`feed refreshed: ${await cache.get(namespace, params)}`);

await cache.close();
await Deno.remove(dir, { recursive: true });
