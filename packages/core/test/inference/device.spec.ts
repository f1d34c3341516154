// The Predictor on a device other than the CPU, without a GPU: an `xpu` backend whose buffers are
// host arrays and whose kernels are the CPU's. What it checks is placement: parameters, the
// parameters IR passes make, the outputs of ops without tensor inputs (fill_constant) and the
// fetched results all live on xpu:0, and nothing the run makes is left on the CPU.
import { allocArray, engine, memory, type Backend } from '../../src';
import { getKernel, registeredKernels, registerKernel } from '../../src/kernels/registry';
import { Config, createPredictor } from '../../src/inference';
import { FILL, SIMPLE, agreement, manifest, refData } from '../static/helpers';

// Reads go through the CPU backend, which turns oneDNN's blocked layouts back into plain arrays.
const host: Backend = {
  kind: 'xpu',
  device: 'xpu:0',
  alloc: (d, n) => allocArray(d, n),
  fromArray: (_d, a) => a.slice(),
  read: (b, d, n) => engine.backend('cpu').read(b, d, n),
  free: () => undefined,
  synchronize: () => undefined,
};

beforeAll(() => {
  engine.registerBackend('xpu', () => host);
  for (const op of registeredKernels('cpu')) registerKernel('xpu', op, getKernel('cpu', op)!);
});

describe.each([
  ['conv2d + batch_norm + relu, IR passes folding the statistics into new parameters', SIMPLE],
  ['fill_constant (an op without tensor inputs)', FILL],
])('Predictor on xpu:0: %s', (_what, model) => {
  for (const ir of [true, false]) {
    it(`keeps every tensor on xpu:0 and matches the reference (IR optimization ${ir ? 'on' : 'off'})`, () => {
      const cpuBefore = memory().devices.cpu?.tensors ?? 0;
      const c = new Config(model);
      c.enableXpu(0);
      c.switchIrOptim(ir);
      const p = createPredictor(c);
      for (const rc of manifest(model)) {
        for (const t of rc.inputs) {
          const h = p.getInputHandle(p.getInputNames()[t.col ?? 0]!);
          h.reshape(t.shape);
          h.copyFromCpu(refData(model, t));
        }
        p.run();
        for (const t of rc.outputs) {
          const out = p.getOutputHandle(p.getOutputNames()[t.col ?? 0]!);
          expect(agreement(out.copyToCpu() as Float32Array, refData(model, t)).maxRelError).toBeLessThan(1e-4);
        }
      }
      expect(memory().devices.cpu?.tensors ?? 0).toBe(cpuBefore);
      expect(memory().devices['xpu:0']!.tensors).toBeGreaterThan(0);
      p.dispose();
    });
  }
});
