/**
 * Test helpers for the VGG, ResNet and GoogLeNet backbone specs: parameter counting, a fast
 * initializer, and a training-step check that every trainable parameter receives a gradient.
 */
import { crossEntropy, matmul, nn, reshape, tensor, tidy, zeros, type DType, type Parameter, type Shape, type Tensor } from '@oar/core';

/** Elements of the trainable parameters: what PaddleClas's model tables count (BN statistics excluded). */
export function trainableCount(model: nn.Layer): number {
  return model.parameters().reduce((n, p) => n + (p.trainable ? p.size : 0), 0);
}

/** Elements of all parameters, BN `_mean`/`_variance` included (what paddle.summary calls total params). */
export function totalCount(model: nn.Layer): number {
  return model.parameters().reduce((n, p) => n + p.size, 0);
}

/**
 * |count − published·10⁶| is within `units` (default half) of one unit in the last digit of a
 * figure published in millions with `decimals` decimals: the figure's own rounding.
 */
export function expectPublished(count: number, publishedMillions: number, decimals: number, units = 0.5): void {
  const tolerance = units * 10 ** (6 - decimals);
  expect(Math.abs(count - publishedMillions * 1e6)).toBeLessThanOrEqual(tolerance);
}

/**
 * He-uniform values from a xorshift generator written in JS, for every weight that names no
 * initializer (batch-norm scales included). The Philox draws behind Paddle's initializers cost
 * about 100 ns a number on the 2-core CI machine, and microseconds inside jest's sandbox, where
 * each Math.* call is slow (jestjs/jest#5163): 10 s to minutes for VGG's 133M parameters. These
 * cost a few ns. Gradient flow does not depend on which random values are used.
 */
class FastHeUniform extends nn.initializer.Initializer {
  private state = 0x9e3779b9;

  generate(shape: Shape, dtype: DType): Tensor {
    const n = shape.reduce((a, b) => a * b, 1);
    const { fanIn } = nn.initializer.computeFans(shape);
    const bound = Math.sqrt(6 / Math.max(fanIn, 1));
    const out = new Float32Array(n);
    let s = this.state;
    for (let i = 0; i < n; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      out[i] = ((s >>> 0) / 4294967296 - 0.5) * 2 * bound;
    }
    this.state = s;
    return tensor(out, { shape, dtype });
  }
}

/** Builds a model whose weights that name no initializer are drawn by FastHeUniform. */
export function withFastInit<T>(build: () => T): T {
  nn.initializer.setGlobalInitializer(new FastHeUniform());
  try {
    return build();
  } finally {
    nn.initializer.setGlobalInitializer(null);
  }
}

/**
 * Builds a model with zero weights, for counting and naming, where values do not matter. Layers
 * whose ParamAttr names a Uniform initializer (ResNet's fc, GoogLeNet's fully connected layers)
 * bypass the global initializer, so Uniform is stubbed too: its Philox draws cost microseconds
 * each inside jest's sandbox.
 */
export function withConstantInit<T>(build: () => T): T {
  const uniform = jest.spyOn(nn.initializer.Uniform.prototype, 'generate').mockImplementation((shape, dtype) => zeros(shape, { dtype }));
  nn.initializer.setGlobalInitializer(new nn.initializer.Constant(0));
  try {
    return build();
  } finally {
    nn.initializer.setGlobalInitializer(null);
    uniform.mockRestore();
  }
}

/** Shapes of the state dict by structured name. */
export function stateShapes(model: nn.Layer): Map<string, number[]> {
  return new Map([...model.stateDict()].map(([k, t]) => [k, [...t.shape]]));
}

/** Element-wise equality of two tensors up to `rel` of the larger magnitude (at least 1). */
export function expectClose(actual: Tensor, expected: Tensor, rel = 1e-4): void {
  expect(actual.shape).toEqual(expected.shape);
  const a = actual.dataSync();
  const b = expected.dataSync();
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    const d = x > y ? x - y : y - x;
    diff = d > diff ? d : diff;
    scale = y > scale ? y : -y > scale ? -y : scale;
  }
  expect(diff).toBeLessThanOrEqual(rel * scale);
}

/** Cross entropy of logits against labels 0, 1, 2, ... (mod the class count). */
export function ceLoss(logits: Tensor): Tensor {
  const [n, c] = logits.shape as [number, number];
  const labels = tensor(
    Array.from({ length: n }, (_, i) => i % c),
    { dtype: 'int64' },
  );
  return crossEntropy(logits, labels);
}

/**
 * Runs `loss.backward()` and checks that each trainable parameter got a finite, non-zero
 * gradient of its own shape and each frozen one none. Returns the names that were checked.
 */
export function expectGradients(model: nn.Layer, loss: Tensor): { trainable: string[]; frozen: string[] } {
  loss.backward();
  const trainable: string[] = [];
  const frozen: string[] = [];
  const bad: string[] = [];
  for (const [name, p] of model.namedParameters() as [string, Parameter][]) {
    if (!p.trainable) {
      frozen.push(name);
      if (p.grad) bad.push(`${name}: frozen but has a gradient`);
      continue;
    }
    trainable.push(name);
    if (!p.grad) {
      bad.push(`${name}: no gradient`);
      continue;
    }
    if (p.grad.shape.join() !== p.shape.join()) bad.push(`${name}: gradient shape [${p.grad.shape}] for [${p.shape}]`);
    // ‖g‖² is finite and positive exactly when g is finite and not all zeros. It is a BLAS dot
    // product: element loops that call Math.* run ~100x slower inside jest's vm sandbox
    // (jestjs/jest#5163), minutes over VGG's 123M fully connected gradients.
    const g = p.grad;
    const norm = tidy(() => matmul(reshape(g, [1, g.size]), reshape(g, [g.size, 1])).item());
    if (!Number.isFinite(norm)) bad.push(`${name}: non-finite gradient`);
    else if (norm === 0) bad.push(`${name}: gradient is all zeros`);
  }
  expect(bad).toEqual([]);
  return { trainable, frozen };
}
