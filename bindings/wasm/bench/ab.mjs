// Two builds of larder compared on one page, taking turns (ab-page.mjs):
//   node ab.mjs <A> <B> [launches] [batch]
// ("batch": the rows of 1000 gets and 1000 puts in one call instead of the
// single get and set rows)
// A and B are larder package tarballs (`cargo xtask npm` makes
// target/npm/larder-<version>.tgz; copy it aside between builds) or
// directories holding an unpacked one. Each launch is a fresh Chromium; the
// launches alternate which build the page names first, since the order
// alone moved a ratio by about 2% here. Prints each launch's B / A per row,
// then the median over launches: the instrument for a change worth a few
// percent, which runs of the whole benchmark, each on its own page, cannot
// tell from run-to-run spread.

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { median } from "./measure.mjs";
import { IDB_KEYVAL, browserEntry, runPage } from "./serve.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const [argA, argB, launchArg = "6", rowsArg] = process.argv.slice(2);
const launches = Number(launchArg);
if (!argA || !argB || !(launches >= 1) || ![undefined, "batch"].includes(rowsArg)) {
  throw new Error("usage: node ab.mjs <A.tgz|dir> <B.tgz|dir> [launches] [batch]");
}

// Everything the page loads is served from one root: this directory, with
// the builds unpacked into a temporary directory inside it.
const work = mkdtempSync(join(here, ".ab-"));
process.on("exit", () => rmSync(work, { recursive: true, force: true }));

function unpacked(arg, name) {
  const path = resolve(arg);
  if (statSync(path).isDirectory()) return path;
  const dir = join(work, name);
  mkdirSync(dir);
  execFileSync("tar", ["xzf", path, "-C", dir]);
  return join(dir, "package");
}

const dirs = { A: unpacked(argA, "a"), B: unpacked(argB, "b") };
for (const d of Object.values(dirs)) {
  if (relative(here, d).startsWith("..")) throw new Error(`${d}: a directory must be under ${here} to be served`);
}
const url = async (d) => `/${relative(here, d)}/${await browserEntry(d)}`;
const entries = { A: await url(dirs.A), B: await url(dirs.B) };

const ratios = {};
for (let l = 0; l < launches; l++) {
  // Odd launches swap which build the page imports as "larderA".
  const [first, second] = l % 2 ? ["B", "A"] : ["A", "B"];
  const { rows, version } = await runPage({
    root: here,
    imports: { larderA: entries[first], larderB: entries[second], "idb-keyval": IDB_KEYVAL },
    script: "ab-page.mjs",
    query: rowsArg ? `?${rowsArg}` : "",
  });
  const line = [];
  for (const [row, t] of Object.entries(rows)) {
    const time = { [first]: t.A, [second]: t.B };
    const ratio = time.B / time.A;
    (ratios[row] ??= []).push(ratio);
    line.push(`${row}: A ${time.A.toFixed(1)} B ${time.B.toFixed(1)} idb-keyval ${t["idb-keyval"].toFixed(1)} µs, B/A ${ratio.toFixed(3)}`);
  }
  console.log(`launch ${l + 1} (${first} first, Chromium ${version}): ${line.join("; ")}`);
}
for (const [row, rs] of Object.entries(ratios)) {
  const faster = rs.filter((r) => r < 1).length;
  console.log(`${row}: B / A median ${median(rs).toFixed(3)} over ${rs.length} launches (B faster in ${faster})`);
}
