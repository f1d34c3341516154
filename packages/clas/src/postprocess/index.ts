/**
 * Post-processing of predictions (ppcls/data/postprocess): `Topk` turns logits into the k most
 * probable classes per image, with their softmax scores and, given a `class_id_map_file`, their
 * names.
 */
import * as fs from 'fs';
import type { Tensor } from '@oar/core';
import type { PostProcessConfig } from '../config/schema/infer';

export interface TopkResult {
  class_ids: number[];
  /** Softmax probabilities, rounded to 5 decimals as PaddleClas prints them. */
  scores: number[];
  file_name?: string;
  label_names?: string[];
}

/**
 * Reads a class id map: one `id name` per line, the name being everything after the first
 * space (PaddleClas's `line.partition(" ")`). Blank lines are skipped; anything else that does
 * not start with an integer id is an error naming the file and line.
 */
export function readClassIdMap(file: string): Map<number, string> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`class_id_map_file ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const map = new Map<number, string>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    const sp = line.indexOf(' ');
    const id = sp < 0 ? line : line.slice(0, sp);
    if (!/^\d+$/.test(id)) throw new Error(`class_id_map_file ${file}:${i + 1}: expected "<class id> <name>", got ${JSON.stringify(line)}`);
    map.set(Number(id), sp < 0 ? '' : line.slice(sp + 1));
  });
  return map;
}

export class Topk {
  readonly topk: number;
  readonly classIdMap: Map<number, string> | null;

  constructor(cfg: Pick<PostProcessConfig, 'topk' | 'class_id_map_file'>) {
    this.topk = cfg.topk;
    this.classIdMap = cfg.class_id_map_file ? readClassIdMap(cfg.class_id_map_file) : null;
  }

  /** Results for each row of `logits` ([batch, classes]); `fileNames` label them. */
  apply(logits: Tensor, fileNames?: readonly string[]): TopkResult[] {
    if (logits.ndim !== 2) throw new Error(`Topk: expected logits [batch, classes], got [${logits.shape.join(', ')}]`);
    const [b, c] = logits.shape as [number, number];
    const k = Math.min(this.topk, c);
    const x = logits.dataSync();
    const out: TopkResult[] = [];
    for (let i = 0; i < b; i++) {
      // Softmax on the host: the rows are short and the result goes to the host anyway.
      const row = Array.from({ length: c }, (_, j) => Number(x[i * c + j]!));
      const m = Math.max(...row);
      const e = row.map((v) => Math.exp(v - m));
      const z = e.reduce((a, v) => a + v, 0);
      const probs = e.map((v) => v / z);
      // Highest first; equal scores keep the higher class id first, as NumPy's argsort()[::-1] does.
      const order = probs.map((p, j) => [p, j] as const).sort((a, bb) => bb[0] - a[0] || bb[1] - a[1]);
      const top = order.slice(0, k);
      const r: TopkResult = {
        class_ids: top.map(([, j]) => j),
        scores: top.map(([p]) => Math.round(p * 1e5) / 1e5),
      };
      if (fileNames) r.file_name = fileNames[i];
      if (this.classIdMap) {
        r.label_names = top.map(([, j]) => {
          const name = this.classIdMap!.get(j);
          if (name === undefined) throw new Error(`Topk: class ${j} has no entry in class_id_map_file`);
          return name;
        });
      }
      out.push(r);
    }
    return out;
  }
}

export function buildPostProcess(cfg: PostProcessConfig): Topk {
  return new Topk(cfg);
}
