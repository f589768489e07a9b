// The page's compute worker: renders one Mandelbrot view per message, off the
// main thread, and sends the pixels back (transferred, not copied) with the
// time the render took. Knows nothing of the cache: the page memoizes.
import { render } from "./mandelbrot.js";

self.onmessage = (event) => {
  const { id, params } = event.data;
  try {
    const started = performance.now();
    const pixels = render(params);
    const ms = performance.now() - started;
    self.postMessage({ id, pixels, ms }, [pixels.buffer]);
  } catch (e) {
    self.postMessage({ id, error: `${e.name}: ${e.message}` });
  }
};
