// The page's side of the compute worker (worker.js): one promise per render.

export class Renderer {
  constructor() {
    this.next = 0;
    this.pending = new Map();
    this.worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
    this.worker.onmessage = ({ data }) => {
      const job = this.pending.get(data.id);
      if (!job) return;
      this.pending.delete(data.id);
      if (data.error) job.reject(new Error(`the render failed: ${data.error}`));
      else job.resolve(data.pixels);
    };
    // A worker that fails to load or throws outside a message takes every pending render with it.
    this.worker.onerror = (event) => {
      event.preventDefault();
      const error = new Error(`the render worker failed: ${event.message || "it could not be loaded"}`);
      for (const job of this.pending.values()) job.reject(error);
      this.pending.clear();
    };
  }

  /** The RGBA pixels of `params` (see mandelbrot.js `render`), computed in the worker. */
  render(params) {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, params });
    });
  }
}
