/**
 * The timing loop the accelerator benchmarks share (xpu_predictor.ts, xpu_bert.ts): for each
 * predictor and batch size, 5 warm-up runs and then `reps` timed runs, host to host; the row gets
 * the median per batch size beside the predictor's creation and first-run times.
 */
import type { inference } from '@oar/core';

export interface TimedPredictor {
  name: string;
  p: inference.Predictor;
  createMs: number;
  firstRunMs: number;
}

export const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

/** One row per predictor: runtime, create_ms, first_run_ms and b{B}_ms for each batch size. */
export function timePredictors(runners: TimedPredictor[], batches: number[], reps: number, run: (p: inference.Predictor, batch: number) => void): Record<string, number | string>[] {
  return runners.map((q) => {
    const row: Record<string, number | string> = { runtime: q.name, create_ms: q.createMs, first_run_ms: q.firstRunMs };
    for (const b of batches) {
      for (let i = 0; i < 5; i++) run(q.p, b);
      const times: number[] = [];
      for (let i = 0; i < reps; i++) {
        const t = performance.now();
        run(q.p, b);
        times.push(performance.now() - t);
      }
      row[`b${b}_ms`] = median(times);
    }
    return row;
  });
}
