import {
  bf16ToFloat,
  cast,
  detach,
  dtypeFromPaddle,
  dtypeToPaddle,
  floatToBf16,
  floatToHalf,
  full,
  halfToFloat,
  memory,
  multiply,
  OpError,
  seed,
  setCheckNanInf,
  sum,
  tensor,
  tidy,
  zeros,
  divide,
  engine,
} from '../src';

describe('tensor creation and reading', () => {
  it('infers shapes and dtypes from nested arrays, typed arrays and bigints', () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(a.shape).toEqual([2, 3]);
    expect(a.dtype).toBe('float32');
    expect(tensor([true, false]).dtype).toBe('bool');
    expect(tensor([1n, 2n]).dtype).toBe('int64');
    const t = tensor(new Int32Array([1, 2, 3, 4]), { shape: [2, 2] });
    expect(t.dtype).toBe('int32');
    expect(t.toArray()).toEqual([[1, 2], [3, 4]]);
    expect(tensor(5).shape).toEqual([]);
    expect(tensor(5).item()).toBe(5);
  });

  it('rejects ragged data and wrong shapes with the position', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(/ragged nested array at data\[1\]: expected 2 elements, got 1/);
    expect(() => tensor(new Float32Array(5), { shape: [2, 2] })).toThrow(/needs 4 elements, the typed array has 5/);
    expect(() => zeros([2, -1])).toThrow(/invalid shape/);
    expect(() => tensor([1, 2]).item()).toThrow(/2 elements/);
  });

  it('keeps int64 exact beyond 2^53 through a round trip', () => {
    const big = 2n ** 60n + 3n;
    const t = tensor(BigInt64Array.from([big, -big]));
    expect((t.dataSync() as BigInt64Array)[0]).toBe(big);
  });

  it('casts between dtypes as Paddle does (truncation toward zero, bool as x != 0)', () => {
    const x = tensor([-1.7, -0.2, 0, 0.5, 2.9]);
    expect(cast(x, 'int32').toArray()).toEqual([-1, 0, 0, 0, 2]);
    expect(cast(x, 'int64').toArray()).toEqual([-1, 0, 0, 0, 2]);
    expect(cast(x, 'bool').toArray()).toEqual([true, true, false, true, true]);
    expect(cast(x, 'float16').toFlatArray()[4]).toBeCloseTo(2.9, 2);
    expect(cast(cast(x, 'bfloat16'), 'float32').toFlatArray()[0]).toBeCloseTo(-1.7, 1);
  });

  it('converts half and bfloat16 bit patterns with round-to-nearest-even', () => {
    for (const v of [0, 1, -2, 0.1, 65504, 6.1e-5, 1e-7, Infinity]) {
      expect(halfToFloat(floatToHalf(v))).toBeCloseTo(v, v < 1e-4 ? 7 : 2);
    }
    expect(floatToHalf(70000)).toBe(0x7c00);
    expect(Number.isNaN(halfToFloat(floatToHalf(NaN)))).toBe(true);
    expect(bf16ToFloat(floatToBf16(3.140625))).toBe(3.140625);
    expect(dtypeFromPaddle(dtypeToPaddle('bfloat16'))).toBe('bfloat16');
  });

  it('detach shares data but cuts the graph', () => {
    const x = tensor([1, 2], { stopGradient: false });
    const y = multiply(x, x);
    const d = detach(y);
    expect(d.stopGradient).toBe(true);
    expect(d.toArray()).toEqual([1, 4]);
  });
});

describe('memory', () => {
  it('stays flat over many tidy steps', () => {
    const w = tensor([0.5, -0.5], { stopGradient: false });
    const before = memory();
    for (let i = 0; i < 200; i++) {
      tidy(() => {
        const loss = sum(multiply(w, w));
        loss.backward();
        w.grad!.dispose();
        w.grad = null;
      });
    }
    const after = memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
  });

  it('counts bytes per device and frees shared buffers once', () => {
    const m0 = memory().devices.cpu?.bytes ?? 0;
    const a = full([4, 4], 1);
    const b = engine.runOp('reshape2', { X: a }, { shape: [16] }).Out as ReturnType<typeof full>;
    expect(memory().devices.cpu!.bytes - m0).toBe(64);
    a.dispose();
    expect(memory().devices.cpu!.bytes - m0).toBe(64);
    b.dispose();
    expect(memory().devices.cpu!.bytes - m0).toBe(0);
  });

  it('using a disposed tensor is a clear error', () => {
    const a = tensor([1]);
    a.dispose();
    expect(() => multiply(a, a)).toThrow(/elementwise_mul input X: tensor "tensor_\d+" \(shape \[1\], float32\) was already disposed/);
  });
});

describe('checks and errors', () => {
  it('the NaN/Inf check names the operator that produced it', () => {
    setCheckNanInf(true);
    try {
      expect(() => divide(tensor([1, 0]), tensor([0, 0]))).toThrow(/elementwise_div: output Out .* holds Infinity at flat index 0/);
    } finally {
      setCheckNanInf(false);
    }
  });

  it('unknown operators, attributes and devices are named', () => {
    expect(() => engine.runOp('no_such_op', {})).toThrow(/unknown operator "no_such_op"/);
    expect(() => engine.runOp('scale', { X: tensor([1]) }, { scal: 2 })).toThrow(OpError);
    expect(() => engine.runOp('scale', { X: tensor([1]) }, { scal: 2 })).toThrow(/unknown attribute "scal"/);
    expect(() => zeros([1], { place: 'xpu:0' })).toThrow(/no backend of kind "xpu" is registered/);
    expect(() => zeros([1], { place: 'gpu:x' })).toThrow(/invalid device/);
  });

  it('seed() makes random draws repeat', () => {
    seed(3);
    const a = engine.reserveRandom(4);
    seed(3);
    const b = engine.reserveRandom(4);
    expect(a).toEqual(b);
  });
});
