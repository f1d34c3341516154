/**
 * Opening one CUDA library and declaring its functions through koffi, once per process. Never
 * throws: a missing library or symbol comes back as `ok: false` with the reason, so callers can
 * report it in their own words (see runtime/available for the driver).
 */
import type * as Koffi from 'koffi';
import { openLibrary, type Candidate, type CudaLibrary, type DiscoveryOptions } from './discovery';

export type RawFn = (...args: unknown[]) => number;
/** The declared functions; one listed as optional is absent when the library lacks it. */
export type RawFunctions<S extends Record<string, string>> = Record<keyof S, RawFn>;

export type Declared<S extends Record<string, string>> =
  | { ok: true; raw: RawFunctions<S>; candidate: Candidate; koffi: typeof Koffi }
  | { ok: false; reason: string };

const cache = new Map<CudaLibrary, Declared<Record<string, string>>>();

/**
 * Loads `library` and declares every signature of `signatures` (a C prototype per function).
 * A function named in `optional` may be missing (older library versions); the others must exist.
 */
export function declareLibrary<S extends Record<string, string>>(
  library: CudaLibrary,
  signatures: S,
  optional: readonly (keyof S)[] = [],
  opts: DiscoveryOptions = {},
): Declared<S> {
  const hit = cache.get(library);
  if (hit) return hit as Declared<S>;
  const result = ((): Declared<S> => {
    let koffi: typeof Koffi;
    try {
      koffi = require('koffi');
    } catch (e) {
      return { ok: false, reason: `koffi, which @oar/xpu-backend uses to reach CUDA, did not load: ${(e as Error).message}` };
    }
    const opened = openLibrary(library, (p) => koffi.load(p), opts);
    if (!opened.ok) return { ok: false, reason: opened.message };
    try {
      const raw = {} as RawFunctions<S>;
      for (const [name, sig] of Object.entries(signatures)) {
        try {
          raw[name as keyof S] = opened.handle.func(sig) as RawFn;
        } catch (e) {
          if (!optional.includes(name)) throw e;
        }
      }
      return { ok: true, raw, candidate: opened.candidate, koffi };
    } catch (e) {
      return { ok: false, reason: `${opened.candidate.path} lacks a function Oar needs: ${(e as Error).message}` };
    }
  })();
  cache.set(library, result as Declared<Record<string, string>>);
  return result;
}
