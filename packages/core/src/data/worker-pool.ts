import * as path from 'path';
import { Worker } from 'worker_threads';

/**
 * How a worker thread rebuilds a data set: `require(module)[exportName]` constructed with
 * `args` (structured-cloneable). Data sets that can be loaded in worker threads implement
 * `workerSpec()` returning this.
 */
export interface WorkerDatasetSpec {
  module: string;
  exportName: string;
  args: unknown[];
}

export interface WorkerCapable {
  workerSpec(): WorkerDatasetSpec;
}

export function isWorkerCapable(d: unknown): d is WorkerCapable {
  return typeof (d as WorkerCapable).workerSpec === 'function';
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

// Started with `eval` so it works from compiled .js and, under the test runner, from .ts
// sources (compiled on the fly by @swc/core, a development dependency).
const BOOTSTRAP = `
const { workerData } = require('worker_threads');
if (workerData.entry.endsWith('.ts')) {
  const swc = require('@swc/core');
  const Module = require('module');
  const fs = require('fs');
  Module._extensions['.ts'] = (m, filename) => {
    const src = fs.readFileSync(filename, 'utf8');
    const out = swc.transformSync(src, { filename, jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } });
    m._compile(out.code, filename);
  };
  // Workspace packages resolve to their sources, as in the test runner.
  const path = require('path');
  const packages = path.resolve(workerData.entry, '../../../..');
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    const m = new RegExp('^@oar/([a-z-]+)(/testing)?$').exec(request);
    if (m) request = path.join(packages, m[1], 'src', m[2] ? 'testing/index.ts' : 'index.ts');
    return resolve.call(this, request, ...rest);
  };
}
require(workerData.entry);
`;

/** Worker threads that load samples of one data set by index. */
export class WorkerPool {
  private workers: Worker[] = [];
  private pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  /**
   * `seed` is the base of the workers' generators: worker w seeds its Philox stream with
   * seed + w (as Paddle seeds base_seed + worker_id), so augmentations differ between workers
   * and repeat when the main process was seeded.
   */
  constructor(spec: WorkerDatasetSpec, n: number, seed: number) {
    const ext = path.extname(__filename);
    const entry = path.join(__dirname, `worker-main${ext}`);
    for (let w = 0; w < n; w++) {
      const worker = new Worker(BOOTSTRAP, { eval: true, workerData: { entry, spec, workerId: w, seed: seed + w } });
      worker.unref();
      worker.on('message', (m: { id: number; sample?: unknown; error?: string }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.error !== undefined) p.reject(new Error(`data loader worker ${w}: ${m.error}`));
        else p.resolve(m.sample);
      });
      worker.on('error', (e) => this.failAll(new Error(`data loader worker ${w} crashed: ${e.message}`)));
      this.workers.push(worker);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /**
   * Loads sample `index` on worker `w`. Each worker loads its samples one after another, so with
   * batches assigned round-robin (as Paddle does) a seeded run draws the same augmentations.
   */
  get(index: number, w: number): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('data loader workers were shut down'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.workers[w]!.postMessage({ id, index });
    });
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.failAll(new Error('data loader workers were shut down'));
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers = [];
  }
}
