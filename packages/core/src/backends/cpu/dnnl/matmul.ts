/**
 * Batched float32 matrix products (attention's Q·Kᵀ and P·V) as one oneDNN matmul primitive over
 * every batch index, instead of one sgemm call per matrix: operands are described by strides, so
 * transposed and batch-broadcast operands are read in place.
 */
import type { MatmulPlan } from '../../../kernels/specs/matmul';
import { stridesOf } from '../../../tensor/shape';
import { ARG, dnnl, mdByStrides } from './lib';
import { toPlain } from './layout';
import { desc, implName, Primitive, primitiveDesc } from './primitive';

const cache = new Map<string, Primitive | null>();

/**
 * An operand's descriptor in the product's orientation: logical dims batch ++ [rows, cols] of the
 * stored matrix `stored` ([r, c], transposed when `trans`), batch extents from `ownBatch` aligned
 * to the output's batch rank (1 where broadcast).
 */
function operand(ownBatch: readonly number[], rank: number, stored: [number, number], trans: boolean): Uint8Array {
  const d = dnnl()!;
  const batch = [...new Array<number>(rank - ownBatch.length).fill(1), ...ownBatch];
  const [r, c] = stored;
  const all = stridesOf([...batch, r, c]);
  const bs = all.slice(0, rank);
  const dims = [...batch, ...(trans ? [c, r] : [r, c])];
  const strides = [...bs, ...(trans ? [1, c] : [c, 1])];
  return mdByStrides(d, dims, strides);
}

function build(plan: MatmulPlan): Primitive | null {
  const d = dnnl()!;
  const rank = plan.batch.length;
  const src = operand(plan.xBatch, rank, plan.xMat.slice(-2) as [number, number], plan.transX);
  const wei = operand(plan.yBatch, rank, plan.yMat.slice(-2) as [number, number], plan.transY);
  const dstDims = [...plan.batch, plan.m, plan.n];
  const dst = mdByStrides(d, dstDims, stridesOf(dstDims));
  const od = desc();
  if (d.f.matmul!(od, src, wei, null, dst) !== 0) return null;
  const pd = primitiveDesc(d, od);
  if (!pd || implName(d, pd).startsWith('ref')) return null;
  return new Primitive(d, pd, [
    { arg: ARG.SRC, md: src },
    { arg: ARG.WEIGHTS, md: wei },
    { arg: ARG.DST, md: dst, out: true },
  ]);
}

/** out = op(x) @ op(y) over the plan's batch; false when oneDNN is not in use or would run its reference loop. */
export function dnnlBatchedMatmul(x: Float32Array, y: Float32Array, plan: MatmulPlan, out: Float32Array): boolean {
  if (!dnnl() || plan.batch.length === 0 || plan.batch.length > 10) return false;
  const key = `${plan.xBatch}|${plan.yBatch}|${plan.batch}|${plan.xMat.slice(-2)}|${plan.yMat.slice(-2)}|${plan.transX}|${plan.transY}`;
  let p = cache.get(key);
  if (p === undefined) cache.set(key, (p = build(plan)));
  if (!p) return false;
  toPlain(x);
  toPlain(y);
  p.run([x, y, out]);
  return true;
}
