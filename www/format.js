// How the page writes sizes, times and views.

/** Bytes with decimal units, as larder's "50MB" means 50,000,000 bytes. */
export function bytes(n) {
  if (n < 1000) return `${n} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)} ${units[u]}`;
}

/** A measured time: "0.42 ms", "12.3 ms", "1,843 ms". */
export function ms(n) {
  if (n < 1) return `${n.toFixed(2)} ms`;
  if (n < 100) return `${n.toFixed(1)} ms`;
  return `${Math.round(n).toLocaleString("en-US")} ms`;
}

/** A span of time for people: "4 s", "3 min 20 s", "2 h 5 min", "3 d". */
export function span(totalMs) {
  const s = Math.max(0, Math.round(totalMs / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  return `${Math.floor(h / 24)} d`;
}

/** Seconds saved, compactly: "1.8 s", "2 min 3 s". */
export function saved(totalMs) {
  return totalMs < 60_000 ? `${(totalMs / 1000).toFixed(1)} s` : span(totalMs);
}

/** A complex number: "−0.74364 + 0.13183i", with digits enough for the zoom. */
export function point(re, im, zoom) {
  const digits = Math.min(15, Math.max(3, Math.ceil(Math.log10(zoom)) + 3));
  const num = (x) => x.toFixed(digits).replace("-", "−");
  return `${num(re)} ${im < 0 ? "−" : "+"} ${num(Math.abs(im))}i`;
}

/** A zoom factor: "×1", "×4,000", "×1.3e9". */
export function zoom(z) {
  return z < 1e7 ? `×${Number(z.toPrecision(6)).toLocaleString("en-US")}` : `×${z.toExponential(1)}`;
}

/** The render settings of a view: "800×500 · 1000 iterations · 2×2 AA". */
export function settings(p) {
  const aa = p.samples > 1 ? ` · ${p.samples}×${p.samples} AA` : "";
  return `${p.width}×${p.height} · ${p.iterations} iterations${aa}`;
}
