/**
 * What a run reports: log lines in PaddleNLP's logger format (`[2021-06-01 12:00:00,123] [
 * INFO] - global step 10/300, epoch: 0, batch: 9, loss: ...`) on stdout and in
 * `<output_dir>/<mode>.log`, a progress bar while stdout is a terminal, and
 * `<output_dir>/metrics.jsonl` with one JSON record per logged step and per evaluation.
 */
import * as fs from 'fs';
import * as path from 'path';
import { SingleBar } from 'cli-progress';

export interface LogSink {
  info(message: string): void;
  warn(message: string): void;
}

export interface MetricRecord {
  step: number;
  split: 'train' | 'eval';
  [key: string]: number | string;
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** PaddleNLP's timestamp: `%Y-%m-%d %H:%M:%S,mmm`. */
export function timestamp(d = new Date()): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())},${pad(d.getMilliseconds(), 3)}`;
}

export interface RunLoggerOptions {
  logFile?: string | null;
  metricsFile?: string | null;
  /** Default: when stdout is a terminal. */
  progress?: boolean;
  write?: (line: string) => void;
}

export class RunLogger implements LogSink {
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

  private line(level: 'INFO' | 'WARNING', message: string): void {
    const text = `[${timestamp()}] [${level.padStart(8)}] - ${message}`;
    if (this.bar) {
      // Clear the bar's line, print, draw the bar again below (the busy training loop would
      // otherwise leave it until its timer fires).
      process.stdout.write('\r\x1b[2K');
      this.write(text);
      this.bar.render();
    } else this.write(text);
    if (this.logFile) fs.appendFileSync(this.logFile, `${text}\n`);
  }

  info(message: string): void {
    this.line('INFO', message);
  }

  warn(message: string): void {
    this.line('WARNING', message);
  }

  /** A fresh metrics file, or on resume the records up to `keepUpToStep` (a killed run's later ones dropped). */
  resetMetrics(keepUpToStep: number | null): void {
    if (!this.metricsFile) return;
    if (keepUpToStep === null || !fs.existsSync(this.metricsFile)) {
      fs.writeFileSync(this.metricsFile, '');
      return;
    }
    const kept = fs
      .readFileSync(this.metricsFile, 'utf8')
      .split('\n')
      .filter((l) => {
        if (!l.trim()) return false;
        try {
          const r = JSON.parse(l) as { step?: unknown };
          return typeof r.step === 'number' && r.step <= keepUpToStep;
        } catch {
          return false;
        }
      });
    fs.writeFileSync(this.metricsFile, kept.map((l) => `${l}\n`).join(''));
  }

  record(r: MetricRecord): void {
    if (this.metricsFile) fs.appendFileSync(this.metricsFile, `${JSON.stringify(r)}\n`);
  }

  startBar(title: string, total: number, start = 0): void {
    if (!this.progress) return;
    this.stopBar();
    this.bar = new SingleBar({ format: `${title} [{bar}] {value}/{total} {status}`, barsize: 30, hideCursor: true, clearOnComplete: true, stream: process.stdout });
    this.bar.start(total, start, { status: '' });
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
