// Opening the page's cache: the settings a person chose (kept in
// localStorage, so they survive a reload), and the fallbacks when the
// chosen storage is not there: OPFS, then IndexedDB, then memory.

import { Cache } from "larder";

/** The cache's name: OPFS directory `larder-www-demo`, IndexedDB database `larder-www-demo`. */
export const CACHE_NAME = "www-demo";

export const BACKEND_NAMES = { indexeddb: "IndexedDB", opfs: "OPFS", memory: "memory only" };

const SETTINGS_KEY = "larder-www-settings";
export const DEFAULT_SETTINGS = Object.freeze({ backend: "indexeddb", maxBytes: "50MB", ttl: "" });

/** The saved settings, or the defaults for any that are missing or not strings. */
export function loadSettings() {
  let saved = {};
  try {
    saved = JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? "{}") ?? {};
  } catch {
    // Storage blocked or a damaged value: start from the defaults.
  }
  const settings = { ...DEFAULT_SETTINGS };
  for (const key of Object.keys(settings)) {
    if (typeof saved[key] === "string") settings[key] = saved[key];
  }
  if (!(settings.backend in BACKEND_NAMES) || settings.backend === "memory") settings.backend = DEFAULT_SETTINGS.backend;
  return settings;
}

/** Keep `settings` for the next visit; false when the browser refuses (storage blocked). */
export function saveSettings(settings) {
  try {
    localStorage.setItem(SETTINGS_KEY, JSON.stringify(settings));
    return true;
  } catch {
    return false;
  }
}

/** Cache.open options for `backend` with the limits of `settings`. */
function openOptions(backend, settings) {
  // No memory tier: every hit reads the backend, so hit times show what
  // IndexedDB or OPFS costs, and the two can be compared.
  const options = { backend, name: CACHE_NAME, memoryBytes: 0 };
  if (settings.maxBytes.trim()) options.maxBytes = settings.maxBytes.trim();
  if (settings.ttl.trim()) options.ttl = settings.ttl.trim();
  return options;
}

/**
 * Open the cache on `settings.backend`; where that storage is unavailable,
 * the next one (OPFS, then IndexedDB, then memory). Resolves to
 * `{ cache, backend, failures }`, `failures` being `[{ backend, error }]`
 * for each storage that could not be opened, whose `error.message` names
 * the cause. Bad limits reject with larder's TypeError or RangeError: those
 * are for the person to fix, and no other storage would take them either.
 */
export async function openCache(settings) {
  const order = { opfs: ["opfs", "indexeddb", "memory"], indexeddb: ["indexeddb", "memory"] }[settings.backend] ?? ["memory"];
  const failures = [];
  for (const backend of order) {
    try {
      const cache = await Cache.open(openOptions(backend, settings));
      return { cache, backend, failures };
    } catch (error) {
      if (error instanceof TypeError || error instanceof RangeError) throw error;
      failures.push({ backend, error });
    }
  }
  throw failures.at(-1).error;
}
