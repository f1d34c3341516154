import { memory } from '../src';
import { trainDigits } from '../examples/digits';

// Learning on real data: the digits CNN must generalise to the held-out 20%.
describe('learning on scikit-learn digits', () => {
  it('a small CNN reaches at least 0.95 held-out accuracy, with flat memory', () => {
    const before = memory().numTensors;
    const seen: number[] = [];
    const { accuracy, model, optimizer } = trainDigits({ onEpoch: () => seen.push(memory().numTensors) });
    expect(accuracy).toBeGreaterThanOrEqual(0.95);
    // Live tensors are the same after every epoch: nothing accumulates across steps.
    expect(new Set(seen).size).toBe(1);
    model.dispose();
    optimizer.dispose();
    expect(memory().numTensors).toBe(before);
  }, 300000);
});
