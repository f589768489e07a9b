// The JS half of task.rs, the executor behind every Promise a Cache method
// returns: the functions that settle a task's Promise stay here, by task id,
// so that making and settling one costs a call across the wasm boundary
// each, not one per function handed over and one to call it.

const settlers = [];

// A new Promise for task `id`.
export function deferred(id) {
  return new Promise((resolve, reject) => {
    settlers[id] = [resolve, reject];
  });
}

// Settle task `id`'s Promise: resolve it with `value` if `ok`, else reject it.
export function settle(id, ok, value) {
  const s = settlers[id];
  settlers[id] = undefined;
  s[ok ? 0 : 1](value);
}
