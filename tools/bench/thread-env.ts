/**
 * Sets the thread-count variables from `--threads N` (default 2) in the process arguments.
 * Imported by cpu.ts before @oar/core: OpenBLAS reads its thread count once, when it is loaded.
 */
function threadsFromArgv(argv: string[]): string {
  const i = argv.indexOf('--threads');
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : '2';
}

const threads = threadsFromArgv(process.argv.slice(2));
for (const name of ['OAR_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS']) process.env[name] = threads;

export {};
