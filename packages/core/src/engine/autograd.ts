import type { Attrs, GradContext, OpSpec, SlotMap } from '../kernels/registry';
import { isFloatDType } from '../tensor/dtype';
import { fmtShape, shapesEqual } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import { engineRef } from './ref';

/** One recorded operator call: the edge autograd walks back through. */
export class GradNode {
  released = false;
  /** Input versions at record time; an in-place change before backward is an error. */
  readonly versions: Map<Tensor, number>;
  constructor(
    readonly spec: OpSpec,
    public inputs: SlotMap<Tensor>,
    public outputs: SlotMap<Tensor>,
    readonly attrs: Attrs,
    readonly needs: Map<string, boolean[]>,
  ) {
    this.versions = new Map();
    // Inputs the op itself updates in place (batch-norm running statistics) are expected to
    // change again; their gradient never depends on them, so they are not version-checked.
    const updated = new Set(Object.values(spec.inplace ?? {}));
    for (const [slot, v] of Object.entries(inputs)) {
      if (v === undefined || updated.has(slot)) continue;
      for (const t of Array.isArray(v) ? v : [v]) this.versions.set(t, t._version);
    }
  }
}

function requiresGrad(t: Tensor): boolean {
  return !t.stopGradient && isFloatDType(t.dtype);
}

/** Records `spec` on the graph when any differentiable input requires a gradient. */
export function recordNode(spec: OpSpec, inputs: SlotMap<Tensor>, outputs: SlotMap<Tensor>, attrs: Attrs): void {
  const needs = new Map<string, boolean[]>();
  let any = false;
  for (const s of spec.inputs) {
    const v = inputs[s.name];
    if (v === undefined || s.noGrad) continue;
    const flags = (Array.isArray(v) ? v : [v]).map(requiresGrad);
    if (flags.some(Boolean)) {
      any = true;
      needs.set(s.name, flags);
    }
  }
  if (!any) return;
  const node = new GradNode(spec, inputs, outputs, attrs, needs);
  for (const s of spec.outputs) {
    if (spec.inplace?.[s.name] !== undefined) continue;
    const v = outputs[s.name];
    if (v === undefined) continue;
    for (const t of Array.isArray(v) ? v : [v]) {
      if (!isFloatDType(t.dtype)) continue;
      t.stopGradient = false;
      t._node = node;
    }
  }
}

export interface BackwardOptions {
  /** Keep the graph so backward can run through it again. */
  retainGraph?: boolean;
  /** Record the gradient computation itself, for higher-order derivatives. */
  createGraph?: boolean;
}

/** Nodes reachable from `roots`, in an order where every node precedes the nodes it depends on. */
function topoOrder(roots: Tensor[]): GradNode[] {
  const order: GradNode[] = [];
  const seen = new Set<GradNode>();
  const stack: { node: GradNode; expanded: boolean }[] = [];
  for (const r of roots) if (r._node) stack.push({ node: r._node, expanded: false });
  while (stack.length) {
    const top = stack.pop()!;
    if (top.expanded) {
      order.push(top.node);
      continue;
    }
    if (seen.has(top.node)) continue;
    seen.add(top.node);
    stack.push({ node: top.node, expanded: true });
    for (const v of Object.values(top.node.inputs)) {
      if (v === undefined) continue;
      for (const t of Array.isArray(v) ? v : [v]) if (t._node && !seen.has(t._node)) stack.push({ node: t._node, expanded: false });
    }
  }
  return order.reverse();
}

/**
 * Propagates `seeds` (gradients of `roots`) back through the graph. Calls `onLeaf` for every
 * tensor without a producing node that receives a gradient (leaves), and returns gradients of
 * the tensors in `capture`.
 */
function propagate(
  roots: Tensor[],
  seeds: Tensor[],
  opts: BackwardOptions,
  capture: Set<Tensor> | null,
  onLeaf: ((t: Tensor, g: Tensor) => void) | null,
): Map<Tensor, Tensor> {
  const e = engineRef();
  const grads = new Map<Tensor, Tensor>();
  const captured = new Map<Tensor, Tensor>();
  // Every value in `grads` is a distinct Tensor object, so disposing one never frees a gradient
  // still held elsewhere (grad functions may pass their upstream gradient through unchanged).
  const held = new Set<Tensor>();
  const add = (t: Tensor, g: Tensor): void => {
    if (!shapesEqual(t.shape, g.shape)) {
      throw new Error(
        `backward: gradient for ${t.name} has shape ${fmtShape(g.shape)}, expected ${fmtShape(t.shape)} (op ${t._node?.spec.type ?? 'leaf'})`,
      );
    }
    if (held.has(g)) g = e.view(g, g.shape);
    const prev = grads.get(t);
    if (prev) {
      const sum = e.runOp('elementwise_add', { X: prev, Y: g }).Out as Tensor;
      held.delete(prev);
      if (!opts.createGraph) {
        prev.dispose();
        g.dispose();
      }
      g = sum;
    }
    grads.set(t, g);
    held.add(g);
  };
  roots.forEach((r, i) => add(r, seeds[i]!));
  const order = topoOrder(roots);
  e.withGradEnabled(!!opts.createGraph, () => {
    for (const node of order) {
      if (node.released) {
        throw new Error(
          `backward: the graph through operator "${node.spec.type}" was already freed by an earlier backward(); pass retainGraph: true to the first call`,
        );
      }
      const outGrads: GradContext['outGrads'] = {};
      let anyGrad = false;
      for (const [slot, v] of Object.entries(node.outputs)) {
        if (v === undefined) continue;
        if (Array.isArray(v)) {
          outGrads[slot] = v.map((t) => grads.get(t) ?? null);
          if ((outGrads[slot] as unknown[]).some((g) => g !== null)) anyGrad = true;
        } else {
          outGrads[slot] = grads.get(v) ?? null;
          if (outGrads[slot]) anyGrad = true;
        }
      }
      if (!anyGrad) continue;
      for (const [t, ver] of node.versions) {
        t._assertLive(`backward through ${node.spec.type}`);
        if (t._version !== ver) {
          throw new Error(
            `backward: input ${t.name} of operator "${node.spec.type}" was modified in place after it was used; gradients would be wrong`,
          );
        }
      }
      const ctx: GradContext = {
        inputs: node.inputs,
        outputs: node.outputs,
        attrs: node.attrs,
        outGrads,
        needs: (slot, index = 0) => node.needs.get(slot)?.[index] ?? false,
      };
      const res = node.spec.grad!(ctx);
      for (const [slot, flags] of node.needs) {
        const inp = node.inputs[slot]!;
        const r = res[slot];
        const list = Array.isArray(inp) ? inp : [inp];
        const gl = Array.isArray(r) ? r : [r];
        list.forEach((t, i) => {
          const g = gl[i];
          if (!flags[i] || !g) return;
          add(t, g);
        });
      }
      // Free gradients of this node's outputs as soon as they have been used.
      for (const v of Object.values(node.outputs)) {
        if (v === undefined) continue;
        for (const t of Array.isArray(v) ? v : [v]) {
          const g = grads.get(t);
          if (!g) continue;
          grads.delete(t);
          held.delete(g);
          if (capture?.has(t)) captured.set(t, g);
          else if (!opts.createGraph) g.dispose();
        }
      }
      if (!opts.retainGraph) node.released = true;
    }
  });
  for (const [t, g] of grads) {
    if (capture?.has(t)) captured.set(t, g);
    else if (onLeaf && !t._node) onLeaf(t, g);
    else if (!opts.createGraph) g.dispose();
  }
  if (!opts.retainGraph) for (const node of order) releaseNode(node);
  return captured;
}

/** Marks the node freed and drops what it saved; a later backward through it fails clearly. */
function releaseNode(node: GradNode): void {
  node.released = true;
  node.inputs = {};
  node.outputs = {};
  node.versions.clear();
}

function seedFor(t: Tensor, g: Tensor | undefined): Tensor {
  const e = engineRef();
  if (g) {
    if (!shapesEqual(g.shape, t.shape)) {
      throw new Error(`backward: grad_tensor has shape ${fmtShape(g.shape)}, expected ${fmtShape(t.shape)}`);
    }
    // A view, so that freeing intermediate gradients never frees the caller's tensor.
    return e.view(g, g.shape);
  }
  return e.runOp('fill_any_like', { X: t }, { value: 1 }).Out as Tensor;
}

/**
 * Accumulates d(sum of `tensors` · `gradTensors`)/d(leaf) into each leaf's `.grad`, Paddle's
 * `loss.backward()`. Without `gradTensors`, each root's upstream gradient is ones.
 */
export function backward(tensors: Tensor | Tensor[], gradTensors?: (Tensor | undefined)[], opts: BackwardOptions = {}): void {
  const e = engineRef();
  const roots = Array.isArray(tensors) ? tensors : [tensors];
  for (const r of roots) {
    r._assertLive('backward');
    if (r.stopGradient) {
      throw new Error(`backward: ${r.name} does not require a gradient (stopGradient is true: no input of its graph is trainable)`);
    }
  }
  const seeds = e.noGrad(() => roots.map((r, i) => seedFor(r, gradTensors?.[i])));
  propagate(roots, seeds, opts, null, (leaf, g) => {
    if (leaf.grad && leaf.grad._zeroAtVersion === leaf.grad._version) {
      // Cleared to zeros by the optimizer: adding would only copy g.
      leaf.grad.dispose();
      leaf.grad = e.keep(g);
    } else if (leaf.grad) {
      const sum = e.noGrad(() => e.runOp('elementwise_add', { X: leaf.grad!, Y: g }).Out as Tensor);
      leaf.grad.dispose();
      g.dispose();
      leaf.grad = e.keep(sum);
    } else {
      leaf.grad = e.keep(g);
    }
  });
}

export interface GradOptions extends BackwardOptions {
  /** Return null for inputs the outputs do not depend on instead of throwing. */
  allowUnused?: boolean;
}

/** Paddle's `paddle.grad`: gradients of `outputs` with respect to `inputs`, without touching `.grad`. */
export function grad(
  outputs: Tensor | Tensor[],
  inputs: Tensor | Tensor[],
  gradOutputs?: (Tensor | undefined)[],
  opts: GradOptions = {},
): (Tensor | null)[] {
  const e = engineRef();
  const outs = Array.isArray(outputs) ? outputs : [outputs];
  const ins = Array.isArray(inputs) ? inputs : [inputs];
  const seeds = e.noGrad(() => outs.map((r, i) => seedFor(r, gradOutputs?.[i])));
  const retain = opts.retainGraph ?? !!opts.createGraph;
  const got = propagate(outs, seeds, { ...opts, retainGraph: retain }, new Set(ins), null);
  return ins.map((t, i) => {
    const g = got.get(t) ?? null;
    if (!g && !opts.allowUnused) {
      throw new Error(`grad: input ${i} (${t.name}) is not used to compute the outputs; pass allowUnused: true`);
    }
    return g;
  });
}
