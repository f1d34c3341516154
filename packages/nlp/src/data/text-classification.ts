/**
 * Sequence-classification data from text files: GLUE's TSV layout with a header (SST-2:
 * `sentence<TAB>label`), headerless `text<TAB>label` (ChnSentiCorp, UCI Sentiment Labelled
 * Sentences), or `text,label` (the label after the last comma). A malformed line is an error that
 * names the file, the line and what was expected, unless skipping is asked for, in which case it
 * is skipped and counted.
 */
import * as fs from 'fs';

export type DataFormat = 'glue' | 'tsv' | 'csv';

export interface Example {
  text: string;
  textPair?: string;
  /** Index into the label list. */
  label: number;
  /** Where it came from, for messages: `file:line`. */
  source: string;
}

export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataError';
  }
}

export interface ReadOptions {
  format: DataFormat;
  /** The label strings; a label outside them is malformed. */
  labels: readonly string[];
  /** Skip (and count) malformed lines instead of failing. */
  skipMalformed?: boolean;
}

export interface ReadResult {
  examples: Example[];
  /** Malformed lines skipped, with the reason of the first few. */
  skipped: number;
  skippedReasons: string[];
}

/** Splits a CSV line at its last comma; a quoted text ("a, b") is unquoted, "" becoming ". */
function splitCsv(line: string): [string, string] | null {
  const at = line.lastIndexOf(',');
  if (at < 0) return null;
  let text = line.slice(0, at);
  const label = line.slice(at + 1);
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) text = text.slice(1, -1).replace(/""/g, '"');
  return [text, label];
}

export function readClassificationFile(file: string, opts: ReadOptions): ReadResult {
  let content: string;
  try {
    content = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new DataError(`cannot read ${file}: ${(e as Error).message}`);
  }
  if (content.charCodeAt(0) === 0xfeff) content = content.slice(1);
  const lines = content.split('\n');
  const labelIndex = new Map(opts.labels.map((l, i) => [l, i]));
  const labelsText = opts.labels.join(', ');
  const out: ReadResult = { examples: [], skipped: 0, skippedReasons: [] };
  let textCol = 0;
  let pairCol = -1;
  let labelCol = 1;
  let columns = 2;
  let start = 0;
  if (opts.format === 'glue') {
    // GLUE files name their columns in a header: sentence / sentence1, sentence2 / label.
    const header = (lines[0] ?? '').replace(/\r$/, '').split('\t');
    const find = (...names: string[]): number => header.findIndex((h) => names.includes(h.trim()));
    textCol = find('sentence', 'sentence1', 'text_a', 'text', 'question');
    pairCol = find('sentence2', 'text_b');
    labelCol = find('label');
    if (textCol < 0 || labelCol < 0) {
      throw new DataError(`${file}:1: expected a GLUE header naming the columns (sentence or sentence1 [, sentence2], and label), got ${JSON.stringify(lines[0]?.slice(0, 80) ?? '')}`);
    }
    columns = header.length;
    start = 1;
  }
  const expectedShape = opts.format === 'glue' ? `${columns} tab-separated columns as in the header` : opts.format === 'tsv' ? '"text<TAB>label"' : '"text,label"';
  for (let i = start; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '' && i === lines.length - 1) continue; // the final newline
    const where = `${file}:${i + 1}`;
    const bad = (why: string): void => {
      if (!opts.skipMalformed) throw new DataError(`${where}: ${why} (pass skip_malformed to skip such lines and count them)`);
      out.skipped++;
      if (out.skippedReasons.length < 5) out.skippedReasons.push(`${where}: ${why}`);
    };
    let fields: string[] | null;
    if (opts.format === 'csv') {
      const f = splitCsv(line);
      fields = f ? [f[0], f[1]] : null;
    } else fields = line.split('\t');
    if (!fields || fields.length !== columns) {
      bad(`expected ${expectedShape}, got ${fields ? fields.length : 1} field${fields && fields.length === 1 ? '' : 's'}: ${JSON.stringify(line.slice(0, 60))}`);
      continue;
    }
    const labelText = fields[labelCol]!.trim();
    const label = labelIndex.get(labelText);
    if (label === undefined) {
      bad(`label ${JSON.stringify(labelText)} is not one of the labels (${labelsText})`);
      continue;
    }
    const text = fields[textCol]!.trim();
    if (text === '') {
      bad('the text is empty');
      continue;
    }
    const ex: Example = { text, label, source: where };
    if (pairCol >= 0) ex.textPair = fields[pairCol]!.trim();
    out.examples.push(ex);
  }
  return out;
}

/** Holds out every example whose shuffled position falls in the last `fraction` (seeded, so the split is stable). */
export function holdOut<T>(items: readonly T[], fraction: number, shuffledOrder: number[]): { train: T[]; dev: T[] } {
  const nDev = Math.round(items.length * fraction);
  const devIdx = new Set(shuffledOrder.slice(0, nDev));
  const train: T[] = [];
  const dev: T[] = [];
  items.forEach((x, i) => (devIdx.has(i) ? dev : train).push(x));
  return { train, dev };
}
