// The stats panel: one tile per figure of cache.stats(), each with a live
// sparkline of its last two minutes, drawn as SVG by hand.

import * as fmt from "./format.js";

/** How much history a sparkline shows. */
const WINDOW_MS = 120_000;
/** The shortest time axis, while the history is younger than that. */
const MIN_SPAN_MS = 20_000;
const SVG = "http://www.w3.org/2000/svg";
/** The sparkline's drawing box (the SVG stretches it to the tile's width). */
const W = 200;
const H = 40;

const SERIES = [
  { key: "hitRate", label: "Hit rate", format: (v) => `${Math.round(v * 100)}%`, fixedMax: 1 },
  { key: "entries", label: "Entries", format: (v) => String(v) },
  { key: "storeBytes", label: "Bytes", format: fmt.bytes, limit: true },
  { key: "timeSavedMs", label: "Time saved", format: fmt.saved },
];

export class StatsPanel {
  /** `root`: the tiles' container; `detail`: the line of counters under them. */
  constructor(root, detail) {
    this.detail = detail;
    this.samples = [];
    this.tiles = SERIES.map((series) => {
      const tile = el("div", { class: "tile", "data-stat": series.key });
      const label = el("div", { class: "tile-label" });
      label.textContent = series.label;
      const value = el("div", { class: "tile-value" });
      value.textContent = "–";
      // The byte limit as the person wrote it ("of 50MB"): larder does the parsing.
      const note = el("span", { class: "tile-note" });
      if (series.limit) label.append(" ", note);
      const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none", class: "spark", "aria-hidden": "true" });
      const area = svgEl("path", { class: "spark-area" });
      const line = svgEl("polyline", { class: "spark-line" });
      svg.append(area, line);
      tile.append(label, value, svg);
      root.append(tile);
      return { series, value, area, line, note };
    });
  }

  /** Start over (a newly opened cache counts from zero); `maxBytes`: its byte limit as given, or "". */
  reset(maxBytes) {
    this.samples = [];
    this.detail.textContent = "";
    for (const t of this.tiles) {
      t.note.textContent = maxBytes ? `of ${maxBytes}` : "no limit";
      t.value.textContent = "–";
      t.line.setAttribute("points", "");
      t.area.setAttribute("d", "");
    }
  }

  /** Show `stats` (from cache.stats()) and add them to the sparklines. */
  update(stats) {
    const now = Date.now();
    this.samples.push({ t: now, ...stats });
    while (this.samples.length > 2 && this.samples[1].t < now - WINDOW_MS) this.samples.shift();
    for (const t of this.tiles) {
      t.value.textContent = t.series.format(stats[t.series.key]);
      this.draw(t, now);
    }
    this.detail.textContent =
      `${count(stats.hits, "hit")} · ${count(stats.misses, "miss", "misses")} · ${stats.evictions} evicted · ` +
      `${stats.expired} expired · ${stats.corrupt} corrupt` +
      (stats.errors ? ` · ${count(stats.errors, "storage error")}` : "");
  }

  draw(tile, now) {
    const { key, fixedMax } = tile.series;
    const values = this.samples.map((s) => s[key]);
    const max = fixedMax ?? Math.max(...values, 1);
    // The time axis grows with the history up to WINDOW_MS, so a young chart is not squeezed to the right.
    const span = Math.min(WINDOW_MS, Math.max(MIN_SPAN_MS, now - this.samples[0].t));
    const x = (t) => Math.max(0, (W * (t - (now - span))) / span);
    // 2 px of margin so a line at 0 or at the maximum stays visible.
    const y = (v) => H - 2 - ((H - 4) * v) / max;
    // A step line: each figure holds until the next sample changes it.
    const pts = [];
    this.samples.forEach((s, i) => {
      if (i > 0) pts.push(`${x(s.t).toFixed(1)},${y(values[i - 1]).toFixed(1)}`);
      pts.push(`${x(s.t).toFixed(1)},${y(s[key]).toFixed(1)}`);
    });
    pts.push(`${W},${y(values.at(-1)).toFixed(1)}`);
    tile.line.setAttribute("points", pts.join(" "));
    tile.area.setAttribute("d", `M${x(this.samples[0].t).toFixed(1)},${H} L${pts.join(" L")} L${W},${H} Z`);
  }
}

function count(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

function el(tag, attrs) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function svgEl(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}
