import { engine } from '../engine/engine';
import type { AttrValue, SlotMap } from '../kernels/registry';
import type { Tensor } from '../tensor/tensor';

type AttrsIn = Record<string, AttrValue | undefined>;

/** Runs an operator and returns its single output tensor from `slot` (default `Out`). */
export function run1(type: string, inputs: SlotMap<Tensor>, attrs: AttrsIn = {}, slot = 'Out'): Tensor {
  return engine.runOp(type, inputs, attrs)[slot] as Tensor;
}

/** Runs an operator and returns the list output in `slot`. */
export function runList(type: string, inputs: SlotMap<Tensor>, attrs: AttrsIn = {}, slot = 'Out'): Tensor[] {
  return engine.runOp(type, inputs, attrs)[slot] as Tensor[];
}

/** Runs an operator and returns all its outputs. */
export function runAll(type: string, inputs: SlotMap<Tensor>, attrs: AttrsIn = {}): SlotMap<Tensor> {
  return engine.runOp(type, inputs, attrs);
}
