// The JS half of task.rs, the executor behind every Promise a Cache method
// returns.

// A new Promise and the functions that settle it (Promise.withResolvers is
// not in Node 20).
export function deferred() {
  let resolve, reject;
  const promise = new Promise((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return [promise, resolve, reject];
}
