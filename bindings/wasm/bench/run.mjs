// Runs the JS benchmarks and writes their markdown section:
//   node run.mjs <out.md> [--deno <deno binary>]
// Node cases run in this process; the browser cases in headless Chromium
// (Debian's, driven by playwright-core) on a page served from 127.0.0.1;
// the codec cases once more in Deno. larder must be installed in
// node_modules from its packed tarball (cargo xtask bench --js does that).
// BENCH_ONLY=browser runs the Chromium page alone (no Node or Deno part), for
// working on the browser backends.
import { execFileSync } from "node:child_process";
import { availableParallelism, loadavg } from "node:os";
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { median } from "./measure.mjs";
import { nodeBench } from "./node.mjs";
import { installedImports, runPage } from "./serve.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const [out, ...rest] = process.argv.slice(2);
if (!out) throw new Error("usage: node run.mjs <out.md> [--deno <deno>]");
const deno = rest[0] === "--deno" ? rest[1] : null;
const only = process.env.BENCH_ONLY;
if (only && only !== "browser") throw new Error(`BENCH_ONLY must be "browser", not ${only}`);

/**
 * The page in a fresh headless Chromium: every case, or with `query`
 * "?single" the single-operation rows alone; `flags` go to Chromium.
 */
async function browserBench({ flags = [], query = "" } = {}) {
  const r = await runPage({ root: here, imports: await installedImports(here), script: "page.mjs", flags, query });
  return { rows: r.rows, storage: r.storage, own: r.own, phases: r.phases, version: r.version };
}

function denoBench() {
  const stdout = execFileSync(deno, ["run", "--allow-read", "--allow-env", join(here, "deno.mjs")], {
    cwd: here,
    encoding: "utf8",
  });
  const version = execFileSync(deno, ["--version"], { encoding: "utf8" }).split("\n")[0];
  return { rows: JSON.parse(stdout.trim().split("\n").pop()), version };
}

const fmt = (us) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(us < 10 ? 2 : 1)} µs`);

function table(rows) {
  const lines = ["| case | larder | anchor | anchor / larder | note |", "|---|---:|---:|---:|---|"];
  for (const r of rows) {
    const anchors = Object.entries(r.anchors);
    anchors.forEach(([name, us], k) => {
      const ratio = us / r.larder;
      const verdict = ratio >= 1 ? `${ratio.toFixed(2)}× (larder faster)` : `${ratio.toFixed(2)}× (larder ${(1 / ratio).toFixed(2)}× slower)`;
      lines.push(`| ${k ? "" : r.case} | ${k ? "" : fmt(r.larder)} | ${name}: ${fmt(us)} | ${verdict} | ${k ? "" : r.note ?? ""} |`);
    });
  }
  return lines.join("\n");
}

/** OPFS against IndexedDB, both larder, in one context. */
function storageTable(rows) {
  const lines = ["| case | OPFS | IndexedDB | IndexedDB / OPFS |", "|---|---:|---:|---:|"];
  for (const r of rows) {
    const ratio = r.indexeddb / r.opfs;
    const verdict = ratio >= 1 ? `${ratio.toFixed(2)}× (OPFS faster)` : `${ratio.toFixed(2)}× (OPFS ${(1 / ratio).toFixed(2)}× slower)`;
    lines.push(`| ${r.case} | ${fmt(r.opfs)} | ${fmt(r.indexeddb)} | ${verdict} |`);
  }
  return lines.join("\n");
}

/** The floor anchor of the IndexedDB rows (bench/bare.mjs, named in page.mjs). */
const BARE = "bare IndexedDB, larder's layout";

/** The row of `rows` whose case starts with `prefix` (undefined for no rows). */
const find = (rows, prefix) => rows?.find((r) => r.case.startsWith(prefix));

/** The single IndexedDB row of `op` ("set" or "get"), warmed up or fresh (page.mjs singleRows). */
const singleRow = (rows, op, warm) => find(rows.filter((r) => r.warm === warm), `IndexedDB ${op} 1 KiB`);

/** The issue-3 timing targets, judged on this run's rows. */
function targets(node, browser, own, launches) {
  const lines = ["| target | figure | met? |", "|---|---|---|"];
  const fsGet = find(node, "fs get 1 KiB");
  if (fsGet) {
    const x = fsGet.anchors.cacache / fsGet.larder;
    lines.push(`| Node filesystem get at least 2× faster than cacache | cacache / larder = ${x.toFixed(2)}× | ${x >= 2 ? "yes" : "no"} |`);
  }
  // Judged warmed up (page.mjs singleRows), as the median over every
  // Chromium launched with V8 as shipped (one page's ratio moves by several
  // percent from launch to launch), with the fresh page's figure beside.
  const over = (n, warm) => median(launches.map((rows) => vsKeyval(singleRow(rows, n, warm))));
  const ratios = ["get", "set"].map((n) => [n, over(n, true)]);
  const bareRatio = (r) => r.anchors[BARE] === undefined ? "" : ` (${BARE} / idb-keyval = ${(r.anchors[BARE] / r.anchors["idb-keyval"]).toFixed(2)}× on the first page)`;
  const figure = ([n, x]) => `${n}: larder / idb-keyval = ${x.toFixed(2)}× warmed up${bareRatio(singleRow(browser, n, true))}, ${over(n, false).toFixed(2)}× on a fresh page; larder's own work ${fmt(own[n])}`;
  lines.push(`| IndexedDB get and set at most idb-keyval's time (warmed up) | ${ratios.map(figure).join("; ")} | ${ratios.every(([, x]) => x <= 1) ? "yes" : ratios.some(([, x]) => x <= 1) ? `${ratios.filter(([, x]) => x <= 1).map(([n]) => n).join(", ")} only` : "no"} |`);
  // The batch rows, judged like the single ones: the median ratio over the
  // same launches, the bare anchor's beside it.
  const batchRows = (op) => launches.map((rows) => find(rows, `IndexedDB ${op} 1000`));
  const batchFigure = (op, ownUs) => {
    const rows = batchRows(op);
    const x = median(rows.map(vsKeyval));
    const bare = median(rows.map((r) => r.anchors[BARE] / keyval(r)));
    return [x, `${op}: larder / idb-keyval = ${x.toFixed(2)}× (${BARE} / idb-keyval = ${bare.toFixed(2)}×; larder's own work ${fmt(ownUs)})`];
  };
  const batchRatios = [batchFigure("get", own.batchGet), batchFigure("set", own.batch)];
  lines.push(`| IndexedDB get and set of 1000 in one batch at most idb-keyval's time | ${batchRatios.map(([, f]) => f).join("; ")} | ${batchRatios.every(([x]) => x <= 1) ? "yes" : "no"} |`);
  // The puts' time too, each launch's figure beside (this machine's
  // IndexedDB alone moves by tens of percent).
  const batches = batchRows("set");
  const mid = (f) => median(batches.map(f));
  const larder = mid((r) => r.larder);
  const each = (f) => batches.map((r) => (f(r) / 1000).toFixed(1)).join(", ");
  lines.push(`| 1000 puts in one batch under 100 ms | larder ${fmt(larder)} (idb-keyval ${fmt(mid((r) => r.anchors["idb-keyval"]))}; ${BARE}: ${fmt(mid((r) => r.anchors[BARE]))}; larder's own work ${fmt(own.batch)}); per launch, ms: larder ${each((r) => r.larder)}; idb-keyval ${each((r) => r.anchors["idb-keyval"])}; ${BARE} ${each((r) => r.anchors[BARE])} | ${larder < 100_000 ? "yes" : "no"} |`);
  return lines.join("\n");
}

/** The phases of one IndexedDB set and get (bench/phases.mjs). */
function phaseTable(p) {
  const names = [
    ["call → `transaction()`", "call → `transaction()` or a joining `get()`"],
    ["`transaction()` → `commit()`", "that → `get()`"],
    ["`commit()` → `complete` event", "`get()` → `success` event"],
    ["event → promise settled", "event → promise settled"],
    ["whole call", "whole call"],
  ];
  const lines = [
    "| set: phase | larder | bare | get: phase | larder | bare |",
    "|---|---:|---:|---|---:|---:|",
  ];
  names.forEach(([s, g], k) => {
    lines.push(`| ${s} | ${fmt(p.sides.larder.set[k])} | ${fmt(p.sides.bare.set[k])} | ${g} | ${fmt(p.sides.larder.get[k])} | ${fmt(p.sides.bare.get[k])} |`);
  });
  return lines.join("\n");
}

/** The phases of a batch of 1000 puts per side (bench/phases.mjs batchPhases). */
function batchPhaseTable(batch) {
  const sides = Object.keys(batch.sides);
  const names = ["call → `transaction()`", "`transaction()` → last `put()`", "last `put()` → `complete` event", "event → promise settled", "whole call"];
  const lines = [`| batch of 1000: phase | ${sides.join(" | ")} |`, `|---|${sides.map(() => "---:").join("|")}|`];
  names.forEach((n, k) => lines.push(`| ${n} | ${sides.map((s) => fmt(batch.sides[s][k])).join(" | ")} |`));
  return lines.join("\n");
}

/**
 * The single rows call by call: per side the quantiles of its single calls
 * (page.mjs `spread`), and larder / idb-keyval at each.
 */
function spreadTable(rows) {
  const spread = rows.filter((r) => r.spread);
  const qs = spread[0].spread.quantiles.map((q) => `p${Math.round(q * 100)}`);
  const sides = ["larder", "idb-keyval", BARE];
  const lines = [
    `| case | ${sides.map((s) => `${s}: ${qs.join(" / ")}`).join(" | ")} | larder / idb-keyval: ${qs.join(" / ")} |`,
    `|---|${sides.map(() => "---:").join("|")}|---:|`,
  ];
  for (const r of spread) {
    const at = (s) => r.spread[s].map((us) => us.toFixed(0)).join(" / ");
    const ratios = r.spread.larder.map((_, k) => `${spreadRatio(r, k)}×`).join(" / ");
    lines.push(`| ${r.case} | ${sides.map((s) => `${at(s)} µs`).join(" | ")} | ${ratios} |`);
  }
  return lines.join("\n");
}

/** larder / idb-keyval at quantile `k` of row `r`'s single calls. */
const spreadRatio = (r, k) => (r.spread.larder[k] / r.spread["idb-keyval"][k]).toFixed(2);

/** The V8 flag that turns off its baseline wasm compiler (Liftoff). */
const NO_LIFTOFF = "--no-liftoff";

/** Browsers launched for each side of the tier table. */
const TIER_RUNS = 3;

/** The median over the runs of one side of `tiers` of `f` of the row of case `label`. */
const medianOf = (runs, label, f) => median(runs.map((rows) => f(rows.find((r) => r.case === label))));
const keyval = (r) => r.anchors["idb-keyval"];
const vsKeyval = (r) => r.larder / keyval(r);

/** "X× and Y×": larder / idb-keyval for set and get on a fresh page, on one side of `tiers`. */
function tierRatios(runs) {
  const ratio = (op) => median(runs.map((rows) => vsKeyval(singleRow(rows, op, false)))).toFixed(2);
  return `${ratio("set")}× and ${ratio("get")}×`;
}

/**
 * The single rows of `tiers` (TIER_RUNS runs a side): per side, the medians
 * over the runs of larder, idb-keyval and their ratio within a run.
 */
function tierTable({ shipped, optimized }) {
  const lines = [
    "| case | V8 as shipped: larder | idb-keyval | larder / idb-keyval | " + `\`${NO_LIFTOFF}\`: larder | idb-keyval | larder / idb-keyval |`,
    "|---|---:|---:|---:|---:|---:|---:|",
  ];
  const side = (runs, label) =>
    `${fmt(medianOf(runs, label, (r) => r.larder))} | ${fmt(medianOf(runs, label, keyval))} | ${medianOf(runs, label, vsKeyval).toFixed(2)}×`;
  // The single rows (page.mjs singleRows, marked fresh or warm), not the batch.
  const single = shipped[0].filter((r) => r.warm !== undefined);
  single.forEach((r) => lines.push(`| ${r.case} | ${side(shipped, r.case)} | ${side(optimized, r.case)} |`));
  return lines.join("\n");
}

const load = () => loadavg().map((x) => x.toFixed(1)).join(", ");
const loadBefore = load();
const startedAt = `${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`;
const commitBefore = commit();
const node = only ? null : await nodeBench();
if (node) console.error("node: done");
const browser = await browserBench();
console.error("chromium: done");
// The single rows again, in two fresh browsers: V8 as shipped, and V8 told to
// compile wasm with its optimizing tier (TurboFan) from the first call, as it
// does by itself only once a function has run some thousands of times.
// Fresh browsers differ by tens of percent from launch to launch: TIER_RUNS
// of each, taking turns, and the median of each figure.
const tiers = { shipped: [], optimized: [] };
for (let k = 0; k < TIER_RUNS; k++) {
  // The batch target is judged over these launches too (targets).
  tiers.shipped.push((await browserBench({ query: "?single&batch" })).rows);
  tiers.optimized.push((await browserBench({ flags: [`--js-flags=${NO_LIFTOFF}`], query: "?single" })).rows);
}
console.error("chromium, wasm tiers: done");
const denoRun = deno && !only ? denoBench() : null;
const pkg = JSON.parse(await readFile(join(here, "node_modules/larder/package.json"), "utf8"));
const md = [
  `Measured by \`cargo xtask bench --js\` (bindings/wasm/bench/run.mjs): larder ${pkg.version} installed from its packed tarball; each figure is the median time per operation over 7 rounds after a warm-up round, every case of a table run in one process or page. In Node and Chromium, the sides of a row take turns round by round; in Chromium, single operations run 21 rounds of 20 (OPFS against IndexedDB: 11 rounds of 20 at 1 KiB, 7 of 4 at 1 MiB). The single IndexedDB rows run twice: on a fresh page, after one warm-up round, and warmed up, after 100 rounds a side (2000 calls), by when V8 has optimized idb-keyval's JS and the busiest of larder's wasm (see the V8 section below; \`bench/steady.mjs\` measures on as V8 optimizes more); the Rust benchmarks measure warmed up too (criterion warms up before it samples). Those rows run larder without its memory tier, so that every get reads IndexedDB as idb-keyval's does; one more get row has the memory tier on, as larder runs unless \`memoryBytes\` says otherwise (32 MiB): a hit of an entry the page wrote is served from wasm memory.`,
  "",
  `Run at commit \`${commitBefore}\`, starting ${startedAt}. The machine's load average (1, 5, 15 min) was ${loadBefore} when the run started and ${load()} when it ended (${os()}); on a shared machine single runs vary by tens of percent, so compare ratios within a table, not figures across runs.`,
  ...(node ? ["", `### Node ${process.version} (fs and memory backends, value codec)`, "", table(node)] : []),
  "",
  `### Chromium ${browser.version} (IndexedDB backend, value codec)`,
  "",
  table(browser.rows),
  "",
  "### Chromium: OPFS against IndexedDB (larder on both, no memory tier)",
  "",
  "In a dedicated worker, where larder's OPFS backend uses synchronous access handles:",
  "",
  storageTable(browser.storage.worker),
  "",
  "On the page's main thread, where it uses the async OPFS API (`getFile()`, `createWritable()`):",
  "",
  storageTable(browser.storage.main),
];
if (denoRun) md.push("", `### ${denoRun.version} (value codec)`, "", table(denoRun.rows));
md.push(
  "",
  "### Chromium: single calls one by one (this run)",
  "",
  `The rows above judge a round's mean call (the median over rounds), so a few slow calls weigh on them. Here the same rows' calls, each timed on its own (5 µs steps), as quantiles over every call after a row's warm-up (${browser.rows.find((r) => r.spread).spread.calls} a side):`,
  "",
  spreadTable(browser.rows),
);
const p = browser.phases;
/** The first page's warmed-up single row of `op`. */
const warmRow = (op) => singleRow(browser.rows, op, true);
/** How many times as long a call of bench/phases.mjs took cold as hot. */
const coldFactor = ({ cold, hot }) => (cold / hot).toFixed(1);
md.push(
  "",
  "### Chromium: where one IndexedDB call spends its time (this run)",
  "",
  `Medians of ${p.isolated ? "cross-origin isolated (5 µs steps)" : "NOT cross-origin isolated (100 µs steps)"} \`performance.now()\` readings taken at the IndexedDB calls each call makes (bench/phases.mjs): larder's "indexeddb" backend and the bare anchor, taking turns, 1 KiB values, no memory tier.`,
  "",
  phaseTable(p),
  "",
  `larder's own work, with the "memory" backend under it: set ${fmt(p.own.set.hot)} and get ${fmt(p.own.get.hot)} in a loop of their own, but set ${fmt(p.own.set.cold)} and get ${fmt(p.own.get.cold)} when each call follows a bare IndexedDB operation, as in the rows above (per call, with its \`await\`: the mean of a round of 20, in the median round). That work sits before the first IndexedDB call (key derivation, value codec, frame encode and checksum: the first row) and after the event (frame check, bookkeeping, settling the promise: the fourth row). Entering wasm at all is part of it: the smallest call into larder's wasm, \`encodeValue(null)\`, takes ${fmt(p.own.entry.cold)} right after a bare IndexedDB operation and ${fmt(p.own.entry.hot)} in a row. A control that is not larder's: plain JS of about that size, \`JSON.stringify({ r, i })\`, takes ${fmt(p.own.js.cold)} right after a bare IndexedDB operation and ${fmt(p.own.js.hot)} in a row, ${coldFactor(p.own.js)} times as long (larder's \`encodeValue(null)\`: ${coldFactor(p.own.entry)} times; its get: ${coldFactor(p.own.get)} times). Code run right after the browser's IndexedDB work is slower than in a loop, larder's or not, so a call's own work timed in a loop understates what it costs in the rows above, against an anchor that does next to none. Here the sides take turns call by call, so a get never follows a read of its own side and always opens a transaction; in the rows above, 20 in a row, most gets join the read-only transaction of the read before (larder and the bare anchor alike) and make no \`transaction()\` call. How the middle of a call divides between its phases moves from run to run with when the browser's answer arrives; compare whole calls.`,
  "",
  `A batch of 1000 puts of 1 KiB (\`setMany\`) the same way, larder, idb-keyval and the bare anchor taking turns (${p.batch.rounds} rounds after a warm-up; medians). The second row is the loop of \`put()\` requests, the third what IndexedDB still does once the last request is made. larder makes its entries (keys, value codec, frames) in parts of 64 and puts each part as soon as it is made, so the second row holds its own work too, and after the \`complete\` event records them in its index. Its requests are the bare anchor's, each record built in JS from wasm memory. The bare anchor's requests take ${(p.batch.sides[BARE][1] / p.batch.sides["idb-keyval"][1]).toFixed(2)} times as long as idb-keyval's, which write no metadata; once the requests are made, IndexedDB's own work takes ${fmt(p.batch.sides[BARE][2])} for the bare anchor and ${fmt(p.batch.sides["idb-keyval"][2])} for idb-keyval.`,
  "",
  batchPhaseTable(p.batch),
);
md.push(
  "",
  "### Chromium: V8's two wasm compilers (this run)",
  "",
  `V8 compiles a wasm function first with its baseline compiler, Liftoff, and again with its optimizing compiler, TurboFan, only once the function has run about 1.8 MB of its own baseline code (V8's tiering budget): functions that loop (hashing, the value codec, the allocator) get there within the warm-up, while the many small functions a call passes through once would take tens of thousands of calls. \`--js-flags=--trace-wasm-compilation-times\` lists each function as it reaches TurboFan; the fresh-page rows above make a few hundred calls. The single rows once more, in fresh Chromiums taking turns (${TIER_RUNS} a side; medians over them): V8 as shipped, and with \`--js-flags=${NO_LIFTOFF}\`, which makes V8 compile every wasm function with TurboFan at its first call. On a fresh page the flag speeds larder up; warmed up, it shows what the functions still on Liftoff cost, which is little: larder's time goes to work that runs once per call, right after the browser's IndexedDB work (the phase section above). That flag is a diagnostic (a page cannot ask for it); idb-keyval and the bare anchor are JS, which it does not change.`,
  "",
  tierTable(tiers),
);
md.push(
  "",
  "### Against the issue-3 timing targets (this run)",
  "",
  `Single calls and the batches: medians over the ${1 + TIER_RUNS} Chromiums launched with V8 as shipped (the first page above and the ${TIER_RUNS} of the V8 section).`,
  "",
  targets(node, browser.rows, browser.own, [browser.rows, ...tiers.shipped]),
  "",
  `The "${BARE}" anchor (bench/bare.mjs) makes exactly the IndexedDB requests larder makes, with none of larder's own work; where it is slower than idb-keyval, that is the layout's cost: a single put's record carries its metadata as the key of an index, and a batch writes one journal record of its entries' metadata besides; listing, stats and eviction read both without reading payloads. "larder's own work" is the same call on the same page with the "memory" backend (a map in wasm) under it, in a loop of its own: key derivation, frame encode and checksum, value codec, TTL and LRU bookkeeping and the JS glue, with no storage. Right after an IndexedDB operation the same work takes ${coldFactor(p.own.set)} (set) and ${coldFactor(p.own.get)} (get) times as long (the phase section above), which is most of what separates larder from the bare anchor on single calls. On a fresh page, part of that is V8 running larder's wasm as baseline code: with every wasm function optimized from its first call, larder's set and get take ${tierRatios(tiers.optimized)} idb-keyval's time (medians of the V8 table above), against ${tierRatios(tiers.shipped)} as shipped. Warmed up, as the target is judged, larder's own work weighs less: on the first page, set and get take ${["set", "get"].map((n) => vsKeyval(warmRow(n)).toFixed(2) + "×").join(" and ")} idb-keyval's time, and call by call (the section above) larder's median set and get ${["set", "get"].map((n) => spreadRatio(warmRow(n), 0) + "×").join(" and ")} idb-keyval's median, its 90th percentiles ${["set", "get"].map((n) => spreadRatio(warmRow(n), 1) + "×").join(" and ")}.`,
);
await writeFile(out, md.join("\n") + "\n");
console.log(md.join("\n"));

/**
 * `git rev-parse --short HEAD`, with `-dirty` if files other than
 * docs/BENCHMARKS.md differ from it (as the Rust report says its commit).
 */
function commit() {
  const git = (...args) => execFileSync("git", args, { cwd: here, encoding: "utf8" }).trim();
  try {
    const dirty = git("status", "--porcelain", "--", ":(top)", ":(exclude,top)docs/BENCHMARKS.md") !== "";
    return git("rev-parse", "--short", "HEAD") + (dirty ? "-dirty" : "");
  } catch {
    return "unknown";
  }
}

/** The CPU count, for the load average's scale. */
function os() {
  return `${availableParallelism()} CPUs`;
}
