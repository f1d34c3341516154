/**
 * What a run reports: log lines in PaddleClas's format (`[2021/06/01 12:00:00] oar-clas INFO:
 * [Train][Epoch 1/3][Iter: 10/188]lr: ..., CELoss: ..., ...`) on stdout and in
 * `output/<Arch>/<mode>.log`, a progress bar while stdout is a terminal, and
 * `output/<Arch>/metrics.jsonl` with one JSON object per logged step and per evaluation.
 */
import * as fs from 'fs';
import * as path from 'path';
import { SingleBar } from 'cli-progress';

export interface LogSink {
  info(message: string): void;
  warn(message: string): void;
}

/** One `metrics.jsonl` record: the split, where in training it was taken, and the values. */
export interface MetricRecord {
  split: 'train' | 'eval';
  epoch: number;
  /** Global optimizer step when the record was taken. */
  step: number;
  [key: string]: number | string;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** PaddleClas's timestamp: `%Y/%m/%d %H:%M:%S`. */
export function timestamp(d = new Date()): string {
  return `${d.getFullYear()}/${pad2(d.getMonth() + 1)}/${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** `datetime.timedelta(seconds=int(s))` as Python prints it: `0:05:07`, `1 day, 2:00:00`. */
export function formatEta(seconds: number): string {
  let s = Math.max(0, Math.floor(Number.isFinite(seconds) ? seconds : 0));
  const days = Math.floor(s / 86400);
  s -= days * 86400;
  const hms = `${Math.floor(s / 3600)}:${pad2(Math.floor((s % 3600) / 60))}:${pad2(s % 60)}`;
  return days ? `${days} day${days > 1 ? 's' : ''}, ${hms}` : hms;
}

export interface RunLoggerOptions {
  /** File the log lines are appended to (PaddleClas writes output/<Arch>/<mode>.log). */
  logFile?: string | null;
  /** Where metrics.jsonl goes; null: not written. */
  metricsFile?: string | null;
  /** Show a progress bar (default: when stdout is a terminal). */
  progress?: boolean;
  /** Where log lines go besides the file (default: stdout). */
  write?: (line: string) => void;
}

/** Log lines, the progress bar and the metrics file of one run. */
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
    const text = `[${timestamp()}] oar-clas ${level}: ${message}`;
    if (this.bar) {
      // With a bar on screen: clear its line, print, and draw the bar again below. (The loop
      // keeps the event loop busy, so a bar that waits for its timer would not redraw.)
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

  /**
   * Starts a fresh metrics file, or, when resuming, keeps the records up to `keepUpToStep`
   * and drops those a killed run wrote after its last checkpoint, so a plot has no repeats.
   */
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
          return false; // a line cut short by the kill
        }
      });
    fs.writeFileSync(this.metricsFile, kept.map((l) => `${l}\n`).join(''));
  }

  record(r: MetricRecord): void {
    if (this.metricsFile) fs.appendFileSync(this.metricsFile, `${JSON.stringify(r)}\n`);
  }

  /** Starts a bar of `total` steps titled `title` (no-op without a terminal). */
  startBar(title: string, total: number): void {
    if (!this.progress) return;
    this.stopBar();
    this.bar = new SingleBar({
      format: `${title} [{bar}] {value}/{total} {status}`,
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

/** Five decimals, as PaddleClas's `{:.5f}`. */
export function f5(v: number): string {
  return v.toFixed(5);
}
