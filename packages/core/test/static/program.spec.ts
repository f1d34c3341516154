import * as path from 'path';
import { getOpSpec, zeros } from '../../src';
import {
  AttrType,
  ProgramError,
  ProgramExecutor,
  VarKind,
  coerceAttr,
  convertAttrs,
  decodeProgram,
  encodeProgram,
  readArchive,
  type ProgramDesc,
} from '../../src/static';
import { CIFAR, FILL, MNIST, PROGRAM_ONLY, SIMPLE, archiveOf, programOnly, readBytes, syntheticParams } from './helpers';

/** What shared/cases/paddle-models/*\/SOURCE.txt records about a program (written independently of Oar). */
interface SourceFacts {
  version?: number;
  vars: number;
  persistable: number;
  feeds: { col: number; name: string; dtype: string; dims: number[] }[];
  fetches: { col: number; name: string; dtype: string; dims: number[] }[];
  ops: Record<string, number>;
}

function parseSource(text: string): SourceFacts {
  const line = (prefix: string): string => {
    const l = text.split('\n').find((x) => x.startsWith(prefix));
    if (!l) throw new Error(`SOURCE.txt has no "${prefix}" line`);
    return l.slice(prefix.length);
  };
  const head = line('ProgramDesc.version: ');
  const v = /^(\w+);.*block0 vars: (\d+); persistable tensors: (\d+)/.exec(head)!;
  const targets = (s: string) =>
    [...s.matchAll(/(\d+): (\S+) (\w+) \[([^\]]*)\]/g)].map((m) => ({
      col: Number(m[1]),
      name: m[2]!,
      dtype: m[3]!,
      dims: m[4]!.split(',').map((d) => Number(d.trim())),
    }));
  const ops: Record<string, number> = {};
  for (const m of line('op types (count): ').matchAll(/(\w+) (\d+)/g)) ops[m[1]!] = Number(m[2]);
  return {
    version: v[1] === 'absent' ? undefined : Number(v[1]),
    vars: Number(v[2]),
    persistable: Number(v[3]),
    feeds: targets(line('feeds (col, name, dtype, dims): ')),
    fetches: targets(line('fetches (col, name, dtype, dims): ')),
    ops,
  };
}

function opCounts(p: ProgramDesc): Record<string, number> {
  const c: Record<string, number> = {};
  for (const op of p.blocks[0]!.ops) c[op.type] = (c[op.type] ?? 0) + 1;
  return c;
}

const DTYPE_CODES: Record<string, number> = { float32: VarKind.FP32, int32: VarKind.INT32, int64: VarKind.INT64 };

function checkAgainstSource(p: ProgramDesc, facts: SourceFacts): void {
  const b = p.blocks[0]!;
  expect(p.blocks).toHaveLength(1);
  expect(p.version).toBe(facts.version);
  expect(b.vars.size).toBe(facts.vars);
  const persistable = [...b.vars.values()].filter(
    (v) => v.persistable && v.kind !== VarKind.FEED_MINIBATCH && v.kind !== VarKind.FETCH_LIST,
  );
  expect(persistable).toHaveLength(facts.persistable);
  expect(opCounts(p)).toEqual(facts.ops);
  const feeds = b.ops.filter((o) => o.type === 'feed').map((o) => ({ col: Number(o.attrs.col!.value), name: o.outputs.Out![0] }));
  const fetches = b.ops.filter((o) => o.type === 'fetch').map((o) => ({ col: Number(o.attrs.col!.value), name: o.inputs.X![0] }));
  expect(feeds.sort((a, c) => a.col - c.col)).toEqual(facts.feeds.map(({ col, name }) => ({ col, name })));
  expect(fetches.sort((a, c) => a.col - c.col)).toEqual(facts.fetches.map(({ col, name }) => ({ col, name })));
  for (const t of [...facts.feeds, ...facts.fetches]) {
    const v = b.vars.get(t.name)!;
    expect(v.kind).toBe(VarKind.LOD_TENSOR);
    expect(v.dataType).toBe(DTYPE_CODES[t.dtype]);
    expect(v.dims).toEqual(t.dims);
  }
}

describe('ProgramDesc decoding of every real program', () => {
  const complete: [string, string][] = [
    [CIFAR, '__model__'],
    [MNIST, '__model__'],
    [SIMPLE, 'model.pdmodel'],
    [FILL, 'model'],
  ];
  for (const [dir, file] of complete) {
    it(`${path.basename(dir)}/${file} matches its SOURCE.txt`, () => {
      const p = decodeProgram(readBytes(path.join(dir, file)), file);
      checkAgainstSource(p, parseSource(Buffer.from(readBytes(path.join(dir, 'SOURCE.txt'))).toString()));
    });
  }
  for (const folder of Object.values(PROGRAM_ONLY)) {
    it(`${folder} (program only) matches its SOURCE.txt`, () => {
      const files = readArchive(archiveOf(folder));
      const { program } = programOnly(folder);
      checkAgainstSource(program, parseSource(Buffer.from(files.get(`${folder}/SOURCE.txt`)!).toString()));
    });
  }

  it('ResNet50 has the op set of spec §9: 53 conv2d, 53 batch_norm, 49 relu, 17 elementwise_add, 2 pool2d, 1 mul, 1 softmax, 1 scale', () => {
    const { program } = programOnly(PROGRAM_ONLY.resnet50);
    expect(opCounts(program)).toEqual({
      feed: 1,
      conv2d: 53,
      batch_norm: 53,
      relu: 49,
      elementwise_add: 17,
      pool2d: 2,
      mul: 1,
      softmax: 1,
      scale: 1,
      fetch: 1,
    });
    const pools = program.blocks[0]!.ops.filter((o) => o.type === 'pool2d');
    expect(pools.map((o) => o.attrs.pooling_type!.value)).toEqual(['max', 'avg']);
    expect(pools[0]!.attrs.ksize!.value).toEqual([3, 3]);
    expect(pools[1]!.attrs.global_pooling!.value).toBe(true);
  });

  it('decodes attributes by their stored type: float32 epsilon, LONGS shape, INT is_test', () => {
    const cifar = decodeProgram(readBytes(path.join(CIFAR, '__model__')));
    const bn = cifar.blocks[0]!.ops.find((o) => o.type === 'batch_norm')!;
    // epsilon is a FLOAT: 1e-5 as the float32 value it is stored as.
    expect(bn.attrs.epsilon).toEqual({ type: AttrType.FLOAT, value: Math.fround(1e-5) });
    const fill = decodeProgram(readBytes(path.join(FILL, 'model')));
    const fc = fill.blocks[0]!.ops.find((o) => o.type === 'fill_constant')!;
    expect(fc.attrs.shape).toEqual({ type: AttrType.LONGS, value: [10, 3] });
    expect(fc.inputs.ShapeTensor).toEqual(['shape_data']);
    const simple = decodeProgram(readBytes(path.join(SIMPLE, 'model.pdmodel')));
    const relu = simple.blocks[0]!.ops.find((o) => o.type === 'relu')!;
    expect(relu.attrs.is_test).toEqual({ type: AttrType.INT, value: 1 });
    expect(simple.opVersions.conv2d).toBeGreaterThanOrEqual(1);
  });

  it('a 2018 program omits attributes; the executor fills them with the operator defaults', () => {
    const p = decodeProgram(readBytes(path.join(CIFAR, '__model__')));
    const ops = p.blocks[0]!.ops;
    const pool = ops.find((o) => o.type === 'pool2d')!;
    for (const a of ['exclusive', 'adaptive', 'padding_algorithm']) expect(pool.attrs[a]).toBeUndefined();
    expect(ops.find((o) => o.type === 'softmax')!.attrs.axis).toBeUndefined();
    const { attrs } = convertAttrs(pool.attrs, getOpSpec('pool2d').attrs);
    expect(attrs.exclusive).toBeUndefined(); // left to the engine, which fills the default
    expect(attrs.pooling_type).toBe('avg');
  });

  it('encodes a program back to bytes that decode to the same program', () => {
    for (const bytes of [readBytes(path.join(FILL, 'model')), programOnly(PROGRAM_ONLY.ppocrV3).bytes]) {
      const p = decodeProgram(bytes);
      const again = decodeProgram(encodeProgram(p));
      expect(again).toEqual(p);
    }
  });
});

describe('attribute coercion', () => {
  it('reads flags and integers stored as INT, LONG or BOOLEAN, and INTS/LONGS alike', () => {
    expect(coerceAttr('is_test', { type: AttrType.INT, value: 1 }, false)).toBe(true);
    expect(coerceAttr('is_test', { type: AttrType.BOOLEAN, value: false }, false)).toBe(false);
    expect(coerceAttr('axis', { type: AttrType.LONG, value: 2 }, 0)).toBe(2);
    expect(coerceAttr('axis', { type: AttrType.BOOLEAN, value: true }, 0)).toBe(1);
    expect(coerceAttr('shape', { type: AttrType.LONGS, value: [10, 3] }, [])).toEqual([10, 3]);
    expect(coerceAttr('axes', { type: AttrType.INT, value: 1 }, [0])).toEqual([1]);
    expect(coerceAttr('scale', { type: AttrType.FLOATS, value: [2] }, 1)).toBe(2);
    expect(coerceAttr('padding_idx', { type: AttrType.INT, value: -1 }, -1n)).toBe(-1n);
    expect(coerceAttr('table_names', { type: AttrType.STRINGS, value: ['a'] }, [])).toEqual(['a']);
  });

  it('says what was stored and what was expected when the kinds cannot meet', () => {
    expect(() => coerceAttr('axis', { type: AttrType.STRING, value: 'x' }, 0)).toThrow(
      'attribute "axis" is stored as STRING "x", expected a number',
    );
    expect(() => coerceAttr('data_format', { type: AttrType.INTS, value: [1] }, 'NCHW')).toThrow('expected a STRING');
    expect(() => coerceAttr('axis', { type: -1, value: '' }, 0)).toThrow('AttrType this reader does not know');
  });

  it('forces is_test, drops bookkeeping, and refuses fused activations it cannot honour', () => {
    const spec = getOpSpec('batch_norm');
    const { attrs, dropped } = convertAttrs(
      { is_test: { type: AttrType.INT, value: 0 }, op_role: { type: AttrType.INT, value: 0 }, fuse_with_relu: { type: AttrType.BOOLEAN, value: false } },
      spec.attrs,
    );
    expect(attrs.is_test).toBe(true);
    expect(dropped.sort()).toEqual(['fuse_with_relu', 'op_role']);
    expect(() => convertAttrs({ fuse_with_relu: { type: AttrType.BOOLEAN, value: true } }, spec.attrs)).toThrow(
      /attribute "fuse_with_relu" = BOOLEAN true asks for a fused computation/,
    );
  });

  it('a program that sets a fused computation Oar lacks is refused at planning, naming the op', () => {
    const p = decodeProgram(readBytes(path.join(SIMPLE, 'model.pdmodel')), 'model.pdmodel');
    p.blocks[0]!.ops.find((o) => o.type === 'conv2d')!.attrs.fuse_brelu = { type: AttrType.BOOLEAN, value: true };
    const params = syntheticParams(p);
    expect(() => new ProgramExecutor(p, params, { file: 'model.pdmodel' })).toThrow(ProgramError);
    expect(() => new ProgramExecutor(p, params, { file: 'model.pdmodel' })).toThrow(/model\.pdmodel: op #1 \(conv2d\): attribute "fuse_brelu"/);
    for (const t of params.values()) t.dispose();
  });

  it("conv2d's fused form (fuse_relu of Paddle 1.x, fuse_activation) is run, not refused", () => {
    const p = decodeProgram(readBytes(path.join(SIMPLE, 'model.pdmodel')), 'model.pdmodel');
    const conv = p.blocks[0]!.ops.find((o) => o.type === 'conv2d')!;
    conv.attrs.fuse_relu = { type: AttrType.BOOLEAN, value: true };
    const params = syntheticParams(p);
    expect(() => new ProgramExecutor(p, params, { file: 'model.pdmodel' })).not.toThrow();
    conv.attrs.fuse_activation = { type: AttrType.STRING, value: 'gelu' };
    const ex = new ProgramExecutor(p, params, { file: 'model.pdmodel' });
    const feed = ex.feeds[0]!;
    const x = zeros(feed.shape.map((d) => (d < 0 ? 1 : d)), { dtype: feed.dtype ?? 'float32' });
    expect(() => ex.run({ [feed.name]: x })).toThrow(/op #1 \(conv2d\).*fuse_activation "gelu" is not one Oar fuses/);
    x.dispose();
    for (const t of params.values()) t.dispose();
  });
});

describe('structural errors name the file and the place', () => {
  it('an empty file and a file without blocks', () => {
    expect(() => decodeProgram(new Uint8Array(0), 'empty.pdmodel')).toThrow('empty.pdmodel: the program file is empty');
    // Field 4 (version) only: valid protobuf, but no blocks.
    expect(() => decodeProgram(Uint8Array.from([0x22, 0x02, 0x08, 0x01]), 'v.pdmodel')).toThrow('v.pdmodel: the ProgramDesc has no blocks');
  });

  it('an op without a type', () => {
    const p = decodeProgram(readBytes(path.join(FILL, 'model')));
    const noType = structuredClone(p);
    noType.blocks[0]!.ops[1]!.type = '';
    expect(() => decodeProgram(encodeProgram(noType), 'm')).toThrow('m: block 0 op #1: op has no type');
  });
});
