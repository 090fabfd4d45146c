// The worker side of in-worker.ts: import the module, call the function, post the result.
// Plain JavaScript that registers tsx itself: on Node 20, `--import tsx` does not reach the
// module loader of a worker thread.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();

const { module, name, args } = workerData;
const mod = await import(module);
const fn = mod[name];
if (typeof fn !== 'function') throw new Error(`${module} does not export a function ${name}`);
parentPort.postMessage(await fn(...args));
