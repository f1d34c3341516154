import * as fs from 'fs';
import * as path from 'path';
import { dispose, memory } from '../../src';
import { PickleError, loads } from '../../src/io';
import { FIXTURES, prng } from './helpers';

/**
 * Damaged checkpoints: random truncations, byte flips, overwritten runs and inserted bytes of real
 * files. Each load must either succeed or throw a PickleError whose message names the file and a
 * byte offset inside it; never another exception, a hang, or a tensor left allocated.
 */
describe('io fuzz: damaged files give only clear errors', () => {
  const files = ['mixed.pdparams', 'adam.pdopt', 'small_p0.pkl', 'small_p4.pkl', 'py2.pdparams', 'paddle21.pdparams'];

  for (const file of files) {
    it(`${file}: 1000 random mutations`, () => {
      const good = new Uint8Array(fs.readFileSync(path.join(FIXTURES, file)));
      const rand = prng(0x5eed ^ good.length);
      const int = (n: number): number => Math.floor(rand() * n);
      const before = memory().numTensors;
      const stats = { ok: 0, errors: 0 };
      for (let iter = 0; iter < 1000; iter++) {
        let bytes: Uint8Array;
        const kind = iter % 4;
        if (kind === 0) {
          bytes = good.slice(0, int(good.length));
        } else if (kind === 1) {
          bytes = good.slice();
          for (let k = 1 + int(4); k > 0; k--) bytes[int(bytes.length)] ^= 1 << int(8);
        } else if (kind === 2) {
          bytes = good.slice();
          const at = int(bytes.length);
          for (let k = 0; k < 1 + int(8) && at + k < bytes.length; k++) bytes[at + k] = int(256);
        } else {
          const at = int(good.length);
          const ins = Uint8Array.from({ length: 1 + int(3) }, () => int(256));
          bytes = new Uint8Array(good.length + ins.length);
          bytes.set(good.subarray(0, at));
          bytes.set(ins, at);
          bytes.set(good.subarray(at), at + ins.length);
        }
        try {
          // Every tenth run goes all the way to tensors; the others stop at host arrays.
          const v = loads(bytes, { name: 'fuzz.pdparams', returnNumpy: iter % 10 !== 0 });
          dispose(v);
          stats.ok++;
        } catch (e) {
          stats.errors++;
          if (!(e instanceof PickleError)) {
            throw new Error(`mutation ${iter} (kind ${kind}) of ${file} threw ${(e as Error)?.name}: ${(e as Error)?.message}`);
          }
          expect(e.message.startsWith(`fuzz.pdparams: byte ${e.offset}: `)).toBe(true);
          expect(e.offset).toBeGreaterThanOrEqual(0);
          expect(e.offset).toBeLessThanOrEqual(bytes.length);
        }
      }
      expect(memory().numTensors).toBe(before);
      // Truncations must all fail; the mix must exercise both outcomes.
      expect(stats.errors).toBeGreaterThan(250);
    });
  }
});
