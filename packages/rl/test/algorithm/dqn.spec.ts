import { memory, seed, tensor, tidy, type Tensor } from '@oar/core';
import { DDQN, DQN, MLPModel, ReplayMemory, type Batch, type Model } from '../../src';

const B = 16;

function randomBatch(n = B): Batch {
  const m = new ReplayMemory(n, 4);
  for (let i = 0; i < n; i++) {
    const o = [Math.sin(i), Math.cos(3 * i), Math.sin(5 * i) / 2, Math.cos(i) / 3];
    const next = o.map((v, k) => v + 0.01 * (k + 1));
    m.append(o, i % 2, 1, next, i % 5 === 0);
  }
  return m.sample(n);
}

/** Q values of `model` for the batch's rows of `obs`, as plain arrays. */
function q(model: Model, obs: Float32Array): number[][] {
  return tidy(() => (model.call(tensor(obs, { shape: [obs.length / 4, 4] })) as Tensor).toArray() as number[][]);
}

function weights(model: Model): Map<string, number[]> {
  return new Map([...model.stateDict()].map(([k, t]) => [k, Array.from(t.dataSync() as Float32Array)]));
}

describe('DQN', () => {
  test('learn returns the MSE between Q(s, a) and r + γ(1 − terminal)max Q_target(s′), and moves only the taken actions', () => {
    seed(11);
    const model = new MLPModel(4, 2, [32, 32]);
    const lr = 1e-3;
    const alg = new DQN(model, { gamma: 0.9, lr, targetUpdateSteps: 100 });
    const batch = randomBatch();
    const qs = q(model, batch.obs);
    const qNext = q(alg.targetModel, batch.nextObs);
    const diffs = qs.map((row, i) => {
      const target = batch.reward[i]! + (1 - batch.terminal[i]!) * 0.9 * Math.max(...qNext[i]!);
      return row[batch.action[i]!]! - target;
    });
    const want = diffs.reduce((s, d) => s + d * d, 0) / B;
    const biasBefore = weights(model).get('fc3.bias')!;
    expect(alg.learn(batch)).toBeCloseTo(want, 5);
    // d loss / d bias_a = (2/B) Σ_{i: a_i = a} diff_i; Adam's first step moves each by lr·sign(grad).
    const biasAfter = weights(model).get('fc3.bias')!;
    for (const a of [0, 1]) {
      const g = diffs.reduce((s, d, i) => s + (batch.action[i] === a ? (2 / B) * d : 0), 0);
      expect(biasAfter[a]! - biasBefore[a]!).toBeCloseTo(-lr * Math.sign(g), 6);
    }
    alg.dispose();
    model.dispose();
  });

  test('the target network is synced before every target_update_steps-th learn step, and only then', () => {
    seed(12);
    const model = new MLPModel(4, 2, [16]);
    const alg = new DQN(model, { gamma: 0.99, lr: 1e-2, targetUpdateSteps: 3 });
    const batch = randomBatch();
    const initial = weights(model);
    expect(weights(alg.targetModel)).toEqual(initial); // a copy from the start
    alg.learn(batch);
    const afterOne = weights(model);
    expect(afterOne).not.toEqual(initial);
    alg.learn(batch);
    alg.learn(batch);
    expect(weights(alg.targetModel)).toEqual(initial); // learn steps 1 and 2: no sync
    const afterThree = weights(model);
    alg.learn(batch); // step 3: synced first, then updated
    expect(weights(alg.targetModel)).toEqual(afterThree);
    expect(alg.learnSteps).toBe(4);
    alg.dispose();
    model.dispose();
  });

  test('DDQN values the online argmax with the target network', () => {
    seed(13);
    const model = new MLPModel(4, 3, [16]);
    const alg = new DDQN(model, { gamma: 0.5, lr: 1e-3, targetUpdateSteps: 1000 });
    // Make the target network differ from the model, so the two choices disagree somewhere.
    const other = new MLPModel(4, 3, [16]);
    other.syncWeightsTo(alg.targetModel);
    const m = new ReplayMemory(B, 4);
    for (let i = 0; i < B; i++) m.append([i / 10, -i / 7, i / 20, 0.1], i % 3, 0.5, [i / 9, i / 11, -i / 13, 0.2], false);
    const batch = m.sample(B);
    // Learn step 0 copies the model into the target first: take it, then restore the other weights.
    alg.learn(batch);
    other.syncWeightsTo(alg.targetModel);
    const qs = q(model, batch.obs);
    const online = q(model, batch.nextObs);
    const tgt = q(alg.targetModel, batch.nextObs);
    const want =
      qs.reduce((s, row, i) => {
        const best = online[i]!.indexOf(Math.max(...online[i]!));
        const d = row[batch.action[i]!]! - (0.5 + 0.5 * tgt[i]![best]!);
        return s + d * d;
      }, 0) / B;
    const asDqn = qs.reduce((s, row, i) => s + (row[batch.action[i]!]! - (0.5 + 0.5 * Math.max(...tgt[i]!))) ** 2, 0) / B;
    expect(Math.abs(want - asDqn)).toBeGreaterThan(1e-4); // the test can tell the two apart
    expect(alg.learn(batch)).toBeCloseTo(want, 5);
    for (const x of [alg, model, other]) x.dispose();
  });

  test('live tensors stay flat over many learn steps', () => {
    seed(14);
    const model = new MLPModel(4, 2, [128, 128]);
    const alg = new DDQN(model, { gamma: 0.99, lr: 5e-4, targetUpdateSteps: 7 });
    const batch = randomBatch(32);
    alg.learn(batch); // Adam creates its moments on the first step
    const before = memory();
    for (let i = 0; i < 300; i++) alg.learn(batch);
    const after = memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    alg.dispose();
    model.dispose();
  });

  test('out-of-range settings are refused', () => {
    const model = new MLPModel(4, 2, [4]);
    expect(() => new DQN(model, { gamma: 1.2, lr: 1e-3, targetUpdateSteps: 1 })).toThrow('DQN: gamma must be in [0, 1], got 1.2');
    expect(() => new DQN(model, { gamma: 0.9, lr: 0, targetUpdateSteps: 1 })).toThrow('DQN: lr must be > 0, got 0');
    expect(() => new DDQN(model, { gamma: 0.9, lr: 1e-3, targetUpdateSteps: 0.5 })).toThrow('DDQN: targetUpdateSteps must be a positive integer');
    model.dispose();
  });
});

describe('Model.syncWeightsTo', () => {
  test('decay 0 copies; decay d moves the target to d·target + (1 − d)·source', () => {
    seed(15);
    const a = new MLPModel(4, 2, [8]);
    const b = new MLPModel(4, 2, [8]);
    const wa = weights(a);
    const wb = weights(b);
    a.syncWeightsTo(b, 0.25);
    for (const [k, v] of weights(b)) v.forEach((x, i) => expect(x).toBeCloseTo(0.25 * wb.get(k)![i]! + 0.75 * wa.get(k)![i]!, 6));
    a.syncWeightsTo(b);
    expect(weights(b)).toEqual(wa);
    expect(() => a.syncWeightsTo(b, 1)).toThrow('decay must be in [0, 1), got 1');
  });
});
