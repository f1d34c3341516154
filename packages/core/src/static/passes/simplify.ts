/**
 * simplify_with_basic_ops_pass: inference dropout (is_test) rewritten with basic ops. With
 * dropout_implementation "upscale_in_train" it is the identity, so the op goes and its readers
 * read its input; with "downgrade_in_infer" it is a scale by 1 − dropout_prob.
 *
 * A dropout whose output is fetched keeps its op (the output's name is the predictor's), as does
 * one whose Mask is read, whose output is written again later, or whose input is written again
 * before its output's last reader.
 */
import { attr, attrOf, slot, type Graph } from './graph';

export function simplifyDropout(g: Graph): number {
  let n = 0;
  for (const op of [...g.ops]) {
    if (op.type !== 'dropout' || !attrOf(op, 'is_test', false)) continue;
    const x = slot(op.inputs, 'X');
    const out = slot(op.outputs, 'Out');
    const mask = slot(op.outputs, 'Mask');
    if (x === undefined || out === undefined || (mask !== undefined && g.readersOf(mask).length > 0)) continue;
    const readers = g.readersOf(out);
    const at = g.indexOf(op);
    // Another write of Out later would make "every reader of Out" span two values.
    if (readers.some((r) => r.type === 'fetch') || g.touchedBetween(at, g.ops.length, [out], true)) continue;
    if (attrOf(op, 'dropout_implementation', 'downgrade_in_infer') === 'upscale_in_train') {
      const lastAt = readers.length ? g.indexOf(readers[readers.length - 1]!) : -1;
      if (lastAt >= 0 && g.touchedBetween(at, lastAt, [x], true)) continue;
      for (const r of readers) for (const names of Object.values(r.inputs)) names.forEach((v, i) => v === out && (names[i] = x));
      g.remove(op);
    } else {
      op.type = 'scale';
      op.inputs = { X: [x] };
      op.outputs = { Out: [out] };
      op.attrs = { scale: attr.float(1 - attrOf(op, 'dropout_prob', 0.5)), bias: attr.float(0), bias_after_scale: attr.bool(true) };
      g.changed();
    }
    n++;
  }
  return n;
}
