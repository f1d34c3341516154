import { engine } from '../../engine/engine';
import { registerKernel } from '../../kernels/registry';
import { CpuBackend } from './backend';
import { CPU_KERNELS } from './kernels';

let done = false;

/** Registers the CPU backend and its kernels (idempotent; @oar/core calls it on import). */
export function registerCpuBackend(): void {
  if (done) return;
  done = true;
  const backend = new CpuBackend();
  engine.registerBackend('cpu', () => backend);
  for (const [type, fn] of Object.entries(CPU_KERNELS)) registerKernel('cpu', type, fn);
}
