import { fmtShape, type Shape } from '../tensor/shape';

/** An operator was called with inputs or attributes it cannot take. Names the operator. */
export class OpError extends Error {
  constructor(
    readonly op: string,
    message: string,
  ) {
    super(`${op}: ${message}`);
    this.name = 'OpError';
  }
}

/** Throws an OpError unless `cond` holds. */
export function check(cond: unknown, op: string, message: string | (() => string)): asserts cond {
  if (!cond) throw new OpError(op, typeof message === 'string' ? message : message());
}

export function shapeMismatch(op: string, slot: string, expected: string, got: Shape): OpError {
  return new OpError(op, `input ${slot} must be ${expected}, got shape ${fmtShape(got)}`);
}
