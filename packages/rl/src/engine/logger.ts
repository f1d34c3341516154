/**
 * What a run reports: PARL's log lines (`[11-25 18:00:00 oar-rl] episode:50    test_reward:9.4`)
 * on stdout and in `<output>/train.log`, a progress bar over episodes while stdout is a terminal,
 * and `<output>/metrics.jsonl` with one JSON record per evaluation.
 */
import * as fs from 'fs';
import * as path from 'path';
import { SingleBar } from 'cli-progress';

/** One `metrics.jsonl` record. */
export interface MetricRecord {
  episode: number;
  split: 'eval';
  test_reward: number;
  [key: string]: number | string | boolean;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** PARL's logger timestamp: `%m-%d %H:%M:%S`. */
export function timestamp(d = new Date()): string {
  return `${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** A number as Python's `str(float)` prints it, so log lines read as PARL's (`200.0`, `9.4`). */
export function pyFloat(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  return Number.isInteger(v) && Math.abs(v) < 1e16 ? v.toFixed(1) : String(v);
}

export interface RunLoggerOptions {
  /** File the log lines are appended to. */
  logFile?: string | null;
  /** Where metrics.jsonl goes; null: not written. */
  metricsFile?: string | null;
  /** Show a progress bar (default: when stdout is a terminal). */
  progress?: boolean;
  /** Where log lines go besides the file (default: stdout). */
  write?: (line: string) => void;
}

export class RunLogger {
  readonly logFile: string | null;
  readonly metricsFile: string | null;
  readonly progress: boolean;
  private readonly write: (line: string) => void;
  private bar: SingleBar | null = null;

  constructor(opts: RunLoggerOptions = {}) {
    this.logFile = opts.logFile ?? null;
    this.metricsFile = opts.metricsFile ?? null;
    this.progress = opts.progress ?? !!process.stdout.isTTY;
    this.write = opts.write ?? ((line) => process.stdout.write(`${line}\n`));
    for (const f of [this.logFile, this.metricsFile]) if (f) fs.mkdirSync(path.dirname(f), { recursive: true });
  }

  info(message: string): void {
    this.line(message);
  }

  warn(message: string): void {
    this.line(`WARNING: ${message}`);
  }

  private line(message: string): void {
    const text = `[${timestamp()} oar-rl] ${message}`;
    if (this.bar) {
      // Clear the bar's line, print, and draw the bar again below (the training loop keeps the
      // event loop busy, so the bar's own redraw timer would not fire).
      process.stdout.write('\r\x1b[2K');
      this.write(text);
      this.bar.render();
    } else this.write(text);
    if (this.logFile) fs.appendFileSync(this.logFile, `${text}\n`);
  }

  /** Empties the metrics file at the start of a run. */
  resetMetrics(): void {
    if (this.metricsFile) fs.writeFileSync(this.metricsFile, '');
  }

  record(r: MetricRecord): void {
    if (this.metricsFile) fs.appendFileSync(this.metricsFile, `${JSON.stringify(r)}\n`);
  }

  /** Starts a bar of `total` steps (no-op without a terminal). */
  startBar(title: string, total: number): void {
    if (!this.progress) return;
    this.stopBar();
    this.bar = new SingleBar({
      format: `${title} [{bar}] {value}/{total} episodes {status}`,
      barsize: 30,
      hideCursor: true,
      clearOnComplete: true,
      stream: process.stdout,
    });
    this.bar.start(total, 0, { status: '' });
  }

  updateBar(value: number, status: string): void {
    this.bar?.update(value, { status });
  }

  stopBar(): void {
    if (!this.bar) return;
    this.bar.stop();
    this.bar = null;
  }

  close(): void {
    this.stopBar();
  }
}
