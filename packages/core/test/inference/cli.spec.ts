import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../src/cli/infer';
import { readNpy, writeNpy } from '../../src/io/npy';
import { CIFAR, MNIST, agreement, manifest, refData } from '../static/helpers';

function capture(argv: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = main(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

describe('oar-infer', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oar-infer-'));
    const c = manifest(MNIST).find((x) => x.name === 'infer3_png')!;
    writeNpy(path.join(dir, 'digit.npy'), { dtype: 'float32', shape: c.inputs[0]!.shape, data: refData(MNIST, c.inputs[0]!) });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('runs a model on a .npy input, prints outputs and timings, writes .npy outputs', () => {
    const outDir = path.join(dir, 'out');
    const r = capture(['--model', MNIST, '--input', `image=${path.join(dir, 'digit.npy')}`, '--repeat', '3', '--output', outDir]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`model   ${path.join(MNIST, '__model__')} (10 ops, 5 after IR optimization) on cpu`);
    expect(r.out).toContain(`input   image float32 [1, 1, 28, 28] <- ${path.join(dir, 'digit.npy')}`);
    expect(r.out).toMatch(/run {5}\d+\.\d ms \(first\)\n {8}\d+\.\d\d ms mean, \d+\.\d\d min, \d+\.\d\d max over 3 runs/);
    expect(r.out).toContain('output 0 save_infer_model/scale_0.tmp_4 float32 [1, 10]');
    expect(r.out).toContain('argmax (last axis) [3]');
    const c = manifest(MNIST).find((x) => x.name === 'infer3_png')!;
    const written = readNpy(path.join(outDir, 'save_infer_model_scale_0.tmp_4.npy'));
    expect(written.shape).toEqual([1, 10]);
    expect(agreement(written.data as Float32Array, refData(MNIST, c.outputs[0]!) as Float32Array).maxRelError).toBeLessThan(1e-4);
  });

  it('takes unnamed inputs in feed order, fills inputs, prints JSON', () => {
    const r = capture(['--model', CIFAR, '--fill', '1', '--shape', 'pixel=1,3,32,32', '--json', '--print', '3']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.inputs).toEqual(['pixel float32 [1, 3, 32, 32] <- filled with 1']);
    expect(j.outputs[0].name).toBe('fc_0.tmp_2');
    expect(j.outputs[0].first).toHaveLength(3);
    const want = refData(CIFAR, manifest(CIFAR).find((x) => x.name === 'ones_b1')!.outputs[0]!) as Float32Array;
    expect(j.outputs[0].argmaxLastAxis).toEqual([want.indexOf(Math.max(...want))]);
    const r2 = capture(['--model', MNIST, '--input', path.join(dir, 'digit.npy')]);
    expect(r2.code).toBe(0);
    expect(r2.out).toContain('argmax (last axis) [3]');
  });

  it('--profile prints the time per operator type of the repeated runs (or of the only run), in text and JSON', () => {
    const r = capture(['--model', MNIST, '--input', path.join(dir, 'digit.npy'), '--repeat', '2', '--profile']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/profile \(2 runs after the first\)\nop +calls +total ms +min ms +max ms +mean ms +ratio\n/);
    expect(r.out).toMatch(/\nfc +6 /);
    expect(r.out).toMatch(/\nall operators +10 +\d+\.\d{3} +100\.0%\n$/);
    const j = JSON.parse(capture(['--model', MNIST, '--input', path.join(dir, 'digit.npy'), '--profile', '--json']).out);
    expect(Object.fromEntries(j.profile.map((p: { op: string; calls: number }) => [p.op, p.calls]))).toEqual({ fc: 3, softmax: 1, scale: 1 });
  });

  it('reports usage errors with exit code 2 and model errors with exit code 1', () => {
    expect(capture([]).err).toContain('oar-infer: --model is required');
    expect(capture([]).code).toBe(2);
    expect(capture(['--model', MNIST, '--bogus']).code).toBe(2);
    const noInput = capture(['--model', MNIST]);
    expect(noInput.code).toBe(2);
    expect(noInput.err).toContain('no input for "image" (declared float32 [-1, 1, 28, 28]); pass --input image=file.npy or --fill');
    const free = capture(['--model', MNIST, '--fill', '0']);
    expect(free.err).toContain('input "image" has free extents [-1, 1, 28, 28]; give them with --shape image=...');
    const wrong = capture(['--model', MNIST, '--input', `label=${path.join(dir, 'digit.npy')}`]);
    expect(wrong.err).toContain('the model has no input "label"; inputs: image');
    const missing = capture(['--model', path.join(dir, 'nothing-here')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toBe(`oar-infer: ${path.join(dir, 'nothing-here')}: no such file or folder\n`);
    expect(capture(['--help']).out).toContain('Usage: oar-infer --model');
  });

  it('runs as a process from the command line', () => {
    const cli = path.join(__dirname, '..', '..', 'src', 'cli', 'infer.ts');
    const res = spawnSync(process.execPath, ['--import', 'tsx', cli, '--model', MNIST, '--input', path.join(dir, 'digit.npy')], {
      encoding: 'utf8',
      cwd: path.join(__dirname, '..', '..', '..', '..'),
      env: { ...process.env, OAR_NUM_THREADS: '1' },
      timeout: 120_000,
    });
    expect(res.stderr.replace(/\[oar\] OpenBLAS not found[^\n]*\n/, '')).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('argmax (last axis) [3]');
  });
});
