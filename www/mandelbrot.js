// The expensive computation the page memoizes: a region of the Mandelbrot
// set, rendered to RGBA pixels. Pure and deterministic, so the same params
// always give the same pixels, which is what makes it safe to cache. Runs in
// the page's worker (worker.js); plain ES, no DOM.

/** Named places worth looking at: centre (re, im) and zoom (1 = the whole set). */
export const REGIONS = {
  seahorse: { label: "Seahorse valley", re: -0.7436447860, im: 0.1318252536, zoom: 4000 },
  elephant: { label: "Elephant valley", re: 0.2925, im: 0.0149, zoom: 140 },
  spiral: { label: "Double spiral", re: -0.7453, im: 0.1127, zoom: 650 },
  minibrot: { label: "Mini Mandelbrot", re: -1.7687788, im: 0.0017389, zoom: 25000 },
  whole: { label: "The whole set", re: -0.65, im: 0, zoom: 1 },
};

/** Width of the view in the complex plane at zoom 1. */
const SPAN = 3.2;

/**
 * Check params as the page and the worker receive them: finite centre, zoom
 * > 0, a size and iteration count in range. Throws a RangeError or TypeError
 * naming the bad field.
 */
export function checkParams(p) {
  if (p === null || typeof p !== "object") throw new TypeError("params must be an object");
  for (const k of ["re", "im", "zoom"]) {
    if (typeof p[k] !== "number" || !Number.isFinite(p[k])) throw new TypeError(`params.${k} must be a finite number`);
  }
  if (!(p.zoom > 0)) throw new RangeError("params.zoom must be > 0");
  const ints = { width: [16, 4096], height: [16, 4096], iterations: [1, 1_000_000], samples: [1, 4] };
  for (const [k, [lo, hi]] of Object.entries(ints)) {
    if (!Number.isInteger(p[k]) || p[k] < lo || p[k] > hi) throw new RangeError(`params.${k} must be a whole number from ${lo} to ${hi}`);
  }
}

/** The point of the complex plane at pixel (x, y) of the view `p`. */
export function pointAt(p, x, y) {
  const step = SPAN / p.zoom / p.width;
  return { re: p.re + (x - p.width / 2) * step, im: p.im - (y - p.height / 2) * step };
}

/**
 * Render the view `p` = { re, im, zoom, width, height, iterations, samples }:
 * RGBA pixels, row by row, as a Uint8ClampedArray (what ImageData takes).
 * Each pixel averages samples × samples points (anti-aliasing).
 */
export function render(p) {
  checkParams(p);
  const { width, height, iterations, samples } = p;
  const pixels = new Uint8ClampedArray(width * height * 4);
  const step = SPAN / p.zoom / width;
  const sub = step / samples;
  const re0 = p.re - (width / 2) * step + sub / 2;
  const im0 = p.im + (height / 2) * step - sub / 2;
  const palette = makePalette(1024);
  const logMax = Math.log(iterations + 1);
  const per = samples * samples;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let sy = 0; sy < samples; sy++) {
        const ci = im0 - (y * samples + sy) * sub;
        for (let sx = 0; sx < samples; sx++) {
          const rgb = colourAt(re0 + (x * samples + sx) * sub, ci, iterations, logMax, palette);
          r += rgb >> 16;
          g += (rgb >> 8) & 255;
          b += rgb & 255;
        }
      }
      const o = (y * width + x) * 4;
      pixels[o] = r / per;
      pixels[o + 1] = g / per;
      pixels[o + 2] = b / per;
      pixels[o + 3] = 255;
    }
  }
  return pixels;
}

/** The colour (0xRRGGBB) of the point c = cr + ci·i. */
function colourAt(cr, ci, iterations, logMax, palette) {
  // Escape radius 2^8 rather than 2: the smooth colouring below needs |z| large.
  const bailout = 256 * 256;
  let zr = 0;
  let zi = 0;
  let zr2 = 0;
  let zi2 = 0;
  let n = 0;
  while (n < iterations && zr2 + zi2 <= bailout) {
    zi = 2 * zr * zi + ci;
    zr = zr2 - zi2 + cr;
    zr2 = zr * zr;
    zi2 = zi * zi;
    n++;
  }
  if (n >= iterations) return INSIDE;
  // Continuous escape count, then a log scale so deep zooms keep their contrast.
  const smooth = n + 1 - Math.log2(Math.log2(zr2 + zi2) / 2);
  const t = Math.log(Math.max(smooth, 0) + 1) / logMax;
  return palette[((t * 4 * palette.length) | 0) % palette.length];
}

/** The colour of points inside the set: near-black, a touch of blue. */
const INSIDE = 0x080614;

/** A cyclic colour ramp (cosine palette): deep blue, white, gold, dark red and back. */
function makePalette(n) {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / n;
    const ch = (d) => Math.round(255 * (0.5 + 0.5 * Math.cos(2 * Math.PI * (t + d))));
    out[i] = (ch(0.55) << 16) | (ch(0.65) << 8) | ch(0.8);
  }
  return out;
}
