/**
 * The residual-connection fusion shared by conv_elementwise_add_mkldnn_fuse_pass and
 * fc_elementwise_add_mkldnn_fuse_pass: `elementwise_add(a, b)` of two same-shape activations,
 * where `a` is written by a fusable op that only this add reads, becomes that op's ResidualData
 * input (`b`) with fuse_residual_connection set, writing the add's output.
 */
import type { OpDesc } from '../proto';
import { attr, slot, type Graph } from './graph';

export interface ResidualTarget {
  /** The producer's output slot. */
  outSlot: string;
  /** Only operands of this rank (their declared dims equal) are fused; any rank when absent. */
  rank?: number;
  /** Whether `op` is a producer that can take a residual (of its kind, with none yet). */
  accepts(op: OpDesc): boolean;
}

function sameDims(a: number[] | undefined, b: number[] | undefined, rank: number | undefined): boolean {
  if (a === undefined || b === undefined || a.length !== b.length || (rank !== undefined && a.length !== rank)) return false;
  return a.every((d, i) => d === b[i]);
}

export function fuseResidualAdds(g: Graph, target: ResidualTarget): number {
  let fused = 0;
  for (const add of [...g.ops]) {
    if (add.type !== 'elementwise_add') continue;
    const x = slot(add.inputs, 'X');
    const y = slot(add.inputs, 'Y');
    const out = slot(add.outputs, 'Out');
    if (x === undefined || y === undefined || out === undefined || x === y || g.isParam(x) || g.isParam(y)) continue;
    if (!sameDims(g.vars.get(x)?.dims, g.vars.get(y)?.dims, target.rank)) continue;
    const addAt = g.indexOf(add);
    // Candidates: an operand written by an accepted producer that only this add reads. The later
    // of two runs where the other operand already exists.
    const cands: { op: OpDesc; other: string; at: number }[] = [];
    for (const [mine, other] of [
      [x, y],
      [y, x],
    ] as const) {
      if (g.soleReader(mine) !== add) continue;
      const op = g.writerBefore(mine, add);
      if (!op || !target.accepts(op) || slot(op.outputs, target.outSlot) !== mine) continue;
      cands.push({ op, other, at: g.indexOf(op) });
    }
    cands.sort((a, b) => b.at - a.at);
    for (const { op, other, at } of cands) {
      // The other operand must hold the value the add reads at the producer's position.
      const writer = g.writerBefore(other, add);
      const writerAt = writer ? g.indexOf(writer) : -1;
      const moves = writerAt > at;
      if (!moves && g.touchedBetween(at, addAt, [other], true)) continue;
      if (!moves && g.touchedBetween(at, addAt, [out])) continue;
      if (moves && g.touchedBetween(at, addAt, Object.values(op.inputs).flat(), true)) continue;
      op.inputs.ResidualData = [other];
      op.attrs.fuse_residual_connection = attr.bool(true);
      op.outputs[target.outSlot] = [out];
      if (moves) g.moveBefore(op, add);
      g.remove(add);
      fused++;
      break;
    }
  }
  return fused;
}
