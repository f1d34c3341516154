import { memory, seed, tensor, tidy, type Tensor } from '@oar/core';
import { DQN, DQNAgent, MLPModel } from '../../src';

/** An agent whose greedy action is always 0: the last layer outputs the constant [1, 0]. */
function constantAgent(eGreed: number, eGreedDecrement: number, eGreedMin: number): DQNAgent {
  const model = new MLPModel(4, 2, [8]);
  tidy(() => {
    const own = model.stateDict();
    model.setStateDict(
      new Map([
        ['fc1.weight', own.get('fc1.weight')!],
        ['fc1.bias', own.get('fc1.bias')!],
        ['fc2.weight', tensor(new Float32Array(16), { shape: [8, 2] })],
        ['fc2.bias', tensor([1, 0])],
      ]),
    );
  });
  const alg = new DQN(model, { gamma: 0.99, lr: 1e-3, targetUpdateSteps: 10 });
  return new DQNAgent(alg, { obsDim: 4, actDim: 2, eGreed, eGreedDecrement, eGreedMin });
}

const obs = [0.01, -0.02, 0.03, 0.04];

describe('DQNAgent exploration', () => {
  test('ε decays linearly by e_greed_decrement per sample and stops at e_greed_min', () => {
    seed(1);
    const agent = constantAgent(0.1, 0.01, 0.03);
    const seen: number[] = [];
    for (let i = 0; i < 10; i++) {
      agent.sample(obs);
      seen.push(agent.eGreed);
    }
    const want = [0.09, 0.08, 0.07, 0.06, 0.05, 0.04, 0.03, 0.03, 0.03, 0.03];
    seen.forEach((e, i) => expect(e).toBeCloseTo(want[i]!, 12));
  });

  test('with probability ε the action is uniformly random, else greedy', () => {
    seed(2);
    const n = 20000;
    for (const eps of [0, 0.1, 0.5, 1]) {
      const agent = constantAgent(eps, 0, 0);
      let ones = 0;
      for (let i = 0; i < n; i++) ones += agent.sample(obs);
      // Greedy is 0; a random action is 1 half the time, so 1s come with probability ε/2.
      const p = eps / 2;
      expect(Math.abs(ones / n - p)).toBeLessThanOrEqual(4 * Math.sqrt((p * (1 - p)) / n) + 1e-12);
    }
  });

  test("exploration repeats under the core's seed", () => {
    const run = (): number[] => {
      seed(9);
      const agent = constantAgent(0.5, 0, 0);
      return Array.from({ length: 200 }, () => agent.sample(obs));
    };
    expect(run()).toEqual(run());
  });

  test('predict is the argmax of the Q-network, whatever ε', () => {
    seed(3);
    const agent = constantAgent(1, 0, 1);
    const model = agent.alg.model;
    for (let i = 0; i < 20; i++) {
      const o = [Math.sin(i), Math.cos(i), i / 10, -i / 7];
      const q = tidy(() => Array.from((model.call(tensor([o])) as Tensor).dataSync() as Float32Array));
      expect(agent.predict(o)).toBe(q[0]! >= q[1]! ? 0 : 1);
    }
    expect(Array.from(agent.predictBatch(new Float32Array(8).fill(0.1), 2))).toEqual([0, 0]);
  });

  test('an observation of the wrong shape is one clear error; no tensor is left behind', () => {
    seed(4);
    const agent = constantAgent(0.1, 0, 0);
    const before = memory().numTensors;
    expect(() => agent.sample([1, 2, 3])).toThrow('DQNAgent.sample: observation of shape [3] does not fit the observation space: expected shape [4]');
    expect(() => agent.predict(new Float32Array(5))).toThrow('DQNAgent.predict: observation of shape [5]');
    expect(() => agent.predict('abcd' as unknown as number[])).toThrow('an observation must be an array or typed array of 4 numbers, got "abcd"');
    for (let i = 0; i < 50; i++) agent.sample(obs);
    expect(memory().numTensors).toBe(before);
  });

  test('bad schedules are refused', () => {
    expect(() => constantAgent(1.5, 0, 0)).toThrow('eGreed must be in [0, 1], got 1.5');
    expect(() => constantAgent(0.1, 0, 0.2)).toThrow('eGreedMin must be in [0, eGreed = 0.1], got 0.2');
  });
});
