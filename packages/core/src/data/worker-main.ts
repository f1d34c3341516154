/** Entry of a data-loader worker thread: rebuilds the data set, then serves samples by index. */
import { parentPort, workerData } from 'worker_threads';
import { engine } from '../engine/engine';
import type { WorkerDatasetSpec } from './worker-pool';

interface Loadable {
  getItem(i: number): unknown;
}

const { spec, seed } = workerData as { spec: WorkerDatasetSpec; seed: number };
engine.seed(seed);
const mod = require(spec.module) as Record<string, new (...args: unknown[]) => Loadable>;
const Ctor = mod[spec.exportName];
if (typeof Ctor !== 'function') throw new Error(`${spec.module} has no export ${spec.exportName}`);
const dataset = new Ctor(...spec.args);

/** Buffers of typed arrays in a sample, moved to the main thread instead of copied. */
function transferables(v: unknown, out: Set<ArrayBuffer>, depth = 0): void {
  if (depth > 6 || v === null || typeof v !== 'object') return;
  if (ArrayBuffer.isView(v)) {
    if (v.buffer instanceof ArrayBuffer && v.byteLength === v.buffer.byteLength) out.add(v.buffer);
    return;
  }
  for (const x of Array.isArray(v) ? v : Object.values(v)) transferables(x, out, depth + 1);
}

async function serve(m: { id: number; index: number }): Promise<void> {
  try {
    const sample = await dataset.getItem(m.index);
    const tl = new Set<ArrayBuffer>();
    transferables(sample, tl);
    parentPort!.postMessage({ id: m.id, sample }, [...tl]);
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: (e as Error).message });
  }
}

// Requests are served strictly in arrival order, so the random draws of the samples do not
// depend on how long each one takes to decode.
let chain: Promise<void> = Promise.resolve();
parentPort!.on('message', (m: { id: number; index: number }) => {
  chain = chain.then(() => serve(m));
});
