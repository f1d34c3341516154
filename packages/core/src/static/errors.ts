/**
 * Errors of the Paddle model loader and executor. Each names the file (or the op) it is about, so
 * that a damaged download or an unsupported model is diagnosed from the message alone.
 */

/** A program or parameter file whose bytes are not what the format requires (truncated, corrupt). */
export class ModelFormatError extends Error {
  constructor(
    /** The file, as the user named it (or its path inside an archive). */
    readonly file: string,
    /** Byte offset in the file where the problem was found. */
    readonly offset: number,
    /** What was expected there and what was found. */
    readonly detail: string,
  ) {
    super(`${file}: byte ${offset}: ${detail}`);
    this.name = 'ModelFormatError';
  }
}

/**
 * A well-formed program that Oar cannot run as it is: a variable read before anything writes
 * it, an attribute of the wrong kind, a feature Oar does not implement. Names the op.
 */
export class ProgramError extends Error {
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'ProgramError';
  }
}

export interface MissingOp {
  type: string;
  /** How many ops of this type the program has. */
  count: number;
  /** Index (in block 0) of the first of them. */
  first: number;
  /** Why it cannot run: no such operator at all, or no kernel on the chosen device. */
  reason: 'unknown operator' | 'no kernel on device';
}

/** Every operator of a program that Oar cannot run, found before anything runs. */
export class UnsupportedOpsError extends Error {
  constructor(
    readonly file: string,
    readonly missing: MissingOp[],
    readonly device: string,
  ) {
    const list = missing
      .map((m) => `${m.type} (${m.count} op${m.count > 1 ? 's' : ''}, first at #${m.first}${m.reason === 'no kernel on device' ? `, no ${device} kernel` : ''})`)
      .join(', ');
    super(
      `${file}: ${missing.length} operator type${missing.length > 1 ? 's' : ''} of this program cannot run on ${device}: ${list}. ` +
        'Nothing was run.',
    );
    this.name = 'UnsupportedOpsError';
  }
}

/** An operator failed while the program ran; names the op, its variables and the cause. */
export class ExecutionError extends Error {
  constructor(
    readonly opIndex: number,
    readonly opType: string,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'ExecutionError';
  }
}
