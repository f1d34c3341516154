import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  ModelFormatError,
  ModelPathError,
  VarKind,
  compareNames,
  decodeProgram,
  loadInferenceModel,
  openModel,
  persistableVars,
  readCombinedParams,
  readParams,
  readSeparateParam,
  readTensorRecord,
  writeTensorRecord,
  type BlockDesc,
  type VarDesc,
} from '../../src/static';
import { floatToHalf } from '../../src/tensor/dtype';
import { CIFAR, FILL, MNIST, PROGRAM_ONLY, SIMPLE, programOnly, readBytes } from './helpers';

const tensorVar = (name: string, dims: number[], dataType: number = VarKind.FP32, persistable = true): VarDesc => ({
  name,
  kind: VarKind.LOD_TENSOR,
  dataType,
  dims,
  lodLevel: 0,
  persistable,
  needCheckFeed: false,
});

describe('serialized tensors (spec §3)', () => {
  it('reads the example record of the spec: conv2d_0.w_0 of the CIFAR ResNet', () => {
    const bytes = readBytes(path.join(CIFAR, 'conv2d_0.w_0'));
    expect(Array.from(bytes.subarray(0, 30))).toEqual([
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 0x08, 0x05, 0x10, 0x10, 0x10, 0x03, 0x10, 0x03, 0x10, 0x03,
    ]);
    const r = readTensorRecord(bytes, 0, 'conv2d_0.w_0', 'conv2d_0.w_0');
    expect(r).toMatchObject({ dtype: 'float32', dims: [16, 3, 3, 3], lod: [], start: 0, end: bytes.length });
    expect(r.data).toBeInstanceOf(Float32Array);
    expect(r.data[0]).toBe(new DataView(bytes.buffer, bytes.byteOffset + 30).getFloat32(0, true));
  });

  it('writes records that read back, in every dtype', () => {
    const cases: [Parameters<typeof writeTensorRecord>[0], ArrayLike<number> | bigint[], number[]][] = [
      ['float32', [1.5, -2, 3.25, 0], [2, 2]],
      ['float64', [Math.PI], [1]],
      ['int64', [-(2n ** 40n), 7n], [2]],
      ['int32', [1, 2, 3], [3]],
      ['uint8', [255, 0], [2]],
      ['bool', [1, 0, 1], [3]],
    ];
    for (const [dtype, values, dims] of cases) {
      const data =
        dtype === 'int64'
          ? BigInt64Array.from(values as bigint[])
          : dtype === 'float32'
            ? Float32Array.from(values as number[])
            : dtype === 'float64'
              ? Float64Array.from(values as number[])
              : dtype === 'int32'
                ? Int32Array.from(values as number[])
                : Uint8Array.from(values as number[]);
      const bytes = writeTensorRecord(dtype, dims, data);
      const r = readTensorRecord(bytes, 0, 'x', 'x');
      expect(r.dtype).toBe(dtype);
      expect(r.dims).toEqual(dims);
      expect(Array.from(r.data as ArrayLike<number>)).toEqual(Array.from(data as ArrayLike<number>));
    }
  });

  it('reads records with LoD levels, and 0-d records of Paddle >= 2.5 as one element', () => {
    const plain = writeTensorRecord('float32', [3], Float32Array.from([1, 2, 3]));
    // Insert one LoD level [0, 1, 3] after the LoD version: lod_level = 1, 24 bytes of offsets.
    const lod = new Uint8Array(8 + 8 + 24);
    const dv = new DataView(lod.buffer);
    dv.setUint32(0, 1, true);
    dv.setUint32(8, 24, true);
    [0, 1, 3].forEach((o, i) => dv.setUint32(16 + 8 * i, o, true));
    const bytes = new Uint8Array(plain.length + 32);
    bytes.set(plain.subarray(0, 4));
    bytes.set(lod, 4);
    bytes.set(plain.subarray(12), 4 + lod.length);
    const r = readTensorRecord(bytes, 0, 'seq', 'seq');
    expect(r.lod).toEqual([[0, 1, 3]]);
    expect(Array.from(r.data as Float32Array)).toEqual([1, 2, 3]);
    const scalar = writeTensorRecord('float32', [], Float32Array.from([4]));
    const s = readSeparateParam(scalar, 'beta', tensorVar('beta', [1]));
    expect(s.dims).toEqual([]);
    expect(s.data[0]).toBe(4);
  });

  it('widens an fp16 record of a variable the program declares fp32', () => {
    const half = Uint16Array.from([floatToHalf(1.5), floatToHalf(-0.25)]);
    const r = readSeparateParam(writeTensorRecord('float16', [2], half), 'w', tensorVar('w', [2]));
    expect(r.dtype).toBe('float32');
    expect(Array.from(r.data as Float32Array)).toEqual([1.5, -0.25]);
  });

  it('names the file, the byte offset and what was expected for damaged records', () => {
    const good = readBytes(path.join(CIFAR, 'conv2d_0.w_0'));
    const v = tensorVar('conv2d_0.w_0', [16, 3, 3, 3]);
    const err = (bytes: Uint8Array): ModelFormatError => {
      try {
        readSeparateParam(bytes, 'conv2d_0.w_0', v);
      } catch (e) {
        expect(e).toBeInstanceOf(ModelFormatError);
        return e as ModelFormatError;
      }
      throw new Error('expected an error');
    };
    let e = err(good.subarray(0, 100));
    expect(e.message).toBe(
      'conv2d_0.w_0: byte 30: variable "conv2d_0.w_0": expected 1728 bytes of float32 data for dims [16, 3, 3, 3], but only 70 remain (truncated?)',
    );
    e = err(good.subarray(0, 2));
    expect(e.message).toMatch(/^conv2d_0\.w_0: byte 0: expected the LoD version \(uint32\) \(4 bytes\) of variable "conv2d_0\.w_0", but the file ends at byte 2/);
    const badVersion = good.slice();
    badVersion[12] = 1;
    expect(err(badVersion).message).toBe('conv2d_0.w_0: byte 12: variable "conv2d_0.w_0": tensor version is 1, expected 0');
    const badDesc = good.slice();
    badDesc[16] = 0xff;
    badDesc[19] = 0x7f;
    expect(err(badDesc).message).toMatch(/^conv2d_0\.w_0: byte 16: .*TensorDesc size \d+ is negative or larger than the \d+ bytes that remain/);
    const badProto = good.slice();
    badProto[20] = 0x0f; // field 1 with wire type 7
    expect(err(badProto).message).toMatch(/^conv2d_0\.w_0: byte 2\d: expected a VarType\.TensorDesc: an invalid protobuf wire type/);
    const extra = new Uint8Array(good.length + 3);
    extra.set(good);
    expect(err(extra).message).toBe(`conv2d_0.w_0: byte ${good.length}: expected the end of the file after the record of "conv2d_0.w_0", but 3 bytes remain`);
    expect(() => readSeparateParam(good, 'f', tensorVar('conv2d_0.w_0', [16, 3, 3, 4]))).toThrow(
      'f: byte 0: variable "conv2d_0.w_0": the record has dims [16, 3, 3, 3], the program declares [16, 3, 3, 4]',
    );
    expect(() => readSeparateParam(good, 'f', tensorVar('conv2d_0.w_0', [16, 3, 3, 3], VarKind.INT32))).toThrow(
      'the record holds float32, the program declares int32',
    );
  });
});

describe('combined parameter files (spec §4)', () => {
  it('orders names byte-wise: digits < uppercase < "_" < lowercase, numbers as text', () => {
    const names = ['fc_2.w_0', 'conv2d_0.w_0', 'fc_10.w_0', 'batch_norm_0.w_0', '_x', 'MobilenetV1_c', 'Const_222', 'fc_1.w_0', 'batch_norm_0.b_0', 'é', 'z'];
    expect([...names].sort(compareNames)).toEqual([
      'Const_222',
      'MobilenetV1_c',
      '_x',
      'batch_norm_0.b_0',
      'batch_norm_0.w_0',
      'conv2d_0.w_0',
      'fc_1.w_0',
      'fc_10.w_0',
      'fc_2.w_0',
      'z',
      'é',
    ]);
  });

  it('selects the persistable tensors of block 0, leaving out feed/fetch holders, sorted', () => {
    const p = decodeProgram(readBytes(path.join(SIMPLE, 'model.pdmodel')));
    expect(persistableVars(p.blocks[0]!).map((v) => v.name)).toEqual([
      'conv1_bn_mean',
      'conv1_bn_offset',
      'conv1_bn_scale',
      'conv1_bn_variance',
      'conv1_weights',
    ]);
    const block: BlockDesc = {
      idx: 0,
      parentIdx: -1,
      forwardBlockIdx: -1,
      ops: [],
      vars: new Map(
        [
          tensorVar('b', [1]),
          tensorVar('a', [1], VarKind.FP32, false),
          { ...tensorVar('feed', []), kind: VarKind.FEED_MINIBATCH },
          { ...tensorVar('fetch', []), kind: VarKind.FETCH_LIST },
          { ...tensorVar('raw', []), kind: VarKind.RAW },
          tensorVar('A', [1]),
        ].map((v) => [v.name, v]),
      ),
    };
    expect(persistableVars(block).map((v) => v.name)).toEqual(['A', 'b']);
  });

  it('reads .pdiparams to its last byte, including a persistable no op uses', () => {
    const p = decodeProgram(readBytes(path.join(FILL, 'model')));
    const recs = readCombinedParams(readBytes(path.join(FILL, 'params')), 'params', persistableVars(p.blocks[0]!));
    expect([...recs.keys()]).toEqual(['place_holder_weight']);
    expect(recs.get('place_holder_weight')!.dims).toEqual([1]);
  });

  it('a combined file in another order or with a record missing or added fails with the offset', () => {
    const p = decodeProgram(readBytes(path.join(SIMPLE, 'model.pdmodel')));
    const vars = persistableVars(p.blocks[0]!);
    const bytes = readBytes(path.join(SIMPLE, 'model.pdiparams'));
    // Program order instead of sorted order: the first record (a [32] vector) meets conv1_weights.
    const programOrder = [vars[4]!, ...vars.slice(0, 4)];
    expect(() => readCombinedParams(bytes, 'model.pdiparams', programOrder)).toThrow(
      'model.pdiparams: byte 0: variable "conv1_weights": the record has dims [32], the program declares [32, 3, 3, 3]',
    );
    expect(() => readCombinedParams(bytes, 'model.pdiparams', vars.slice(0, 4))).toThrow(
      /^model\.pdiparams: byte \d+: expected the end of the file after the 4 persistable variables of the program, but 3\d\d\d bytes remain/,
    );
    const extra = [...vars, tensorVar('zz', [1])];
    expect(() => readCombinedParams(bytes, 'model.pdiparams', extra)).toThrow(
      `model.pdiparams: byte ${bytes.length}: expected the record of "zz" (variable 6 of 6 in byte-wise name order), but the file ends here`,
    );
  });

  it('reads one file per variable in the classic layout, and lists every missing one', () => {
    const src = openModel(MNIST);
    expect(src.params.kind).toBe('separate');
    const p = decodeProgram(src.programBytes);
    expect([...readParams(p, src.params, src.programFile).keys()]).toEqual(['fc_0.b_0', 'fc_0.w_0', 'fc_1.b_0', 'fc_1.w_0', 'fc_2.b_0', 'fc_2.w_0']);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oar-params-'));
    try {
      fs.copyFileSync(path.join(MNIST, '__model__'), path.join(dir, '__model__'));
      fs.copyFileSync(path.join(MNIST, 'fc_1.w_0'), path.join(dir, 'fc_1.w_0'));
      expect(() => loadInferenceModel(dir)).toThrow(ModelPathError);
      expect(() => loadInferenceModel(dir)).toThrow(
        `${dir}: 5 of the 6 persistable variables of ${path.join(dir, '__model__')} have no parameter file (fc_0.b_0, fc_0.w_0, fc_1.b_0, fc_2.b_0, fc_2.w_0), and no combined parameter file was found`,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the stem parameters shipped with the ResNet50 program match its VarDescs', () => {
    const { program } = programOnly(PROGRAM_ONLY.resnet50);
    const vars = program.blocks[0]!.vars;
    const src = openModel(path.join(__dirname, '..', 'fixtures', 'paddle-models', `${PROGRAM_ONLY.resnet50}.tar.gz`));
    expect(src.params.kind).toBe('separate');
    if (src.params.kind !== 'separate') return;
    for (const name of ['conv1_weights', 'bn_conv1_scale', 'bn_conv1_offset', 'bn_conv1_mean', 'bn_conv1_variance']) {
      const r = readSeparateParam(src.params.read(name)!, src.params.fileName(name), vars.get(name)!);
      expect(r.dims).toEqual(vars.get(name)!.dims);
    }
    expect(src.params.read('res5c_branch2c_weights')).toBeUndefined();
  });
});
