/**
 * Paddle's `unique_name`: per-prefix counters that give layers their full names (`linear_0`) and
 * parameters theirs (`linear_0.w_0`). The counters are process-wide, like Paddle's, so two
 * models built one after the other get distinct parameter names.
 */
import { globalSingleton } from '../utils/global';

interface NameState {
  counters: Map<string, number>;
}

const state: NameState = globalSingleton('nn.uniqueName', () => ({ counters: new Map<string, number>() }));

/** `key_N`, where N counts earlier calls with the same key. */
export function generate(key: string): string {
  const n = state.counters.get(key) ?? 0;
  state.counters.set(key, n + 1);
  return `${key}_${n}`;
}

/** Runs `fn` with fresh counters and restores the previous ones afterwards (Paddle's `guard`). */
export function guard<T>(fn: () => T): T {
  const saved = state.counters;
  state.counters = new Map();
  try {
    return fn();
  } finally {
    state.counters = saved;
  }
}

/** Paddle's class-name → name-scope rule: `BatchNorm2D` → `batch_norm2d`, `Conv2D` → `conv2d`. */
export function camelToSnake(name: string): string {
  const s1 = name.replace(/(.)([A-Z][a-z]+)/g, '$1_$2');
  return s1.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}
