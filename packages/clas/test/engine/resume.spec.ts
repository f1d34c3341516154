/**
 * Resume after a kill: a training run in a child process is killed (SIGKILL) in the middle of
 * epoch 2, after epoch 1's checkpoint; training resumes from it with Global.checkpoints and
 * must continue exactly where it stopped: same epoch, global step, learning rate, optimizer
 * state and data order, ending with the weights of an uninterrupted run.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { io, type Tensor } from '@oar/core';
import { loadConfig } from '../../src/config';
import { Engine } from '../../src/engine';
import { registerTinyNet, tinyConfig } from './fixtures';

registerTinyNet();

const ROOT = path.resolve(__dirname, '../../../..');
const CHILD = path.join(__dirname, 'train-child.ts');

let dir: string;
let cfgFile: string;
const quiet = { progress: false, write: () => undefined };
// 1200 images in batches of 32: 38 iterations per epoch.
const STEPS = 38;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oar-resume-'));
  cfgFile = tinyConfig(dir, { nTrain: 1200, nTest: 300, epochs: 3, printBatchStep: 1 });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Starts training in a child process and kills it once it is `killAt` into epoch 2. */
function trainAndKill(outDir: string, killAt: string): Promise<{ stdout: string; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    // node with tsx's loader, not the tsx wrapper: the kill must reach the training process itself.
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, '-c', cfgFile, '-o', `Global.output_dir=${outDir}`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
      if (stdout.includes(killAt)) child.kill('SIGKILL');
    });
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ stdout, signal });
      else reject(new Error(`the child exited (${code}) before it was killed:\n${stdout}\n${stderr}`));
    });
  });
}

function values(file: string): Record<string, number[]> {
  const d = io.loadStateDict(file);
  const out: Record<string, number[]> = {};
  for (const [k, t] of Object.entries(d)) {
    out[k] = (t as Tensor).toFlatArray();
    (t as Tensor).dispose();
  }
  return out;
}

function maxAbsDiff(a: Record<string, number[]>, b: Record<string, number[]>): number {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  let m = 0;
  for (const k of Object.keys(a)) a[k]!.forEach((v, i) => (m = Math.max(m, Math.abs(v - b[k]![i]!))));
  return m;
}

test('a run killed mid-epoch resumes from its last checkpoint and ends as an uninterrupted run', async () => {
  // The reference: three epochs without interruption.
  const refOut = path.join(dir, 'ref');
  const ref = new Engine(loadConfig(cfgFile, [`Global.output_dir=${refOut}`]), 'train', quiet);
  await ref.train();
  ref.close();

  // The interrupted run: killed 10 iterations into epoch 2.
  const out = path.join(dir, 'killed');
  const { stdout } = await trainAndKill(out, `[Train][Epoch 2/3][Iter: 10/${STEPS}]`);
  expect(stdout).toContain(`saved ${path.join(out, 'TinyNet', 'latest')}`);
  const arch = path.join(out, 'TinyNet');
  expect(fs.readdirSync(arch).filter((f) => f.startsWith('epoch_2'))).toEqual([]);
  const states = io.load(path.join(arch, 'latest.pdstates')) as Record<string, unknown>;
  expect(states).toMatchObject({ epoch: 1, global_step: STEPS });
  const savedOpt = io.load(path.join(arch, 'latest.pdopt'), { returnNumpy: true }) as Record<string, unknown>;
  const sched = savedOpt.LR_Scheduler as { last_epoch: number; last_lr: number };
  expect(sched.last_epoch).toBe(STEPS);
  // The killed run logged steps of epoch 2 to metrics.jsonl after the checkpoint.
  const before = fs.readFileSync(path.join(arch, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; split: string });
  expect(Math.max(...before.map((r) => r.step))).toBeGreaterThan(STEPS);

  // Resume.
  const engine = new Engine(loadConfig(cfgFile, [`Global.output_dir=${out}`, `Global.checkpoints=${path.join(arch, 'latest')}`]), 'train', quiet);
  engine.prepareTraining();
  expect(engine.startEpoch).toBe(2);
  expect(engine.globalStep).toBe(STEPS);
  expect(engine.optimizer!.getLr()).toBe(sched.last_lr);
  expect(engine.lrScheduler!.lastEpoch).toBe(STEPS);
  // The velocities come back from the .pdopt (they are created from it on the first step).
  const velocity = Object.keys(savedOpt).filter((k) => k.endsWith('_velocity_0'));
  expect(velocity.length).toBe(engine.model.parameters().filter((p) => !p.stopGradient).length);
  // train() prepares again from the same checkpoint.
  const r = await engine.train();
  const resumedOpt = engine.optimizer!.stateDict();
  engine.close();
  expect(r.epoch).toBe(3);
  expect(r.globalStep).toBe(3 * STEPS);

  // Same end as the uninterrupted run: weights, optimizer state and learning rate.
  const diff = maxAbsDiff(values(path.join(arch, 'latest.pdparams')), values(path.join(refOut, 'TinyNet', 'latest.pdparams')));
  expect(diff).toBeLessThan(1e-6);
  const refOpt = io.load(path.join(refOut, 'TinyNet', 'latest.pdopt'), { returnNumpy: true }) as Record<string, unknown>;
  expect(Object.keys(resumedOpt).sort()).toEqual(Object.keys(refOpt).filter((k) => k !== 'StructuredToParameterName@@').sort());
  expect((refOpt.LR_Scheduler as { last_epoch: number }).last_epoch).toBe(3 * STEPS);
  const st = io.load(path.join(arch, 'latest.pdstates')) as Record<string, unknown>;
  const refSt = io.load(path.join(refOut, 'TinyNet', 'latest.pdstates')) as Record<string, unknown>;
  expect(st).toEqual(refSt);

  // metrics.jsonl: the killed run's records after the checkpoint are gone, each step appears once.
  const recs = fs.readFileSync(path.join(arch, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; split: string });
  const trainSteps = recs.filter((x) => x.split === 'train').map((x) => x.step);
  expect(trainSteps).toEqual(Array.from({ length: 3 * STEPS }, (_, i) => i + 1));
  expect(recs.filter((x) => x.split === 'eval').map((x) => x.step)).toEqual([STEPS, 2 * STEPS, 3 * STEPS]);
}, 240_000);
