// The two tables: the requests this visit made, and the entries in the cache
// (from cache.entries()), whose age and expiry count on between refreshes.

import * as fmt from "./format.js";

/** Whether `p` is a view this page stored (entries of other pages could share the cache). */
export function isView(p) {
  return (
    p !== null &&
    typeof p === "object" &&
    ["re", "im", "zoom", "width", "height", "iterations", "samples"].every((k) => typeof p[k] === "number")
  );
}

export class EntriesTable {
  /**
   * `tbody` of the table, `count` the element that says how many; `onShow(entry)`
   * and `onDelete(entry)` are called by each row's buttons.
   */
  constructor(tbody, count, { onShow, onDelete }) {
    this.tbody = tbody;
    this.count = count;
    this.onShow = onShow;
    this.onDelete = onDelete;
    this.rows = [];
  }

  /** Show `entries` (from cache.entries(), most recently used first). */
  show(entries) {
    this.tbody.replaceChildren();
    this.rows = [];
    this.count.textContent = entries.length === 1 ? "1 entry" : `${entries.length} entries`;
    if (entries.length === 0) {
      const tr = row([cell("The cache is empty.", "empty")]);
      tr.firstChild.colSpan = 7;
      this.tbody.append(tr);
      return;
    }
    for (const e of entries) {
      const age = cell("", "num");
      const expires = cell("");
      const tags = cell("");
      for (const tag of e.tags) {
        const chip = document.createElement("span");
        chip.className = "chip";
        chip.textContent = tag;
        tags.append(chip);
      }
      const actions = cell("", "row-actions");
      const show = button("Show", () => this.onShow(e));
      show.disabled = !isView(e.params);
      actions.append(show, button("Delete", () => this.onDelete(e)));
      const size = cell(fmt.bytes(e.size), "num size");
      size.title = `${e.size.toLocaleString("en-US")} bytes`;
      size.dataset.bytes = e.size;
      const tr = row([cell(`${e.namespace} v${e.version}`), paramsCell(e.params), size, age, expires, tags, actions]);
      tr.className = "entry";
      this.tbody.append(tr);
      this.rows.push({ entry: e, age, expires });
    }
    this.tick();
  }

  /** Bring ages and expiries up to now. */
  tick() {
    const now = Date.now();
    for (const { entry, age, expires } of this.rows) {
      age.textContent = fmt.span(now - entry.created);
      if (entry.expires === null) {
        expires.textContent = "never";
        expires.className = "muted";
      } else if (entry.expires <= now) {
        expires.textContent = "expired";
        expires.className = "expired";
      } else {
        expires.textContent = `in ${fmt.span(entry.expires - now)}`;
        expires.className = "";
      }
    }
  }
}

export class RequestsTable {
  constructor(tbody) {
    this.tbody = tbody;
    this.empty = row([cell("Nothing requested yet.", "empty")]);
    this.empty.firstChild.colSpan = 5;
    tbody.append(this.empty);
  }

  /**
   * Add a request at the top: `{ params, hit, computeMs, cacheMs, backend }`;
   * `cacheMs` is the time spent in the cache (the whole hit, or storing a miss).
   */
  add(r) {
    this.empty.remove();
    const label = document.createElement("span");
    label.className = `badge ${r.hit ? "hit" : "miss"}`;
    label.textContent = r.hit ? "hit" : "miss";
    const result = cell("");
    result.append(label, ` ${r.backend}`);
    const compute = cell(r.computeMs === null ? "–" : fmt.ms(r.computeMs), "num");
    if (r.hit) compute.classList.add("muted");
    const tr = row([cell(new Date().toLocaleTimeString("en-GB")), paramsCell(r.params), result, compute, cell(fmt.ms(r.cacheMs), "num")]);
    tr.className = r.hit ? "request hit" : "request miss";
    this.tbody.prepend(tr);
    while (this.tbody.children.length > 50) this.tbody.lastChild.remove();
  }
}

function paramsCell(p) {
  const td = cell("", "params");
  if (!isView(p)) {
    td.textContent = JSON.stringify(p) ?? "(undecodable)";
    return td;
  }
  const where = document.createElement("div");
  where.textContent = `${fmt.point(p.re, p.im, p.zoom)} ${fmt.zoom(p.zoom)}`;
  const how = document.createElement("div");
  how.className = "muted";
  how.textContent = fmt.settings(p);
  td.append(where, how);
  return td;
}

function row(cells) {
  const tr = document.createElement("tr");
  tr.append(...cells);
  return tr;
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function button(text, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.addEventListener("click", onClick);
  return b;
}
