/**
 * Losses of a `Loss.Train` / `Loss.Eval` list (ppcls/loss): each entry computes one named loss,
 * scaled by its `weight`; `loss` is their sum, the value that is back-propagated (PaddleClas's
 * CombinedLoss).
 */
import { add, crossEntropy, multiply, reshape, scale, subtract, sum, type Tensor } from '@oar/core';
import type { LossEntry } from '../config/schema/loss';
import { entryName } from '../config/schema/common';

/** What a model returns: logits, or (GoogLeNet in training) the main and auxiliary logits. */
export type ModelOutput = Tensor | Tensor[] | { logits: Tensor };

/** Labels of a plain batch ([B] or [B, 1] class ids), or of a Mixup/Cutmix batch. */
export type BatchLabels = { kind: 'hard'; label: Tensor } | { kind: 'mixed'; labelA: Tensor; labelB: Tensor; lam: Tensor };

export type LossDict = Record<string, Tensor>;

/** The main logits of a model output (the first of a list, `logits` of a dict). */
export function mainLogits(out: ModelOutput): Tensor {
  if (Array.isArray(out)) {
    if (!out.length) throw new Error('the model returned an empty list');
    return out[0]!;
  }
  if ('logits' in out && !('shape' in out)) return out.logits;
  return out as Tensor;
}

/** [B] or [B, 1] labels as [B, 1] (the layout cross entropy takes with the class axis last). */
function column(label: Tensor): Tensor {
  return label.ndim === 2 && label.shape[1] === 1 ? label : reshape(label, [-1, 1]);
}

/** Mean cross entropy with optional label smoothing (PaddleClas CELoss: epsilon in (0, 1)). */
function ce(logits: Tensor, label: Tensor, epsilon: number | null | undefined): Tensor {
  return crossEntropy(logits, column(label), { labelSmoothing: epsilon ?? 0 });
}

/** Per-sample cross entropy ([B, 1]), for Mixup's lam-weighted mean. */
function cePerSample(logits: Tensor, label: Tensor, epsilon: number | null | undefined): Tensor {
  return crossEntropy(logits, column(label), { labelSmoothing: epsilon ?? 0, reduction: 'none' });
}

export interface LossTerm {
  /** The loss's key in the result (CELoss, MixCELoss, GoogLeNetLoss). */
  readonly name: string;
  readonly weight: number;
  compute(out: ModelOutput, labels: BatchLabels): Tensor;
}

function requireHard(name: string, labels: BatchLabels, where: string): Tensor {
  if (labels.kind !== 'hard') {
    throw new Error(`${where}: ${name} takes plain labels, but the batch was mixed by batch_transform_ops; use MixCELoss for Mixup/Cutmix training`);
  }
  return labels.label;
}

function makeTerm(entry: LossEntry, where: string): LossTerm {
  const name = entryName(entry);
  const p = (entry as Record<string, { weight: number; epsilon?: number | null }>)[name]!;
  switch (name) {
    case 'CELoss':
      return {
        name,
        weight: p.weight,
        compute: (out, labels) => ce(mainLogits(out), requireHard(name, labels, where), p.epsilon),
      };
    case 'MixCELoss':
      // lam · CE(label_a) + (1 − lam) · CE(label_b), averaged over the batch; on a plain batch
      // (evaluation) it is the ordinary cross entropy.
      return {
        name,
        weight: p.weight,
        compute: (out, labels) => {
          const logits = mainLogits(out);
          if (labels.kind === 'hard') return ce(logits, labels.label, p.epsilon);
          const lam = reshape(labels.lam, [-1, 1]);
          const a = cePerSample(logits, labels.labelA, p.epsilon);
          const b = cePerSample(logits, labels.labelB, p.epsilon);
          const mixed = add(multiply(a, lam), multiply(b, subtract(1, lam)));
          return scale(sum(mixed), 1 / logits.shape[0]!);
        },
      };
    case 'GoogLeNetLoss':
      // GoogLeNet's main head plus its two auxiliary heads weighted 0.3 (PaddleClas GoogLeNetLoss).
      return {
        name,
        weight: p.weight,
        compute: (out, labels) => {
          const label = requireHard(name, labels, where);
          if (!Array.isArray(out) || out.length !== 3) {
            throw new Error(`${where}: GoogLeNetLoss needs the model's three outputs (main and two auxiliary logits), got ${Array.isArray(out) ? `${out.length} outputs` : 'one tensor'}`);
          }
          const [o0, o1, o2] = out as [Tensor, Tensor, Tensor];
          return add(ce(o0, label, p.epsilon), scale(add(ce(o1, label, p.epsilon), ce(o2, label, p.epsilon)), 0.3));
        },
      };
    default:
      throw new Error(`${where}: unknown loss ${name}`);
  }
}

/** The weighted losses of one list and their sum under `loss`. */
export class CombinedLoss {
  readonly terms: LossTerm[];

  constructor(entries: readonly LossEntry[], where = 'Loss.Train') {
    if (!entries.length) throw new Error(`${where}: the list is empty; add a loss such as "- CELoss: {weight: 1.0}"`);
    this.terms = entries.map((e, i) => makeTerm(e, `${where}.${i}`));
  }

  compute(out: ModelOutput, labels: BatchLabels): LossDict {
    const dict: LossDict = {};
    let total: Tensor | null = null;
    for (const t of this.terms) {
      let v = t.compute(out, labels);
      if (t.weight !== 1) v = scale(v, t.weight);
      v = reshape(v, [1]);
      dict[t.name] = dict[t.name] ? add(dict[t.name]!, v) : v;
      total = total ? add(total, v) : v;
    }
    dict.loss = total!;
    return dict;
  }
}

export function buildLoss(entries: readonly LossEntry[] | undefined | null, where: string): CombinedLoss | null {
  return entries && entries.length ? new CombinedLoss(entries, where) : null;
}
