/**
 * The core example: trains a small CNN on the scikit-learn digits and prints the held-out
 * accuracy. Run with `npx nx run core:train-digits` (or `npx tsx packages/core/examples/train-digits.ts`).
 */
import { blasInfo } from '@oar/core';
import { trainDigits } from './digits';

const t0 = Date.now();
console.log(`Oar core example: CNN on scikit-learn digits (BLAS: ${blasInfo() ?? 'none, TypeScript kernels'})`);
const { accuracy } = trainDigits({
  onEpoch: (epoch, loss, acc) =>
    console.log(`epoch ${epoch}  loss ${loss.toFixed(4)}  held-out accuracy ${(acc * 100).toFixed(2)}%  (${((Date.now() - t0) / 1000).toFixed(1)} s)`),
});
console.log(`final held-out accuracy ${(accuracy * 100).toFixed(2)}% on 360 digits`);
