/**
 * How every benchmark ends: it exits explicitly, 0 after `main`, or 1 with the stack on stderr.
 * A natural exit can crash while native thread pools (OpenMP, OpenBLAS) are still spinning.
 */
export function runMain(main: () => void | Promise<void>): void {
  const fail = (e: unknown): never => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  };
  try {
    Promise.resolve(main()).then(() => process.exit(0), fail);
  } catch (e) {
    fail(e);
  }
}
