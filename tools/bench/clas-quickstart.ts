/**
 * Training speed of the clas quick-start model (`nx run clas:train`'s default config: PaddleClas
 * ResNet18, 1 input channel, 10 classes, stride_list [1, 2, 2, 2, 2], batch 64 of 28x28, AdamW,
 * label smoothing 0.1) beside PyTorch running the same network in the same process tree.
 *
 *   npx tsx tools/bench/clas-quickstart.ts [--threads 2] [--steps 10] [--out path.json]
 *
 * Random inputs (data loading is not timed); median milliseconds per step, images/s, ratio.
 */
import './thread-env'; // first: thread counts before @oar/core loads its libraries
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as oar from '@oar/core';
import { BACKBONES } from '@oar/clas';

const argv = process.argv.slice(2);
const opt = (k: string, d: string): string => (argv.includes(k) ? argv[argv.indexOf(k) + 1]! : d);
const threads = Number(opt('--threads', '2'));
const steps = Number(opt('--steps', '10'));
const out = path.resolve(opt('--out', path.join(__dirname, '../../output/bench/clas-quickstart.json')));
const BATCH = 64;

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

function oarSteps(): number[] {
  oar.seed(0);
  const model = BACKBONES.ResNet18!({ class_num: 10, input_image_channel: 1, stride_list: [1, 2, 2, 2, 2] });
  const optim = new oar.optim.AdamW({ learningRate: 0.002, weightDecay: 0.05, parameters: model.parameters() });
  const x = oar.randn([BATCH, 1, 28, 28]);
  const y = oar.randint(0, 10, [BATCH, 1]);
  const step = (): void => {
    oar.tidy(() => {
      const logits = model.call(x) as oar.Tensor;
      oar.nn.functional.crossEntropy(logits, y, { labelSmoothing: 0.1 }).backward();
      optim.step();
      optim.clearGrad();
    });
  };
  for (let i = 0; i < 3; i++) step();
  const ms: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = process.hrtime.bigint();
    step();
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return ms;
}

const oarMs = oarSteps();
const py = spawnSync(process.env.OAR_BENCH_PYTHON ?? '/usr/bin/python3', [path.join(__dirname, 'clas_quickstart_torch.py'), '--threads', String(threads), '--steps', String(steps)], {
  encoding: 'utf8',
});
const torch = py.status === 0 ? (JSON.parse(py.stdout) as { available: boolean; torch_version?: string; ms?: number[] }) : { available: false };
const o = median(oarMs);
const t = torch.available && torch.ms ? median(torch.ms) : null;
const ips = (ms: number): string => ((BATCH * 1000) / ms).toFixed(1);
process.stdout.write(
  `clas quick-start training step (batch ${BATCH}, 28x28), ${threads} thread(s), oneDNN ${oar.dnnlInfo()?.version ?? 'none'}\n\n` +
    '| side    | ms/step | images/s |\n|---------|--------:|---------:|\n' +
    `| Oar     | ${o.toFixed(0)} | ${ips(o)} |\n` +
    (t !== null ? `| PyTorch | ${t.toFixed(0)} | ${ips(t)} |\n\nratio (Oar speed / PyTorch speed): ${(t / o).toFixed(2)}x\n` : `\nPyTorch unavailable: ${py.stderr || 'no torch'}\n`),
);
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ threads, batch: BATCH, oarMs, torch, ratio: t !== null ? t / o : null }, null, 2));
process.exit(0);
