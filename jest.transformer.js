// @swc/jest, plus one line that binds a few globals as module-level constants.
//
// Why: jest runs every module inside a vm context, where each read of a global (Math, Number,
// Infinity, NaN) goes through the context's interceptor, measured here at ~0.4 µs per read:
// 20x slower than a plain Node lookup. Kernels read `Math.floor` and friends per element, so
// tests ran up to 100x slower than the same code in Node. Binding the globals once per module
// makes every later read a local-variable read. The line is prepended without a newline so
// source maps keep their line numbers; the semantics are unchanged.
const swcJest = require('@swc/jest');

const PRELUDE =
  'const Math = globalThis.Math, Number = globalThis.Number, Infinity = globalThis.Infinity, NaN = globalThis.NaN, BigInt = globalThis.BigInt; ';

function withPrelude(src, filename) {
  if (!/\.ts$/.test(filename) || filename.includes('/node_modules/')) return src;
  return PRELUDE + src;
}

module.exports = {
  createTransformer(opts) {
    const inner = swcJest.createTransformer(opts);
    return {
      ...inner,
      process: (src, filename, o) => inner.process(withPrelude(src, filename), filename, o),
      processAsync: (src, filename, o) => inner.processAsync(withPrelude(src, filename), filename, o),
      getCacheKey: (src, filename, ...rest) => inner.getCacheKey(withPrelude(src, filename), filename, ...rest),
    };
  },
};
