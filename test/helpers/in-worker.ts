/**
 * Runs a test's possibly-stalling work in a worker thread. node:test's `timeout` is a timer on
 * the test's own thread, so it cannot fire while synchronous code (a backtracking regular
 * expression) holds that thread: such a test would hang instead of failing. With the work in a
 * worker, the timer fires, the test fails by timeout, and the worker is terminated.
 */
import { Worker } from 'node:worker_threads';

/**
 * Calls the function exported as `name` by the module at `module` (a file URL) with `args`
 * (structured-cloneable) in a worker thread, and resolves with what it returns. The worker is
 * terminated when `signal` aborts (pass the test context's `t.signal`, which aborts on timeout).
 */
export function inWorker<T>(module: URL, name: string, args: unknown[], signal: AbortSignal): Promise<T> {
  const worker = new Worker(new URL('./in-worker-entry.mjs', import.meta.url), {
    workerData: { module: module.href, name, args },
  });
  // Never keep the test process alive for a stalled worker.
  worker.unref();
  const stop = () => void worker.terminate();
  signal.addEventListener('abort', stop, { once: true });
  return new Promise<T>((resolve, reject) => {
    worker.once('message', (value: T) => resolve(value));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`worker exited with code ${code} before answering`)));
  }).finally(() => {
    signal.removeEventListener('abort', stop);
    void worker.terminate();
  });
}
