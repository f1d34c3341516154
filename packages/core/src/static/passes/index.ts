/**
 * Inference optimization of a loaded program (Paddle Inference's IR passes, `switch_ir_optim`):
 * the passes run in order over a copy of block 0, folding parameters where a pass needs to. The
 * Predictor applies them unless the config turns IR optimization off or deletes a pass by name.
 */
import type { Tensor } from '../../tensor/tensor';
import type { ProgramDesc } from '../proto';
import { convActivationFuse, convBiasFuse, convBnFuse, convResidualFuse } from './conv-fusion';
import { fcActivationFuse, fcFuse, fcResidualFuse, mapMatmulToMul } from './fc-fusion';
import { Graph } from './graph';
import { simplifyDropout } from './simplify';

export interface Pass {
  name: string;
  /** Rewrites the graph; returns the number of fusions made. */
  apply(g: Graph): number;
}

/** The passes, in the order they run (Paddle's CPU order for these). */
export const INFERENCE_PASSES: readonly Pass[] = [
  { name: 'simplify_with_basic_ops_pass', apply: simplifyDropout },
  { name: 'map_matmul_v2_to_mul_pass', apply: (g) => mapMatmulToMul(g, 'matmul_v2') },
  { name: 'map_matmul_to_mul_pass', apply: (g) => mapMatmulToMul(g, 'matmul') },
  { name: 'fc_fuse_pass', apply: fcFuse },
  { name: 'conv_eltwiseadd_bn_fuse_pass', apply: (g) => convBnFuse(g, true) },
  { name: 'conv_bn_fuse_pass', apply: (g) => convBnFuse(g, false) },
  { name: 'conv_bias_mkldnn_fuse_pass', apply: convBiasFuse },
  { name: 'conv_elementwise_add_mkldnn_fuse_pass', apply: convResidualFuse },
  { name: 'conv_activation_mkldnn_fuse_pass', apply: convActivationFuse },
  { name: 'fc_act_mkldnn_fuse_pass', apply: fcActivationFuse },
  { name: 'fc_elementwise_add_mkldnn_fuse_pass', apply: fcResidualFuse },
];

export const INFERENCE_PASS_NAMES: readonly string[] = INFERENCE_PASSES.map((p) => p.name);

export interface AppliedPass {
  pass: string;
  fused: number;
  removedOps: number;
}

export interface OptimizedProgram {
  program: ProgramDesc;
  /** The parameters the optimized program reads (folded ones added, unused ones disposed). */
  params: Map<string, Tensor>;
  /** Fusions (or rewrites) made per pass, in pass order, and the ops each pass removed. */
  applied: AppliedPass[];
  /** Ops before and after. */
  opsBefore: number;
  opsAfter: number;
}

/**
 * Runs the inference passes not in `disabled` over `program`. `params` is taken over: the result's
 * map holds the parameters still read (the same tensors) and the folded ones; those no op reads any
 * more are disposed.
 */
export function optimizeProgram(program: ProgramDesc, params: Map<string, Tensor>, disabled: ReadonlySet<string> = new Set()): OptimizedProgram {
  for (const name of disabled) {
    if (!INFERENCE_PASS_NAMES.includes(name)) {
      throw new Error(`unknown inference pass "${name}" (passes: ${INFERENCE_PASS_NAMES.join(', ')})`);
    }
  }
  const g = new Graph(program, new Map(params));
  const opsBefore = g.ops.length;
  const applied = INFERENCE_PASSES.filter((p) => !disabled.has(p.name)).map((p) => {
    const before = g.ops.length;
    const fused = p.apply(g);
    return { pass: p.name, fused, removedOps: before - g.ops.length };
  });
  g.retireUnusedParams();
  return { program: g.toProgram(), params: g.params, applied, opsBefore, opsAfter: g.ops.length };
}

export { Graph } from './graph';
