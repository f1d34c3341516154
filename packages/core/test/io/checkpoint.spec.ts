import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { memory, tensor, Tensor, tidy, zeros } from '../../src';
import { NdArray, PickleError, PyFloat, dumps, load, loadStateDict, loads, save, saveStateDict, splitLargeArrays } from '../../src/io';
import type { LoadedValue } from '../../src/io';
import { describeArray, expectedFixtures, FIXTURES, pythonWithNumpy, REPO, type ArraySpec } from './helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'oar-io-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Follows a dotted path (`model.0`) into a loaded value. */
function at(v: LoadedValue, key: string): LoadedValue {
  if (v !== null && typeof v === 'object' && !(v instanceof Tensor) && !(v instanceof NdArray) && key in v) {
    return (v as Record<string, LoadedValue>)[key]!;
  }
  let cur = v;
  for (const part of key.split('.')) cur = (cur as Record<string, LoadedValue>)[part]!;
  return cur;
}

describe('io: reading files written by Python (paddle.save layout)', () => {
  const spec = expectedFixtures();

  for (const [file, want] of Object.entries(spec)) {
    it(`${file}: every array loads with its dtype, shape and exact bytes`, () => {
      const before = memory().numTensors;
      tidy(() => {
        const got = load(path.join(FIXTURES, file));
        for (const [key, a] of Object.entries(want.arrays)) {
          const t = at(got, key);
          expect(t).toBeInstanceOf(Tensor);
          expect(describeArray(t as Tensor)).toEqual(a);
        }
        for (const [key, name] of Object.entries(want.names ?? {})) expect((at(got, key) as Tensor).name).toBe(name);
        for (const [key, v] of Object.entries(want.other ?? {})) {
          // JSON cannot hold ints beyond 2^53: the spec writes them as decimal strings.
          const norm = JSON.parse(JSON.stringify(at(got, key), (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)));
          expect(norm).toEqual(v);
        }
        const numpy = load(path.join(FIXTURES, file), { returnNumpy: true });
        for (const [key, a] of Object.entries(want.arrays)) {
          expect(at(numpy, key)).toBeInstanceOf(NdArray);
          expect(describeArray(at(numpy, key) as NdArray)).toEqual(a);
        }
      });
      expect(memory().numTensors).toBe(before);
    });
  }

  it('drops the name table unless keepNameTable, as paddle.load does', () => {
    const plain = load(path.join(FIXTURES, 'linear.pdparams'), { returnNumpy: true }) as Record<string, LoadedValue>;
    expect(Object.keys(plain)).toEqual(['weight', 'bias']);
    const kept = load(path.join(FIXTURES, 'linear.pdparams'), { returnNumpy: true, keepNameTable: true }) as Record<string, LoadedValue>;
    expect(kept['StructuredToParameterName@@']).toEqual({ weight: 'linear_0.w_0', bias: 'linear_0.b_0' });
  });

  it('loadStateDict gives named tensors by structured name', () => {
    const sd = loadStateDict(path.join(FIXTURES, 'linear.pdparams'));
    expect(Object.keys(sd)).toEqual(['weight', 'bias']);
    expect(sd.weight!.shape).toEqual([4, 3]);
    expect(sd.weight!.name).toBe('linear_0.w_0');
    expect(sd.bias!.dtype).toBe('float32');
    Object.values(sd).forEach((t) => t.dispose());
  });

  it('loadStateDict refuses a file with non-array entries and says which', () => {
    const before = memory().numTensors;
    expect(() => loadStateDict(path.join(FIXTURES, 'adam.pdopt'))).toThrow(/entry "LR_Scheduler" of .*adam\.pdopt is a dict, not an array; use load\(\)/);
    expect(memory().numTensors).toBe(before);
  });

  it('keeps the values of the .pdopt LR_Scheduler entry with their types', () => {
    const opt = load(path.join(FIXTURES, 'adam.pdopt'), { returnNumpy: true }) as Record<string, LoadedValue>;
    expect(opt.LR_Scheduler).toEqual({ last_epoch: 3, last_lr: 0.0005 });
    expect(Object.keys(opt).slice(0, 2)).toEqual(['linear_0.w_0_moment1_0', 'linear_0.b_0_moment1_0']);
  });
});

describe('io: writing', () => {
  function allDtypes(): Record<string, Tensor> {
    return {
      f32: tensor([[1.5, -2], [0.25, 1e-30]]),
      f64: tensor([Math.PI, -0, Infinity, NaN], { dtype: 'float64' }),
      f16: tensor([0.5, -2, 65504], { dtype: 'float16' }),
      bf16: tensor([1, -0.5, 3], { dtype: 'bfloat16' }),
      i64: tensor(BigInt64Array.from([0n, -1n, 2n ** 62n + 3n, -(2n ** 63n)])),
      i32: tensor([2147483647, -2147483648, 5], { dtype: 'int32' }),
      i16: tensor([-32768, 32767], { dtype: 'int16' }),
      i8: tensor([-128, 127, 0], { dtype: 'int8' }),
      u8: tensor([0, 128, 255], { dtype: 'uint8' }),
      b: tensor([true, false, true]),
      scalar: tensor(7.5),
      empty: zeros([0, 4]),
      big: tensor(Float32Array.from({ length: 5000 }, (_, i) => Math.sin(i) * 1e3), { shape: [50, 100] }),
    };
  }

  it('round-trips every dtype exactly through save and load', () => {
    tidy(() => {
      const sd = allDtypes();
      const file = path.join(tmp, 'all.pdparams');
      save(sd, file);
      const back = load(file) as Record<string, Tensor>;
      expect(Object.keys(back)).toEqual(Object.keys(sd));
      for (const [k, t] of Object.entries(sd)) {
        expect(describeArray(back[k]!)).toEqual(describeArray(t));
        expect(back[k]!.name).toBe(t.name);
      }
    });
  });

  it('accepts a Map (Layer.stateDict) and nested dicts, lists and numbers', () => {
    tidy(() => {
      const w = tensor([1, 2, 3]);
      w.name = 'fc_0.w_0';
      const m = new Map<string, Tensor>([['fc.weight', w]]);
      const file = path.join(tmp, 'nested', 'deeper', 'map.pdparams');
      save(m, file);
      const back = load(file, { keepNameTable: true }) as Record<string, LoadedValue>;
      expect((back['fc.weight'] as Tensor).toArray()).toEqual([1, 2, 3]);
      expect(back['StructuredToParameterName@@']).toEqual({ 'fc.weight': 'fc_0.w_0' });
      const obj = { a: { b: [1, 2.5, 'x', null, true], c: 2n ** 70n }, lr: new PyFloat(1), bytes: Uint8Array.from([0, 200, 255]) };
      save(obj, path.join(tmp, 'obj.pkl'));
      expect(load(path.join(tmp, 'obj.pkl'))).toEqual({ a: { b: [1, 2.5, 'x', null, true], c: 2n ** 70n }, lr: 1, bytes: Uint8Array.from([0, 200, 255]) });
    });
  });

  it('writes protocol 2 by default and 3 or 4 on request; all read back', () => {
    tidy(() => {
      const sd = { w: tensor([[1, -1]]), e: zeros([0]) };
      for (const protocol of [2, 3, 4] as const) {
        const bytes = dumps(sd, { protocol });
        expect(bytes[0]).toBe(0x80);
        expect(bytes[1]).toBe(protocol);
        const back = loads(bytes) as Record<string, Tensor>;
        expect(back.w!.toArray()).toEqual([[1, -1]]);
        expect(back.e!.shape).toEqual([0]);
      }
      expect(() => dumps(sd, { protocol: 5 as 2 })).toThrow(/protocol must be 2, 3 or 4, got 5/);
    });
  });

  it('splits arrays above the protocol-2 limit as Paddle does, and joins them on load', () => {
    tidy(() => {
      const a = NdArray.fromTensor(tensor(Float32Array.from({ length: 10 }, (_, i) => i), { shape: [2, 5] }));
      const split = splitLargeArrays({ w: a, small: 1 }, 12);
      expect(Object.keys(split)).toEqual(['small', 'w@@.0', 'w@@.1', 'w@@.2', 'w@@.3', 'UnpackBigParamInfor@@']);
      const back = loads(dumps(split as never)) as Record<string, LoadedValue>;
      expect((back.w as Tensor).toArray()).toEqual([[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]);
      expect(Object.keys(back)).toEqual(['small', 'w']);
    });
  });

  it('refuses what it cannot save, naming where, and writes no file', () => {
    const file = path.join(tmp, 'bad.pdparams');
    expect(() => save({ a: { b: undefined as never } }, file)).toThrow(/save: \["a"\]\["b"\] is undefined/);
    expect(() => save({ f: (() => 1) as never }, file)).toThrow(/function/);
    const cyc: Record<string, unknown> = {};
    cyc.self = { again: cyc };
    expect(() => save(cyc as never, file)).toThrow(/contains itself/);
    const t = tensor([1]);
    t.dispose();
    expect(() => save({ t }, file)).toThrow(/already disposed/);
    expect(() => save({ d: new Date() as never }, file)).toThrow(/\["d"\] is a Date, which cannot be saved/);
    expect(() => save({}, path.join(tmp, 'dir') + '/')).toThrow(/must name a file/);
    expect(() => saveStateDict({ x: 1 as never }, file)).toThrow(/entry "x" is a number, expected a Tensor/);
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('io: Python reads what Oar writes', () => {
  const py = pythonWithNumpy();

  function check(file: string, spec: object): void {
    if (!('python' in py)) return;
    const specFile = file + '.spec.json';
    fs.writeFileSync(specFile, JSON.stringify(spec));
    const r = spawnSync(py.python, [path.join(REPO, 'tools', 'fixtures', 'check_oar_pickle.py'), file, specFile], { encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`.trim()).toBe('OK');
  }

  it('a state dict of every dtype loads in pickle + numpy as the same arrays', () => {
    if ('skip' in py) {
      console.log(`skipping the Python cross-check: ${py.skip}`);
      return;
    }
    tidy(() => {
      const sd: Record<string, Tensor> = {
        'linear.weight': tensor([[0.5, -1.25, 300], [1e-20, -0, 7]]),
        'linear.bias': tensor([1, 2, 3], { dtype: 'float64' }),
        half: tensor([0.5, -3, 100], { dtype: 'float16' }),
        bf: tensor([1, 2], { dtype: 'bfloat16' }),
        ids: tensor(BigInt64Array.from([-(2n ** 63n), 2n ** 63n - 1n, 0n])),
        i32: tensor([[1, -2]], { dtype: 'int32' }),
        mask: tensor([[true, false]]),
        u8: tensor([0, 255, 128], { dtype: 'uint8' }),
        i8: tensor([-128, 5], { dtype: 'int8' }),
        i16: tensor([-300, 300], { dtype: 'int16' }),
        scalar: tensor(3.25),
        empty: zeros([2, 0]),
        big: tensor(Float32Array.from({ length: 20000 }, (_, i) => Math.cos(i) * 77), { shape: [100, 200] }),
      };
      sd['linear.weight']!.name = 'linear_0.w_0';
      sd['linear.bias']!.name = 'linear_0.b_0';
      const arrays: Record<string, ArraySpec> = {};
      const names: Record<string, string> = {};
      for (const [k, t] of Object.entries(sd)) {
        arrays[k] = describeArray(t);
        names[k] = t.name;
      }
      for (const protocol of [2, 3, 4] as const) {
        const file = path.join(tmp, `cross_p${protocol}.pdparams`);
        save(sd, file, { protocol });
        check(file, { protocol, arrays, names });
      }
    });
  });

  it('a .pdopt with an LR_Scheduler dict loads in Python with ints and floats intact', () => {
    if ('skip' in py) {
      console.log(`skipping the Python cross-check: ${py.skip}`);
      return;
    }
    tidy(() => {
      const m1 = tensor([0.1, 0.2]);
      m1.name = 'linear_0.w_0_moment1_0';
      const file = path.join(tmp, 'opt.pdopt');
      save({ [m1.name]: m1, LR_Scheduler: { last_epoch: 4, last_lr: 0.25 }, extra: { lr: new PyFloat(1), list: [1, 'a', null] } }, file);
      check(file, {
        protocol: 2,
        arrays: { [m1.name]: describeArray(m1) },
        other: { LR_Scheduler: { last_epoch: 4, last_lr: 0.25 }, extra: { lr: { $float: 1 }, list: [1, 'a', null] } },
        names: { [m1.name]: m1.name },
      });
    });
  });
});

describe('io: corrupt input gives a clear error and loads nothing', () => {
  const good = fs.readFileSync(path.join(FIXTURES, 'linear.pdparams'));

  function expectPickleError(bytes: Uint8Array, re: RegExp): PickleError {
    const before = memory().numTensors;
    let err: unknown;
    try {
      loads(bytes, { name: 'model.pdparams' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PickleError);
    expect((err as Error).message).toMatch(/^model\.pdparams: byte \d+: /);
    expect((err as Error).message).toMatch(re);
    expect(memory().numTensors).toBe(before);
    return err as PickleError;
  }

  it('names the file and offset of a truncation', () => {
    const e = expectPickleError(good.subarray(0, 100), /truncated file/);
    expect(e.offset).toBeLessThanOrEqual(100);
    expect(e.file).toBe('model.pdparams');
    expectPickleError(good.subarray(0, good.length - 1), /expected an opcode at byte \d+ \(the pickle has no STOP\)/);
    expectPickleError(new Uint8Array(0), /empty file/);
  });

  it('reports a truncated file on disk with its path', () => {
    const file = path.join(tmp, 'cut.pdparams');
    fs.writeFileSync(file, good.subarray(0, 60));
    expect(() => load(file)).toThrow(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: byte \\d+: truncated file`));
    expect(() => load(path.join(tmp, 'missing.pdparams'))).toThrow(/load: cannot read .*missing\.pdparams: ENOENT/);
  });

  it('refuses globals outside numpy arrays and plain containers without running them', () => {
    // pickle.dumps of os.system('echo hi') in protocol 2
    const evil = Buffer.from('800263706f7369780a73797374656d0a710058070000006563686f20686971018571025271032e', 'hex');
    expectPickleError(evil, /global "posix system" is not allowed/);
  });

  it('rejects unknown opcodes, bad array sizes and recursive structures', () => {
    expectPickleError(Uint8Array.from([0x80, 0x02, 0xff]), /unknown opcode 0xff/);
    expectPickleError(Uint8Array.from([0x80, 0x09, 0x4e, 0x2e]), /unsupported pickle protocol 9/);
    // a list that contains itself: ] q0 h0 a .
    expectPickleError(Uint8Array.from([0x80, 0x02, 0x5d, 0x71, 0x00, 0x68, 0x00, 0x61, 0x2e]), /contains itself/);
    expectPickleError(Uint8Array.from([0x80, 0x02, 0x68, 0x05, 0x2e]), /memo entry 5, which was never stored/);
    expectPickleError(Uint8Array.from([0x80, 0x02, 0x61, 0x2e]), /APPEND expected a value to append on the stack, found it empty/);
    // The array data (SHORT_BINBYTES, 8 bytes) cut to 7 bytes: one short of shape x dtype.
    const arr = Buffer.from(dumps({ w: tensor([1, 2]) }, { protocol: 3 }));
    const i = arr.indexOf(Buffer.from([0x43, 0x08, 0, 0, 0x80, 0x3f]));
    expect(i).toBeGreaterThan(0);
    const short = Buffer.concat([arr.subarray(0, i), Buffer.from([0x43, 0x07]), arr.subarray(i + 2, i + 9), arr.subarray(i + 10)]);
    expectPickleError(short, /array data has 7 bytes, but dtype float32 with shape \[2\] needs 8/);
  });
});
