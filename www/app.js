// The page: renders Mandelbrot views in a worker, memoized with larder's
// getOrCompute (key: the view's parameters; value: its pixels and how long
// they took), and shows what the cache does: hit or miss and both timings per
// request, the stats with their sparklines, the entries, and controls for the
// storage, the limits, invalidation, pruning and clearing.

import { BACKEND_NAMES, DEFAULT_SETTINGS, loadSettings, openCache, saveSettings } from "./cache.js";
import * as fmt from "./format.js";
import { REGIONS, checkParams, pointAt } from "./mandelbrot.js";
import { Renderer } from "./renderer.js";
import { StatsPanel } from "./stats.js";
import { EntriesTable, RequestsTable, isView } from "./tables.js";

/** The renders' namespace. Bump the version when the stored value changes shape: old entries stop matching. */
const NS = ["mandelbrot", 1];
/** Where the last view is kept, so that a reload shows it again (from the cache). */
const VIEW_KEY = "larder-www-view";
/** Zoom range: past 1e13 doubles run out of digits and the picture turns to blocks. */
const MIN_ZOOM = 0.25;
const MAX_ZOOM = 1e13;

const $ = (id) => document.getElementById(id);
const canvas = $("canvas");

const state = {
  cache: null,
  /** The backend in use: "indexeddb", "opfs" or "memory". */
  backend: null,
  settings: loadSettings(),
  /** The view asked for last: { region, re, im, zoom }. */
  view: null,
  /** The params of the picture on the canvas. */
  shown: null,
  history: [],
  /** A render or a cache switch is under way: the controls that start another wait. */
  busy: false,
};

const renderer = new Renderer();
const stats = new StatsPanel($("stats"), $("stats-detail"));
const requests = new RequestsTable($("requests").tBodies[0]);
const entries = new EntriesTable($("entries").tBodies[0], $("entries-count"), {
  onShow: (e) => showEntry(e),
  onDelete: (e) => act(async (cache) => {
    const removed = await cache.delete([e.namespace, e.version], e.params);
    return removed ? "Deleted the entry." : "That entry was already gone.";
  }),
});

// ---- notes: what went wrong, or what the page did instead ----

/** Show a note at the top; a note with the same `id` is replaced. */
function note(kind, title, detail, id) {
  if (id) document.querySelector(`#notes [data-id="${id}"]`)?.remove();
  const div = document.createElement("div");
  div.className = `note ${kind}`;
  div.setAttribute("role", kind === "error" ? "alert" : "status");
  if (id) div.dataset.id = id;
  const text = document.createElement("div");
  const strong = document.createElement("strong");
  strong.textContent = title;
  text.append(strong);
  if (detail) {
    const p = document.createElement("p");
    p.textContent = detail;
    text.append(p);
  }
  const close = document.createElement("button");
  close.type = "button";
  close.className = "close";
  close.setAttribute("aria-label", "dismiss");
  close.textContent = "×";
  close.addEventListener("click", () => div.remove());
  div.append(text, close);
  $("notes").append(div);
}

function errorNote(what, error) {
  note("error", what, `${error.name}: ${error.message}${error.kind ? ` (kind "${error.kind}")` : ""}`);
}

/** Tell the person which storage could not be opened, why, and what the page uses instead. */
function fallbackNotes(wanted, backend, failures) {
  for (const old of document.querySelectorAll('#notes [data-id^="fallback"]')) old.remove();
  for (const { backend: failed, error } of failures) {
    const instead = backend === "memory" ? "memory only: entries will not survive a reload" : BACKEND_NAMES[backend];
    const title =
      failed === wanted
        ? `${BACKEND_NAMES[failed]} is unavailable here, so the cache uses ${instead}.`
        : `${BACKEND_NAMES[failed]} is unavailable too, so the cache uses ${instead}.`;
    note("warn", title, `Cause: ${error.message}`, `fallback-${failed}`);
  }
}

// ---- the cache ----

/**
 * Open the cache for `settings` and make it the page's, closing the old one.
 * Bad limits leave everything as it was and say what was wrong.
 */
async function useCache(settings) {
  let opened;
  try {
    opened = await openCache(settings);
  } catch (e) {
    if (!(e instanceof TypeError || e instanceof RangeError)) throw e;
    const error = $("limits-error");
    error.textContent = e.message;
    error.hidden = false;
    return false;
  }
  $("limits-error").hidden = true;
  fallbackNotes(settings.backend, opened.backend, opened.failures);
  const same = (a, b) => a.maxBytes === b.maxBytes && a.ttl === b.ttl;
  if (opened.backend === "memory" && state.backend === "memory" && same(settings, state.settings)) {
    // Memory again, as it was: keep the open one, whose entries a new one would not have.
    await opened.cache.close();
    return true;
  }
  const old = state.cache;
  if (old) {
    // The open cache writes the recency of its reads back when it closes; a cache
    // opened before that ranks entries by stale recency and evicts the wrong ones
    // under the new limit. That one only showed the settings are good: open again.
    await opened.cache.close();
    state.cache = null;
    await old.close();
    const reopened = await openCache({ ...settings, backend: opened.backend });
    if (reopened.backend !== opened.backend) fallbackNotes(opened.backend, reopened.backend, reopened.failures);
    opened = reopened;
  }
  state.cache = opened.cache;
  state.backend = opened.backend;
  // Remember what is in use; after a fall back to memory, keep the choice to try it again next time.
  state.settings = { ...settings, backend: opened.backend === "memory" ? settings.backend : opened.backend };
  saveSettings(state.settings);
  showSettings();
  $("max-bytes").value = state.settings.maxBytes;
  $("ttl").value = state.settings.ttl;
  stats.reset(state.settings.maxBytes.trim());
  await refresh();
  return true;
}

/** Show the backend in use (the limit fields keep what was typed until a cache takes it). */
function showSettings() {
  const status = $("status");
  status.dataset.state = state.backend === "memory" ? "volatile" : "persistent";
  status.dataset.backend = state.backend;
  status.textContent =
    state.backend === "memory" ? "memory only · not kept across reloads" : `${BACKEND_NAMES[state.backend]} · larder-www-demo`;
  for (const radio of document.querySelectorAll('input[name="backend"]')) radio.checked = radio.value === state.backend;
}

/** Read the stats and the entries again. */
async function refresh() {
  const cache = state.cache;
  if (!cache) return;
  try {
    const [s, list] = await Promise.all([cache.stats(), cache.entries()]);
    if (cache !== state.cache) return;
    stats.update(s);
    entries.show(list);
    showTags(list);
  } catch (e) {
    // A cache closed by a switch meanwhile is not an error; anything else is.
    if (cache === state.cache) errorNote("Reading the cache failed.", e);
  }
}

async function refreshStats() {
  const cache = state.cache;
  if (!cache) return;
  try {
    const s = await cache.stats();
    if (cache === state.cache) stats.update(s);
  } catch (e) {
    if (cache === state.cache) errorNote("Reading the stats failed.", e);
  }
}

/** The invalidation picker: every tag of the listed entries, with how many carry it. */
function showTags(list) {
  const select = $("tag");
  const before = select.value;
  const counts = new Map();
  for (const e of list) for (const t of e.tags) counts.set(t, (counts.get(t) ?? 0) + 1);
  select.replaceChildren();
  for (const tag of [...counts.keys()].sort()) {
    const option = new Option(`${tag} (${counts.get(tag)})`, tag);
    select.append(option);
  }
  if (counts.size === 0) select.append(new Option("no tags", ""));
  if (counts.has(before)) select.value = before;
  select.disabled = counts.size === 0;
  $("invalidate").disabled = counts.size === 0;
}

/** Count a finished user action (request, cache action, switch): the tests wait on it. */
function settled() {
  document.body.dataset.done = String(Number(document.body.dataset.done ?? 0) + 1);
}

/** Run a cache action from a control, say what it did, and refresh. */
async function act(action) {
  const cache = state.cache;
  if (!cache) return;
  const out = $("action-result");
  try {
    out.textContent = await action(cache);
  } catch (e) {
    out.textContent = "";
    errorNote("The cache action failed.", e);
  }
  await refresh();
  settled();
}

// ---- rendering ----

/** The key of a view: where it is and how it is drawn. */
function paramsOf(view) {
  const [width, height] = $("size").value.split("x").map(Number);
  return {
    re: view.re,
    im: view.im,
    zoom: view.zoom,
    width,
    height,
    iterations: Number($("iterations").value),
    samples: Number($("samples").value),
  };
}

function tagsOf(view, params) {
  return [`region:${view.region}`, `size:${params.width}x${params.height}`, `iterations:${params.iterations}`];
}

function setBusy(busy) {
  state.busy = busy;
  document.body.dataset.busy = busy ? "1" : "0";
  for (const id of ["region", "size", "iterations", "samples", "render", "apply"]) $(id).disabled = busy;
  for (const radio of document.querySelectorAll('input[name="backend"]')) radio.disabled = busy;
  $("back").disabled = busy || state.history.length === 0;
  canvas.classList.toggle("waiting", busy);
}

/** Ask the cache for `view`, rendering it on a miss, and show the picture and what it cost. */
async function request(view) {
  if (state.busy || !state.cache) return;
  const params = paramsOf(view);
  state.view = view;
  showView(params);
  saveView(view, params);
  setBusy(true);
  const { cache, backend } = state;
  let computeMs = null;
  const started = performance.now();
  const timer = setTimeout(() => ($("busy").hidden = false), 80);
  $("result").dataset.kind = "pending";
  $("result").textContent = `Asking ${BACKEND_NAMES[backend]} for this view…`;
  try {
    const value = await cache.getOrCompute(
      NS,
      params,
      async () => {
        const t = performance.now();
        const pixels = await renderer.render(params);
        computeMs = performance.now() - t;
        return { pixels, computeMs };
      },
      { tags: tagsOf(view, params) },
    );
    const total = performance.now() - started;
    draw(params, value);
    const hit = computeMs === null;
    const cacheMs = hit ? total : total - computeMs;
    // larder absorbs a failed write (the render does not fit the byte limit, storage refused
    // it): the value still comes back, but say that it was not kept.
    const kept = hit || (await cache.has(NS, params));
    showResult(hit, hit ? value.computeMs : computeMs, cacheMs, BACKEND_NAMES[backend], kept);
    requests.add({ params, hit, computeMs: hit ? value.computeMs : computeMs, cacheMs, backend: BACKEND_NAMES[backend] });
  } catch (e) {
    const result = $("result");
    result.dataset.kind = "error";
    result.textContent = "The request failed; see the note above.";
    errorNote("Rendering this view failed.", e);
  } finally {
    clearTimeout(timer);
    $("busy").hidden = true;
    setBusy(false);
  }
  await refresh();
  settled();
}

/** Put the pixels of a render (value of getOrCompute) on the canvas. */
function draw(params, value) {
  const { width, height } = params;
  const px = value?.pixels;
  if (!ArrayBuffer.isView(px) || px.byteLength !== width * height * 4 || typeof value.computeMs !== "number") {
    throw new TypeError(`the cached value for this view is not a ${width}×${height} render`);
  }
  canvas.width = width;
  canvas.height = height;
  const rgba = new Uint8ClampedArray(px.buffer, px.byteOffset, px.byteLength);
  canvas.getContext("2d").putImageData(new ImageData(rgba, width, height), 0, 0);
  state.shown = params;
}

function showResult(hit, computeMs, cacheMs, backend, kept) {
  const result = $("result");
  result.dataset.kind = hit ? "hit" : "miss";
  const badge = document.createElement("span");
  badge.className = `badge ${hit ? "hit" : "miss"}`;
  badge.textContent = hit ? "hit" : "miss";
  const text = hit
    ? ` read from ${backend} in ${fmt.ms(cacheMs)}; rendering it took ${fmt.ms(computeMs)} ` +
      `(${Math.max(1, Math.round(computeMs / Math.max(cacheMs, 0.01)))}× faster from the cache)`
    : kept
      ? ` rendered in ${fmt.ms(computeMs)} in the worker, then stored in ${backend} in ${fmt.ms(cacheMs)}`
      : ` rendered in ${fmt.ms(computeMs)} in the worker, but not kept in ${backend}: ` +
        "it does not fit the byte limit, or the storage refused it";
  result.replaceChildren(badge, text);
}

function showView(params) {
  $("view-info").textContent = `${fmt.point(params.re, params.im, params.zoom)} ${fmt.zoom(params.zoom)}`;
}

function saveView(view, params) {
  try {
    localStorage.setItem(VIEW_KEY, JSON.stringify({ view, params }));
  } catch {
    // Storage blocked: the view is not kept, nothing else changes.
  }
}

/** The view saved by the last visit, if it is one. */
function savedView() {
  try {
    const { view, params } = JSON.parse(localStorage.getItem(VIEW_KEY));
    checkParams(params);
    if (typeof view.region === "string" && view.re === params.re && view.im === params.im && view.zoom === params.zoom) {
      return { view, params };
    }
  } catch {
    // Nothing saved, or not readable: start from the first region.
  }
  return null;
}

/** Go to `view`, keeping the current one for Back. */
function go(view) {
  if (state.busy) return;
  if (state.view) state.history.push(state.view);
  if (state.history.length > 100) state.history.shift();
  request(view);
}

function regionView(key) {
  const r = REGIONS[key];
  return { region: key, re: r.re, im: r.im, zoom: r.zoom };
}

/** Set the render settings' selects to `params`, adding an option the select lacks. */
function selectSettings(params) {
  const set = (id, value, label) => {
    const select = $(id);
    if (![...select.options].some((o) => o.value === value)) select.append(new Option(label, value));
    select.value = value;
  };
  set("size", `${params.width}x${params.height}`, `${params.width} × ${params.height}`);
  set("iterations", String(params.iterations), String(params.iterations));
  set("samples", String(params.samples), `${params.samples} × ${params.samples}`);
}

function showEntry(e) {
  if (state.busy || !isView(e.params)) return;
  const region = e.tags.find((t) => t.startsWith("region:"))?.slice(7) ?? "custom";
  selectSettings(e.params);
  if (region in REGIONS) $("region").value = region;
  go({ region, re: e.params.re, im: e.params.im, zoom: e.params.zoom });
  window.scrollTo({ top: 0, behavior: "smooth" });
}

// ---- controls ----

for (const [key, r] of Object.entries(REGIONS)) $("region").append(new Option(r.label, key));

$("render-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  if (state.view) request(state.view);
});
$("region").addEventListener("change", () => go(regionView($("region").value)));
for (const id of ["size", "iterations", "samples"]) {
  $(id).addEventListener("change", () => state.view && go(state.view));
}
$("back").addEventListener("click", () => {
  if (state.busy || state.history.length === 0) return;
  request(state.history.pop());
});
canvas.addEventListener("click", (ev) => {
  const shown = state.shown;
  if (state.busy || !shown) return;
  const box = canvas.getBoundingClientRect();
  const at = pointAt(shown, ((ev.clientX - box.left) * shown.width) / box.width, ((ev.clientY - box.top) * shown.height) / box.height);
  const zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, ev.shiftKey ? shown.zoom / 2 : shown.zoom * 2));
  go({ region: state.view.region, re: at.re, im: at.im, zoom });
});

for (const radio of document.querySelectorAll('input[name="backend"]')) {
  radio.addEventListener("change", () => switchCache({ ...state.settings, backend: radio.value }));
}
$("limits-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  switchCache({ ...state.settings, maxBytes: $("max-bytes").value, ttl: $("ttl").value });
});

async function switchCache(settings) {
  if (state.busy) return;
  setBusy(true);
  try {
    await useCache(settings);
  } catch (e) {
    errorNote("Opening the cache failed.", e);
  } finally {
    showSettings();
    setBusy(false);
  }
  settled();
}

$("invalidate").addEventListener("click", () => {
  const tag = $("tag").value;
  if (!tag) return;
  act(async (cache) => {
    const n = await cache.invalidateTag(tag);
    return `Invalidated ${n} ${n === 1 ? "entry" : "entries"} tagged ${tag}.`;
  });
});
$("prune").addEventListener("click", () =>
  act(async (cache) => {
    const n = await cache.prune();
    return n === 0 ? "Nothing had expired." : `Pruned ${n} expired ${n === 1 ? "entry" : "entries"}.`;
  }),
);
$("clear").addEventListener("click", () =>
  act(async (cache) => {
    await cache.clear();
    return "Cleared the cache.";
  }),
);

// ---- start ----

async function start() {
  setBusy(true);
  try {
    // Saved limits that larder refuses (edited by hand, say) give way to the defaults.
    if (!(await useCache(state.settings))) await useCache({ ...DEFAULT_SETTINGS, backend: state.settings.backend });
  } catch (e) {
    errorNote("The cache could not be opened at all.", e);
    $("status").textContent = "no cache";
    return;
  } finally {
    setBusy(false);
  }
  const saved = savedView();
  if (saved) {
    selectSettings(saved.params);
    if (saved.view.region in REGIONS) $("region").value = saved.view.region;
  }
  await request(saved?.view ?? regionView($("region").value));
  // Live: the sparklines move and ages count up; the list itself is re-read now and then
  // (another tab may have changed the cache).
  let ticks = 0;
  setInterval(() => {
    if (state.busy) return;
    entries.tick();
    if (++ticks % 5 === 0) refresh();
    else refreshStats();
  }, 1000);
  document.body.dataset.ready = "1";
}

start();
