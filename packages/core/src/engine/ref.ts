import type { Engine } from './engine';
import { globalSingleton } from '../utils/global';

// Breaks the import cycle Tensor -> Engine -> Tensor: the engine installs itself here.
const slot = globalSingleton<{ engine: Engine | null }>('engineSlot', () => ({ engine: null }));

export function engineRef(): Engine {
  if (!slot.engine) throw new Error('@oar/core engine is not initialised (import "@oar/core" first)');
  return slot.engine;
}

export function installEngine(e: Engine): void {
  slot.engine ??= e;
}
