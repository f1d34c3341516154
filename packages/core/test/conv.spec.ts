import { backward, conv2d, conv2dTranspose, engine, memory, OpError, sum, tensor, tidy, type Tensor } from '../src';
import { dnnlConvBackwardData, dnnlConvBackwardFilter, dnnlConvForward } from '../src/backends/cpu/dnnl/conv';
import { toPlain } from '../src/backends/cpu/dnnl/layout';
import { dnnlInfo } from '../src/backends/cpu/dnnl/lib';
import { convBackwardData, convBackwardFilter, convBackwardFilterSmall, convForward, setColumnLimit } from '../src/backends/cpu/kernels/conv';
import type { ConvGeom } from '../src/kernels/specs/conv';

/** Convolution by its definition, with its two adjoints, in float64. */
function naive(g: ConvGeom, x: Float64Array, f: Float64Array, dy: Float64Array) {
  const cg = g.c / g.groups;
  const mg = g.m / g.groups;
  const y = new Float64Array(g.n * g.m * g.oh * g.ow);
  const dx = new Float64Array(x.length);
  const df = new Float64Array(f.length);
  for (let b = 0; b < g.n; b++)
    for (let m = 0; m < g.m; m++)
      for (let oy = 0; oy < g.oh; oy++)
        for (let ox = 0; ox < g.ow; ox++) {
          const yi = ((b * g.m + m) * g.oh + oy) * g.ow + ox;
          for (let cl = 0; cl < cg; cl++) {
            const c = Math.floor(m / mg) * cg + cl;
            for (let i = 0; i < g.kh; i++)
              for (let j = 0; j < g.kw; j++) {
                const iy = oy * g.sh - g.pt + i * g.dh;
                const ix = ox * g.sw - g.pl + j * g.dw;
                if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
                const xi = ((b * g.c + c) * g.h + iy) * g.w + ix;
                const fi = ((m * cg + cl) * g.kh + i) * g.kw + j;
                y[yi]! += x[xi]! * f[fi]!;
                dx[xi]! += dy[yi]! * f[fi]!;
                df[fi]! += dy[yi]! * x[xi]!;
              }
          }
        }
  return { y, dx, df };
}

function geom(p: Partial<ConvGeom> & { n: number; c: number; h: number; w: number; m: number; kh: number; kw: number }, pads: number[] = [0, 0, 0, 0]): ConvGeom {
  const g = { sh: 1, sw: 1, dh: 1, dw: 1, groups: 1, nhwc: false, ...p } as ConvGeom;
  g.pt = pads[0]!;
  g.pl = pads[2]!;
  g.oh = Math.floor((g.h + pads[0]! + pads[1]! - (g.dh * (g.kh - 1) + 1)) / g.sh) + 1;
  g.ow = Math.floor((g.w + pads[2]! + pads[3]! - (g.dw * (g.kw - 1) + 1)) / g.sw) + 1;
  return g;
}

function expectClose(got: Float64Array, want: Float64Array, what: string): void {
  for (let i = 0; i < want.length; i++) {
    // Negated so that a NaN left in the output fails too.
    if (!(Math.abs(got[i]! - want[i]!) <= 1e-9)) throw new Error(`${what}: element ${i} is ${got[i]}, expected ${want[i]}`);
  }
}

describe('conv kernels against the definition', () => {
  let s = 7;
  const rnd = (): number => ((s = (s * 16807) % 2147483647) / 2147483647) - 0.5;
  const geoms: [string, ConvGeom][] = [
    ['3x3 same', geom({ n: 2, c: 3, h: 6, w: 6, m: 4, kh: 3, kw: 3 }, [1, 1, 1, 1])],
    ['stride 2 asymmetric', geom({ n: 1, c: 2, h: 7, w: 8, m: 3, kh: 3, kw: 3, sh: 2, sw: 2 }, [0, 2, 1, 0])],
    ['stride 3 with phases no tap reaches', geom({ n: 1, c: 2, h: 8, w: 7, m: 2, kh: 2, kw: 2, sh: 3, sw: 3 })],
    ['strides 2x1, dilation 1x2', geom({ n: 2, c: 2, h: 7, w: 9, m: 3, kh: 3, kw: 2, sh: 2, sw: 1, dh: 1, dw: 2 }, [1, 1, 0, 2])],
    ['dilation 2 stride 2', geom({ n: 1, c: 2, h: 9, w: 9, m: 2, kh: 3, kw: 3, sh: 2, sw: 2, dh: 2, dw: 2 }, [2, 2, 2, 2])],
    ['padding wider than the kernel', geom({ n: 1, c: 1, h: 4, w: 3, m: 2, kh: 2, kw: 3 }, [3, 2, 4, 4])],
    ['groups 2', geom({ n: 2, c: 4, h: 5, w: 5, m: 6, kh: 3, kw: 3, groups: 2, sh: 2, sw: 2 }, [1, 1, 1, 1])],
    ['depthwise x2', geom({ n: 1, c: 3, h: 5, w: 6, m: 6, kh: 3, kw: 3, groups: 3 }, [1, 1, 1, 1])],
    ['pointwise', geom({ n: 2, c: 3, h: 4, w: 5, m: 5, kh: 1, kw: 1 })],
    ['pointwise stride 2', geom({ n: 1, c: 3, h: 5, w: 5, m: 2, kh: 1, kw: 1, sh: 2, sw: 2 })],
    ['stem 1->8 5x5/2', geom({ n: 1, c: 1, h: 9, w: 10, m: 8, kh: 5, kw: 5, sh: 2, sw: 2 }, [2, 2, 2, 2])],
    ['3 images, blocks of 2', geom({ n: 3, c: 2, h: 4, w: 4, m: 2, kh: 3, kw: 3 }, [1, 1, 1, 1])],
    ['3 images pointwise, blocks of 2', geom({ n: 3, c: 3, h: 4, w: 5, m: 3, kh: 1, kw: 1 })],
    ['3x3 on a 1x1 map', geom({ n: 3, c: 4, h: 1, w: 1, m: 5, kh: 3, kw: 3 }, [1, 1, 1, 1])],
    ['3x3/2 on a 2x2 map', geom({ n: 2, c: 3, h: 2, w: 2, m: 4, kh: 3, kw: 3, sh: 2, sw: 2 }, [1, 1, 1, 1])],
  ];
  for (const [name, g] of geoms) {
    it(name, () => {
      // Default limit (small images batched into one product), one output row per band, and
      // a limit that splits 3 images into blocks of 2 and 1.
      for (const limit of [1 << 22, 1, 600]) {
        const prev = setColumnLimit(limit);
        try {
          checkGeom(g);
        } finally {
          setColumnLimit(prev);
        }
      }
    });
  }

  // oneDNN (libdnnl2) runs float32 NCHW convolutions when installed; .ci/run installs it.
  const withDnnl = dnnlInfo() ? it : it.skip;
  for (const [name, g] of geoms) {
    withDnnl(`oneDNN: ${name}`, () => {
      const x = Float64Array.from({ length: g.n * g.c * g.h * g.w }, rnd);
      const f = Float64Array.from({ length: g.m * (g.c / g.groups) * g.kh * g.kw }, rnd);
      const dy = Float64Array.from({ length: g.n * g.m * g.oh * g.ow }, rnd);
      const want = naive(g, x, f, dy);
      const near = (got: Float32Array, ref: Float64Array, what: string): void => {
        toPlain(got); // results may be left in oneDNN's blocked layout
        for (let i = 0; i < ref.length; i++) {
          if (!(Math.abs(got[i]! - ref[i]!) <= 1e-5)) throw new Error(`${what}: element ${i} is ${got[i]}, expected ${ref[i]}`);
        }
      };
      const y = new Float32Array(want.y.length).fill(NaN);
      expect(dnnlConvForward(Float32Array.from(x), Float32Array.from(f), g, y)).toBe(true);
      near(y, want.y, 'forward');
      const dx = new Float32Array(x.length).fill(NaN);
      expect(dnnlConvBackwardData(Float32Array.from(dy), Float32Array.from(f), g, dx)).toBe(true);
      near(dx, want.dx, 'data gradient');
      // Where oneDNN would take its slow GEMM fallback for the filter gradient, it declines
      // and our own kernels (tested above) run.
      const df = new Float32Array(f.length).fill(NaN);
      if (dnnlConvBackwardFilter(Float32Array.from(x), Float32Array.from(dy), g, df)) near(df, want.df, 'filter gradient');
    });
  }

  function checkGeom(g: ConvGeom): void {
    const x = Float64Array.from({ length: g.n * g.c * g.h * g.w }, rnd);
    const f = Float64Array.from({ length: g.m * (g.c / g.groups) * g.kh * g.kw }, rnd);
    const dy = Float64Array.from({ length: g.n * g.m * g.oh * g.ow }, rnd);
    const want = naive(g, x, f, dy);
    const y = new Float64Array(want.y.length);
    convForward(x, f, g, y);
    expectClose(y, want.y, 'forward');
    for (const method of ['gather', 'scatter'] as const) {
      const dx = new Float64Array(x.length).fill(NaN); // the kernel must overwrite everything
      convBackwardData(dy, f, g, dx, method);
      expectClose(dx, want.dx, `data gradient (${method})`);
    }
    const df = new Float64Array(f.length).fill(NaN);
    convBackwardFilter(x, dy, g, df);
    expectClose(df, want.df, 'filter gradient');
    if (g.groups === 1) {
      const dfs = new Float64Array(f.length).fill(NaN);
      convBackwardFilterSmall(x, dy, g, dfs);
      expectClose(dfs, want.df, 'filter gradient (per tap)');
    }
    // float32 through the same paths
    const y32 = new Float32Array(y.length);
    convForward(Float32Array.from(x), Float32Array.from(f), g, y32);
    for (let i = 0; i < y.length; i++) expect(Math.abs(y32[i]! - want.y[i]!)).toBeLessThan(1e-5);
  }
});

describe('conv2d / conv2dTranspose API', () => {
  const ops: string[] = [];
  let off: () => void;
  beforeEach(() => {
    ops.length = 0;
    off = engine.addOpListener((type) => ops.push(type));
  });
  afterEach(() => off());

  const ramp = (shape: number[], scale = 0.1): Tensor =>
    tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => ((i * 7) % 11) * scale - 0.5), { shape });

  it('adds the bias per output channel in NCHW and NHWC', () => {
    const x = ramp([1, 2, 4, 4]);
    const w = ramp([3, 2, 3, 3]);
    const b = tensor([1, 2, 3]);
    const plain = conv2d(x, w, null, { padding: 1 });
    const biased = conv2d(x, w, b, { padding: 1 });
    const p = plain.toArray() as number[][][][];
    const q = biased.toArray() as number[][][][];
    for (let m = 0; m < 3; m++) expect(q[0]![m]![2]![1]).toBeCloseTo(p[0]![m]![2]![1]! + m + 1, 5);
    expect(ops).toContain('elementwise_add');
    const xh = tensor(Array.from({ length: 32 }, (_, i) => i / 32), { shape: [1, 4, 4, 2] });
    const yh = conv2d(xh, w, b, { padding: 'SAME', dataFormat: 'NHWC' });
    expect(yh.shape).toEqual([1, 4, 4, 3]);
  });

  it('accepts every Paddle padding form', () => {
    const x = ramp([1, 2, 5, 6]);
    const w = ramp([2, 2, 3, 3]);
    const ref = conv2d(x, w, null, { padding: [1, 0, 2, 1] }).toFlatArray();
    const pairs = conv2d(x, w, null, { padding: [[0, 0], [0, 0], [1, 0], [2, 1]] }).toFlatArray();
    expect(pairs).toEqual(ref);
    expect(conv2d(x, w, null, { padding: 1 }).toFlatArray()).toEqual(conv2d(x, w, null, { padding: [1, 1, 1, 1] }).toFlatArray());
    // SAME at stride 2: out = ceil(in / 2); here pads [1, 1] rows and [0, 1] columns.
    const same = conv2d(x, w, null, { padding: 'same', stride: 2 });
    expect(same.shape).toEqual([1, 2, 3, 3]);
    expect(same.toFlatArray()).toEqual(conv2d(x, w, null, { padding: [1, 1, 0, 1], stride: 2 }).toFlatArray());
    expect(conv2d(x, w, null, { padding: 'VALID' }).shape).toEqual([1, 2, 3, 4]);
    expect(() => conv2d(x, w, null, { padding: [1, 2, 3] })).toThrow(/conv2d: padding must have 2/);
    expect(() => conv2d(x, w, null, { padding: [[1, 0], [0, 0], [1, 0], [2, 1]] })).toThrow(/0 for the batch and channel dimensions/);
    expect(() => conv2d(x, w, null, { padding: 'full' as 'SAME' })).toThrow(/conv2d: padding must be 'SAME', 'VALID' or numbers/);
  });

  it('picks depthwise_conv2d when groups equals the channel count, as Paddle does', () => {
    const x = ramp([1, 3, 4, 4]);
    conv2d(x, ramp([6, 1, 3, 3]), null, { groups: 3, padding: 1 });
    conv2d(x, ramp([4, 3, 3, 3]));
    conv2d(ramp([1, 1, 4, 4]), ramp([2, 1, 3, 3]), null, { groups: 1 });
    expect(ops).toEqual(['depthwise_conv2d', 'conv2d', 'conv2d']);
  });

  it('conv2dTranspose: output size, padding and the depthwise variant', () => {
    const x = ramp([1, 2, 3, 3]);
    const w = ramp([2, 3, 3, 3]);
    expect(conv2dTranspose(x, w, null, { stride: 2, padding: 1 }).shape).toEqual([1, 3, 5, 5]);
    expect(conv2dTranspose(x, w, null, { stride: 2, padding: 1, outputPadding: 1 }).shape).toEqual([1, 3, 6, 6]);
    const sized = conv2dTranspose(x, w, null, { stride: 2, padding: 1, outputSize: [6, 5] });
    expect(sized.shape).toEqual([1, 3, 6, 5]);
    // output_size only appends zero-initialised rows/columns the taps reach: same values where both exist.
    const padded = conv2dTranspose(x, w, null, { stride: 2, padding: 1, outputPadding: [1, 0] });
    expect(padded.toFlatArray()).toEqual(sized.toFlatArray());
    expect(() => conv2dTranspose(x, w, null, { outputSize: 4, outputPadding: 1 })).toThrow(/mutually exclusive/);
    ops.length = 0;
    conv2dTranspose(x, ramp([2, 1, 3, 3]), tensor([1, 2]), { groups: 2 });
    expect(ops).toEqual(['depthwise_conv2d_transpose', 'elementwise_add']);
  });

  it('keeps float64 and float16 dtypes', () => {
    const x = ramp([1, 2, 4, 4]);
    const w = ramp([3, 2, 3, 3]);
    const want = conv2d(x, w, null, { padding: 1 }).toFlatArray();
    const cast = (t: Tensor, dtype: 'float16' | 'float64'): Tensor => tensor(t.toFlatArray(), { shape: t.shape, dtype });
    const y64 = conv2d(cast(x, 'float64'), cast(w, 'float64'), null, { padding: 1 });
    expect(y64.dtype).toBe('float64');
    y64.toFlatArray().forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
    const y16 = conv2dTranspose(cast(x, 'float16'), cast(ramp([2, 3, 3, 3]), 'float16'), null, { stride: 2 });
    expect(y16.dtype).toBe('float16');
    const ref = conv2dTranspose(x, ramp([2, 3, 3, 3]), null, { stride: 2 }).toFlatArray();
    y16.toFlatArray().forEach((v, i) => expect(Math.abs(v - ref[i]!)).toBeLessThan(2e-2));
  });

  it('backward frees the gradient it does not need', () => {
    const x = ramp([2, 2, 5, 5]);
    const w = ramp([3, 2, 3, 3]);
    w.stopGradient = false;
    const before = memory().numTensors;
    tidy(() => backward(sum(conv2d(x, w, null, { padding: 1 }))));
    expect(memory().numTensors).toBe(before + 1); // w.grad only
    expect(w.grad!.shape).toEqual([3, 2, 3, 3]);
    expect(ops).toContain('conv2d_grad');
  });
});

describe('conv errors name the operator, the slot, expected and got', () => {
  const run = (type: string, x: Tensor, f: Tensor, attrs: Record<string, unknown> = {}): unknown =>
    engine.runOp(type, { Input: x, Filter: f }, attrs as never);
  const z = (shape: number[]): Tensor => tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), { shape });

  it('conv2d', () => {
    expect(() => run('conv2d', z([1, 3, 5, 5]), z([4, 2, 3, 3]))).toThrow(OpError);
    expect(() => run('conv2d', z([1, 3, 5, 5]), z([4, 2, 3, 3]))).toThrow(
      /conv2d: input Filter \[4, 2, 3, 3\] must have C\/groups = 3\/1 input channels \(dim 1\), got 2/,
    );
    expect(() => run('conv2d', z([3, 5, 5]), z([4, 3, 3, 3]))).toThrow(/conv2d: input Input must be 4-D \(NCHW or NHWC\), got shape \[3, 5, 5\]/);
    expect(() => run('conv2d', z([1, 3, 2, 2]), z([4, 3, 3, 3]))).toThrow(/conv2d: the output would be empty/);
    expect(() => run('conv2d', z([1, 4, 5, 5]), z([3, 2, 3, 3]), { groups: 2 })).toThrow(/must be divisible by groups = 2/);
    expect(() => run('conv2d', z([1, 3, 5, 5]), z([4, 3, 3, 3]), { padding_algorithm: 'FULL' })).toThrow(/padding_algorithm must be "EXPLICIT", "SAME" or "VALID", got "FULL"/);
    expect(() => run('conv2d', z([1, 3, 5, 5]), z([4, 3, 3, 3]), { paddings: [1, 2, 3] })).toThrow(/attribute paddings must be 2/);
    expect(() => run('conv2d', z([1, 3, 5, 5]), z([4, 3, 3, 3]), { data_format: 'NDHWC' })).toThrow(/data_format must be "NCHW" or "NHWC"/);
    expect(() => run('depthwise_conv2d', z([1, 4, 5, 5]), z([4, 2, 3, 3]), { groups: 2 })).toThrow(
      /depthwise_conv2d: groups \(2\) must equal the input channels \(4\)/,
    );
    const dy = z([1, 4, 2, 2]);
    expect(() => engine.runOp('conv2d_grad', { Input: z([1, 3, 5, 5]), Filter: z([4, 3, 3, 3]), 'Output@GRAD': dy })).toThrow(
      /conv2d_grad: input Output@GRAD must have the forward output's shape \[1, 4, 3, 3\], got \[1, 4, 2, 2\]/,
    );
  });

  it('conv2d_transpose', () => {
    expect(() => run('conv2d_transpose', z([1, 3, 4, 4]), z([2, 2, 3, 3]))).toThrow(
      /conv2d_transpose: input Filter \[2, 2, 3, 3\] must have 3 channels in dim 0/,
    );
    expect(() => run('conv2d_transpose', z([1, 2, 3, 3]), z([2, 2, 3, 3]), { strides: [2, 2], output_size: [9, 9] })).toThrow(
      /output_size \[9, 9\]: dim 0 must be in \[7, 9\) for Input \[1, 2, 3, 3\], got 9/,
    );
    expect(() => run('conv2d_transpose', z([1, 2, 3, 3]), z([2, 2, 3, 3]), { output_padding: [1, 1] })).toThrow(
      /output_padding \[1, 1\]: dim 0 must be in \[0, 1\)/,
    );
  });
});
