import {
  adaptiveAvgPool2d,
  adaptiveMaxPool2d,
  avgPool2d,
  backward,
  engine,
  interpolate,
  maxPool2d,
  OpError,
  pad,
  sum,
  tensor,
  upsample,
  type Tensor,
} from '../src';

// API behaviour and error messages of the spatial ops (pooling, interpolation, padding); their
// numerics are covered by the conformance cases.

/** A [1, 1, h, w] tensor holding 0, 1, 2, ... */
function ramp(h: number, w: number, dtype: 'float32' | 'float64' = 'float32'): Tensor {
  return tensor(Array.from({ length: h * w }, (_, i) => i), { shape: [1, 1, h, w], dtype });
}

describe('maxPool2d / avgPool2d', () => {
  it('defaults the stride to the kernel size', () => {
    const y = maxPool2d(ramp(4, 4), 2);
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expect(y.toFlatArray()).toEqual([5, 7, 13, 15]);
  });

  it('accepts every padding form of Paddle 2.0', () => {
    const x = ramp(5, 5);
    const a = avgPool2d(x, 3, { stride: 2, padding: 1 }).toFlatArray();
    expect(avgPool2d(x, 3, { stride: 2, padding: [1, 1] }).toFlatArray()).toEqual(a);
    expect(avgPool2d(x, 3, { stride: 2, padding: [1, 1, 1, 1] }).toFlatArray()).toEqual(a);
    expect(avgPool2d(x, 3, { stride: 2, padding: [[0, 0], [0, 0], [1, 1], [1, 1]] }).toFlatArray()).toEqual(a);
    // SAME pads 1 on each side here (out = ceil(5/2) = 3, pad total 2)
    expect(avgPool2d(x, 3, { stride: 2, padding: 'SAME' }).toFlatArray()).toEqual(a);
    expect(avgPool2d(x, 3, { stride: 2, padding: 'valid' }).shape).toEqual([1, 1, 2, 2]);
  });

  it('exclusive averages count only input elements; divisorOverride replaces the divisor', () => {
    const x = tensor([1, 2, 3, 4], { shape: [1, 1, 2, 2] });
    expect(avgPool2d(x, 2, { stride: 1, padding: 1 }).toFlatArray()[0]).toBe(1);
    expect(avgPool2d(x, 2, { stride: 1, padding: 1, exclusive: false }).toFlatArray()[0]).toBe(0.25);
    expect(avgPool2d(x, 2, { divisorOverride: 2 }).toFlatArray()).toEqual([5]);
  });

  it('returnMask gives the flat position of each maximum', () => {
    const x = tensor([1, 9, 2, 3, 4, 5, 8, 6, 7, 0, 1, 2, 3, 4, 5, 6], { shape: [1, 1, 4, 4] });
    const [out, mask] = maxPool2d(x, 2, { returnMask: true });
    expect(out.toFlatArray()).toEqual([9, 8, 7, 6]);
    expect(mask.dtype).toBe('int32');
    expect(mask.toFlatArray()).toEqual([1, 6, 8, 15]);
  });

  it('propagates the max-pool gradient to the maximum of each window', () => {
    const x = tensor([1, 9, 2, 3, 4, 5, 8, 6, 7, 0, 1, 2, 3, 4, 5, 6], { shape: [1, 1, 4, 4], stopGradient: false });
    backward(sum(maxPool2d(x, 2)));
    expect(x.grad!.toFlatArray()).toEqual([0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1]);
  });

  it('pools NHWC inputs over H and W', () => {
    const nchw = ramp(4, 6);
    const nhwc = tensor(nchw.toFlatArray(), { shape: [1, 4, 6, 1] });
    expect(maxPool2d(nhwc, [2, 3], { dataFormat: 'NHWC' }).toFlatArray()).toEqual(maxPool2d(nchw, [2, 3]).toFlatArray());
  });

  it('rejects invalid arguments clearly', () => {
    expect(() => maxPool2d(ramp(4, 4), 2, { padding: 'VALID', ceilMode: true })).toThrow(/ceilMode must be false/);
    expect(() => maxPool2d(ramp(4, 4), [2, 2, 2])).toThrow(/kernelSize must be an integer or a list of 2/);
    expect(() => maxPool2d(ramp(4, 4), 2, { padding: [[1, 0], [0, 0], [0, 0], [0, 0]] })).toThrow(/zeros for the batch and channel/);
    expect(() => maxPool2d(ramp(4, 4), 2, { returnMask: true, ceilMode: true })).toThrow(/returnMask/);
  });
});

describe('pool2d operator errors', () => {
  it('names the operator, the slot and what was expected', () => {
    const x3 = tensor([1, 2, 3, 4], { shape: [1, 2, 2] });
    expect(() => engine.runOp('pool2d', { X: x3 }, { pooling_type: 'max', ksize: [2, 2] })).toThrow(OpError);
    expect(() => engine.runOp('pool2d', { X: x3 }, { pooling_type: 'max', ksize: [2, 2] })).toThrow(
      /pool2d: input X must have rank 4, got shape \[1, 2, 2\]/,
    );
    const x = ramp(3, 3);
    expect(() => engine.runOp('pool2d', { X: x }, { pooling_type: 'max' })).toThrow(/pool2d: attribute ksize must hold 2 integers/);
    expect(() => engine.runOp('pool2d', { X: x }, { pooling_type: 'sum', ksize: [2, 2] })).toThrow(/pooling_type must be "max" or "avg", got "sum"/);
    expect(() => engine.runOp('pool2d', { X: x }, { pooling_type: 'max', ksize: [5, 5] })).toThrow(/pool2d: output height would be -1/);
    const xi = tensor(new Int32Array(9), { shape: [1, 1, 3, 3] });
    expect(() => engine.runOp('pool2d', { X: xi }, { pooling_type: 'max', ksize: [2, 2] })).toThrow(/input X must be a float tensor, got int32/);
  });

  it('pool2d_grad checks Out@GRAD against the pooled shape', () => {
    const x = ramp(4, 4);
    const dy = tensor([1, 2, 3], { shape: [1, 1, 1, 3] });
    expect(() => engine.runOp('pool2d_grad', { X: x, 'Out@GRAD': dy }, { pooling_type: 'avg', ksize: [2, 2], strides: [2, 2] })).toThrow(
      /pool2d_grad: input Out@GRAD must have shape \[1, 1, 2, 2\], got \[1, 1, 1, 3\]/,
    );
  });
});

describe('adaptive pooling', () => {
  it('keeps an extent given as null and supports NHWC', () => {
    const x = ramp(6, 4);
    expect(adaptiveAvgPool2d(x, [3, null]).shape).toEqual([1, 1, 3, 4]);
    expect(adaptiveAvgPool2d(x, 1).toFlatArray()).toEqual([11.5]);
    const nhwc = tensor(x.toFlatArray(), { shape: [1, 6, 4, 1] });
    expect(adaptiveAvgPool2d(nhwc, [2, 2], 'NHWC').toFlatArray()).toEqual(adaptiveAvgPool2d(x, [2, 2]).toFlatArray());
  });

  it('adaptive max pooling can return the mask', () => {
    const [out, mask] = adaptiveMaxPool2d(ramp(7, 7), 3, true);
    expect(out.shape).toEqual([1, 1, 3, 3]);
    // windows end at ceil((i+1)*7/3) = 3, 5, 7 → the maxima sit at rows/cols 2, 4, 6
    expect(mask.toFlatArray()).toEqual([16, 18, 20, 30, 32, 34, 44, 46, 48]);
    expect(adaptiveMaxPool2d(ramp(7, 7), 3).toFlatArray()).toEqual(out.toFlatArray());
  });
});

describe('interpolate', () => {
  it('uses Paddle 2.0 defaults: nearest, no corner alignment', () => {
    const y = interpolate(ramp(2, 2), { scaleFactor: 2 });
    expect(y.shape).toEqual([1, 1, 4, 4]);
    expect(y.toFlatArray()).toEqual([0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3]);
    expect(upsample).toBe(interpolate);
  });

  it('bilinear half-pixel (alignMode 0) and i·ratio (alignMode 1) sampling', () => {
    const x = tensor([0, 4], { shape: [1, 1, 1, 2] });
    // half pixel: src = (i+0.5)/2 - 0.5 clamped at 0 → 0, 0.25, 0.75, 1(clamped to edge)
    expect(interpolate(x, { size: [1, 4], mode: 'bilinear' }).toFlatArray()).toEqual([0, 1, 3, 4]);
    // align_mode 1: src = i/2 → 0, 0.5, 1, 1.5 (the right neighbour clamps to the last column)
    expect(interpolate(x, { size: [1, 4], mode: 'bilinear', alignMode: 1 }).toFlatArray()).toEqual([0, 2, 4, 4]);
    // align corners: src = i·(2-1)/(4-1)
    const ac = interpolate(x, { size: [1, 4], mode: 'bilinear', alignCorners: true }).toFlatArray();
    expect(ac.map((v) => Math.round(v * 1e5) / 1e5)).toEqual([0, 1.33333, 2.66667, 4]);
  });

  it('reads size from a tensor and resizes NHWC inputs', () => {
    const x = tensor(ramp(2, 3).toFlatArray(), { shape: [1, 2, 3, 1] });
    const y = interpolate(x, { size: tensor([4, 6], { dtype: 'int32' }), dataFormat: 'NHWC' });
    expect(y.shape).toEqual([1, 4, 6, 1]);
  });

  it('takes the output size from an OutSize tensor at run time', () => {
    const outSize = tensor([3, 5], { dtype: 'int32' });
    const y = engine.runOp('bilinear_interp_v2', { X: ramp(2, 2), OutSize: outSize }).Out as Tensor;
    expect(y.shape).toEqual([1, 1, 3, 5]);
  });

  it('rejects conflicting or unsupported options', () => {
    const x = ramp(2, 2);
    expect(() => interpolate(x, {})).toThrow(/one of size and scaleFactor must be set/);
    expect(() => interpolate(x, { size: [3, 3], scaleFactor: 2 })).toThrow(/only one of size and scaleFactor/);
    expect(() => interpolate(x, { size: [3, 3], alignCorners: true })).toThrow(/alignCorners can only be set/);
    expect(() => interpolate(tensor([1, 2, 3]), { size: [3, 3] })).toThrow(/needs a 4-D input/);
    expect(() => engine.runOp('nearest_interp_v2', { X: x }, {})).toThrow(/nearest_interp_v2: output size must be positive/);
    expect(() => engine.runOp('bilinear_interp_v2', { X: x, OutSize: tensor([3, 3, 3], { dtype: 'int32' }) })).toThrow(
      /input OutSize must be an int32 tensor of shape \[2\]/,
    );
  });
});

describe('pad', () => {
  it('pads every dimension with 2·rank values in constant mode', () => {
    const y = pad(tensor([[1, 2]]), [1, 0, 0, 1], { value: 9 });
    expect(y.toArray()).toEqual([
      [9, 9, 9],
      [1, 2, 9],
    ]);
  });

  it('pads the spatial dimensions of 3-D and 4-D inputs through pad3d', () => {
    const x = tensor([1, 2, 3], { shape: [1, 1, 3] });
    expect(pad(x, [2, 1], { mode: 'reflect' }).toFlatArray()).toEqual([3, 2, 1, 2, 3, 2]);
    expect(pad(x, [2, 1], { mode: 'replicate' }).toFlatArray()).toEqual([1, 1, 1, 2, 3, 3]);
    expect(pad(x, [2, 1], { mode: 'circular' }).toFlatArray()).toEqual([2, 3, 1, 2, 3, 1]);
    const x4 = tensor([1, 2, 3, 4], { shape: [1, 1, 2, 2] });
    // [left, right, top, bottom]
    expect(pad(x4, [1, 0, 0, 1], { mode: 'replicate' }).toArray()).toEqual([[[[1, 1, 2], [3, 3, 4], [3, 3, 4]]]]);
    const nhwc = tensor([1, 10, 2, 20], { shape: [1, 1, 2, 2] });
    expect(pad(nhwc, [1, 0, 0, 0], { dataFormat: 'NHWC' }).toArray()).toEqual([[[[0, 0], [1, 10], [2, 20]]]]);
  });

  it('accumulates the gradient of reflected positions', () => {
    const x = tensor([1, 2, 3], { shape: [1, 1, 3], stopGradient: false });
    backward(sum(pad(x, [2, 1], { mode: 'reflect' })));
    expect(x.grad!.toFlatArray()).toEqual([1, 3, 2]);
  });

  it('rejects impossible paddings naming the operator', () => {
    const x = tensor([1, 2, 3], { shape: [1, 1, 3] });
    expect(() => pad(x, [3, 0], { mode: 'reflect' })).toThrow(/pad3d: reflect padding of the width must be smaller than the input width 3/);
    expect(() => pad(x, [1, 1, 1])).toThrow(/takes 2 padding values/);
    expect(() => engine.runOp('pad', { X: x }, { paddings: [1, 1] })).toThrow(/pad: attribute paddings must hold 2 values per dimension of X \(6/);
    expect(() => engine.runOp('pad3d', { X: x }, {})).toThrow(/pad3d: input X must have rank 5/);
  });
});
