/**
 * Every registered clas architecture exported with jit.save as a Paddle inference model. One or
 * two members of each family make the whole round trip: random weights (batch-norm statistics
 * included), `.pdmodel` + `.pdiparams` written, loaded with the Predictor, outputs compared with
 * the live model. Every other registered name exports its program (built with zero weights, which
 * cost no random draws; the program does not depend on the values) with a fixed batch of 1 (one
 * traced pass instead of two), and the program is checked against the model: feed and fetch
 * shapes, and each persistable variable a parameter of the model with its shape.
 *
 * Inputs are 32x32 (64x64 for GoogLeNet, whose pools need it). VGG's classifier takes 7·7·512
 * features, which only a 224-pixel input gives; its three fully connected layers are rebuilt at
 * 32x32's size (512 → 64 → 64 → classes), keeping the rest of the architecture.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { InputSpec, engine, framework, inference, jit, nn, tensor, type Tensor } from '@oar/core';
import { BACKBONES } from '../src/arch/backbones';
import { withConstantInit, withFastInit } from './arch/backbone-checks';

const CLASSES = 7;

/** The members of each family that make the full round trip. */
const ROUND_TRIP = ['VGG11', 'ResNet18', 'ResNet50_vd', 'GoogLeNet', 'MobileNetV3_small_x1_0', 'MobileNetV3_large_x0_5', 'HRNet_W18_C'];

const sideOf = (name: string): number => (name === 'GoogLeNet' ? 64 : 32);

function build(name: string): nn.Layer {
  const model = nn.uniqueName.guard(() => BACKBONES[name]!({ class_num: CLASSES }));
  if (name.startsWith('VGG')) {
    const vgg = model as nn.Layer & { fc1: nn.Linear; fc2: nn.Linear; fc3: nn.Linear };
    for (const l of [vgg.fc1, vgg.fc2, vgg.fc3]) l.dispose();
    vgg.fc1 = new nn.Linear(512, 64);
    vgg.fc2 = new nn.Linear(64, 64);
    vgg.fc3 = new nn.Linear(64, CLASSES);
  }
  return model;
}

/** A deterministic input in [-1, 1]. */
function input(n: number, side: number): Tensor {
  return tensor(Float32Array.from({ length: n * 3 * side * side }, (_, i) => Math.sin(i * 0.731) * Math.cos(i * 0.113)), { shape: [n, 3, side, side] });
}

/** Batch-norm running statistics away from their initial 0 / 1, so the test sees them used. */
function randomizeStatistics(model: nn.Layer): void {
  const state = new Map<string, Tensor>();
  let k = 1;
  for (const [key, t] of model.stateDict()) {
    if (!key.endsWith('._mean') && !key.endsWith('._variance')) continue;
    const v = new Float32Array(t.size);
    for (let i = 0; i < v.length; i++) v[i] = key.endsWith('._mean') ? 0.1 * Math.sin(k++) : 0.75 + 0.5 * Math.abs(Math.cos(k++));
    state.set(key, tensor(v, { shape: t.shape }));
  }
  model.setStateDict(state, { strict: false });
  for (const t of state.values()) t.dispose();
}

const { compareNames, decodeProgram, persistableVars } = framework;

function checkProgram(p: framework.ProgramDesc, model: nn.Layer, side: number, batch = -1): void {
  const b = p.blocks[0]!;
  const feeds = b.ops.filter((o) => o.type === 'feed');
  const fetches = b.ops.filter((o) => o.type === 'fetch');
  expect(feeds).toHaveLength(1);
  expect(fetches).toHaveLength(1);
  expect(b.vars.get(feeds[0]!.outputs.Out![0]!)!.dims).toEqual([batch, 3, side, side]);
  expect(b.vars.get(fetches[0]!.inputs.X![0]!)!.dims).toEqual([batch, CLASSES]);
  const params = new Map(model.parameters().map((t) => [t.name, t.shape]));
  const persist = persistableVars(b);
  expect(persist.length).toBeGreaterThan(0);
  for (const v of persist) expect([v.name, v.dims]).toEqual([v.name, params.get(v.name)]);
  expect(b.ops.filter((o) => o.attrs.is_test !== undefined).every((o) => o.attrs.is_test!.value === true)).toBe(true);
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oar-clas-export-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('jit.save of every clas architecture', () => {
  it('covers every registered name and every family', () => {
    const families = (names: string[]): string[] => [...new Set(names.map((n) => n.replace(/^SE_/, '').replace(/[\d_].*$/, '')))].sort();
    expect(families(ROUND_TRIP)).toEqual(families(Object.keys(BACKBONES)));
    for (const n of ROUND_TRIP) expect(BACKBONES[n]).toBeDefined();
  });

  it.each(ROUND_TRIP)('%s: export, load with the Predictor, same outputs as the live model', (name) => {
    const side = sideOf(name);
    const model = withFastInit(() => build(name));
    randomizeStatistics(model);
    const prefix = path.join(dir, name, 'inference');
    const x = input(2, side);
    try {
      jit.save(model, prefix, [new InputSpec([null, 3, side, side], 'float32', 'x')]);
      expect(model.training).toBe(true);
      checkProgram(decodeProgram(new Uint8Array(fs.readFileSync(`${prefix}.pdmodel`))), model, side);

      model.eval();
      const want = engine.noGrad(() => engine.tidy(() => (model.call(x) as Tensor).dataSync() as Float32Array));
      const predictor = inference.createPredictor(new inference.Config(path.dirname(prefix)));
      const h = predictor.getInputHandle('x');
      h.reshape([2, 3, side, side]);
      h.copyFromCpu(x.dataSync());
      predictor.run();
      const got = predictor.getOutputHandle(predictor.getOutputNames()[0]!).copyToCpu() as Float32Array;
      predictor.dispose();
      expect(got.length).toBe(2 * CLASSES);
      let diff = 0;
      let scale = 0;
      for (let i = 0; i < got.length; i++) {
        diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
        scale = Math.max(scale, Math.abs(want[i]!));
      }
      expect(scale).toBeGreaterThan(0);
      expect(diff / scale).toBeLessThan(1e-5);
    } finally {
      x.dispose();
      model.dispose();
      fs.rmSync(path.join(dir, name), { recursive: true, force: true });
    }
  });

  const programOnly = Object.keys(BACKBONES)
    .filter((n) => !ROUND_TRIP.includes(n))
    .sort(compareNames);
  it.each(programOnly)('%s: exports its program', (name) => {
    const side = sideOf(name);
    const model = withConstantInit(() => build(name));
    const prefix = path.join(dir, 'programs', name);
    try {
      // A fixed batch: one traced pass instead of two (the free batch is covered above, per family).
      const r = jit.save(model, prefix, [new InputSpec([1, 3, side, side])], { programOnly: true });
      expect(r.paramsFile).toBeUndefined();
      checkProgram(decodeProgram(new Uint8Array(fs.readFileSync(r.modelFile))), model, side, 1);
    } finally {
      model.dispose();
      fs.rmSync(`${prefix}.pdmodel`, { force: true });
    }
  });
});
