/**
 * What the four CLIs share: `-c/--config` and repeatable `-o/--override` as in PaddleClas's
 * tools/*.py, loading the config, loading the accelerator backend for `Global.device: xpu`, and
 * turning errors into one clear message and an exit status.
 *
 * This is the only place in @oar/clas that reaches for @oar/xpu-backend: the backend is an
 * optional package, loaded only when a config asks for the accelerator.
 */
import * as fs from 'fs';
import * as path from 'path';
import yargs, { type Argv } from 'yargs';
import { ConfigError } from '../config/errors';
import { loadConfig } from '../config/load';
import type { ClasConfig } from '../config/schema';

/** `train` with no `-c`: the quick-start config on the embedded Fashion-MNIST. */
export const DEFAULT_CONFIG = path.resolve(__dirname, '../../configs/quick_start/ResNet18_fashion_mnist.yaml');

export interface CommonArgs {
  config?: string;
  override: string[];
  progress?: boolean;
}

/** An error whose message is the whole story (no stack trace), with its exit status. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The parser with the options every CLI takes (a CLI chains its own, e.g. infer's --image). */
export function commonParser(argv: readonly string[], script: string, describe: string): Argv<CommonArgs> {
  return yargs([...argv])
    .scriptName(script)
    .usage(`$0 [-c config.yaml] [-o Key.sub=value ...]\n\n${describe}`)
    .option('config', {
      alias: 'c',
      type: 'string',
      defaultDescription: 'configs/quick_start/ResNet18_fashion_mnist.yaml',
      describe: 'PaddleClas-style YAML config',
    })
    .option('override', {
      alias: 'o',
      type: 'string',
      array: true,
      default: [] as string[],
      describe: 'override a config key, e.g. -o Global.epochs=2 -o Arch.class_num=102 (repeatable)',
    })
    .option('progress', {
      type: 'boolean',
      describe: 'show a progress bar (default: when stdout is a terminal)',
    })
    .strict()
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(110, process.stdout.columns || 110))
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new CliError(`${msg}\nRun with --help for the options.`, 2);
    }) as unknown as Argv<CommonArgs>;
}

/**
 * `nx run clas:train -c my.yaml` never shows us `-c my.yaml`: nx reads `-c` as its own
 * `--configuration` and, our targets having no configurations, drops it silently. Rather than
 * train the default config in its place, recover the value from the nx process's command line
 * (nx names that process in NX_INVOCATION_ROOT_PID; /proc exists on Linux only).
 */
export function configSwallowedByNx(
  env: NodeJS.ProcessEnv = process.env,
  readCmdline: (pid: string) => string = (pid) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'),
): string | undefined {
  if (!env.NX_TASK_TARGET_PROJECT || !env.NX_INVOCATION_ROOT_PID) return undefined;
  let argv: string[];
  try {
    argv = readCmdline(env.NX_INVOCATION_ROOT_PID).split('\0');
  } catch {
    return undefined;
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if ((a === '-c' || a === '--configuration') && argv[i + 1]) return argv[i + 1];
    for (const p of ['-c=', '--configuration=']) if (a.startsWith(p) && a.length > p.length) return a.slice(p.length);
  }
  return undefined;
}

/** The config file: `-c/--config`, or one nx swallowed, or the quick-start default. */
export function configPath(args: CommonArgs): string {
  return args.config ?? configSwallowedByNx() ?? DEFAULT_CONFIG;
}

/** Loads the config file with the `-o` overrides (and any the CLI adds), validated. */
export function loadCliConfig(args: CommonArgs, extraOverrides: string[] = []): { config: ClasConfig; source: string } {
  const source = configPath(args);
  const overrides = [...(args.override ?? []), ...extraOverrides];
  return { config: loadConfig(source, overrides), source };
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0]!;
}

/**
 * For `Global.device: xpu[:N]`, loads @oar/xpu-backend and registers it with the core engine.
 * A missing or unbuilt package, or a machine without an accelerator runtime, is a CliError that
 * says how to run on the CPU instead.
 */
export function loadAccelerator(device: string, requireFn: (id: string) => unknown = require): void {
  if (!device.startsWith('xpu')) return;
  const onCpu = 'To train on the CPU instead, pass -o Global.device=cpu (or set Global.device: cpu in the config).';
  let mod: unknown;
  try {
    mod = requireFn('@oar/xpu-backend');
  } catch (e) {
    throw new CliError(
      `Global.device=${device} asks for the accelerator, but its backend @oar/xpu-backend is not installed or not built ` +
        `(loading it failed: ${firstLine(e)}). Install/build @oar/xpu-backend on a machine with an accelerator runtime (CUDA). ${onCpu}`,
    );
  }
  const register = (mod as { registerXpuBackend?: unknown } | null)?.registerXpuBackend;
  if (typeof register !== 'function') {
    throw new CliError(`Global.device=${device}: @oar/xpu-backend was loaded but exports no registerXpuBackend(); it is incomplete or of another version. ${onCpu}`);
  }
  try {
    (register as () => void)();
  } catch (e) {
    throw new CliError(`Global.device=${device}: the accelerator backend found no usable accelerator runtime: ${firstLine(e).replace(/\.$/, '')}. ${onCpu}`);
  }
}

/**
 * Runs a CLI's main and turns what it throws into a message on stderr and an exit status:
 * 2 for usage and config errors, 1 for the rest (OAR_DEBUG=1 prints stacks).
 */
export async function runCli(main: (argv: string[]) => Promise<number>): Promise<void> {
  // Ctrl-C while a progress bar hides the cursor: give it back before leaving.
  process.once('SIGINT', () => {
    if (process.stdout.isTTY) process.stdout.write('\x1b[?25h\n');
    process.exit(130);
  });
  let code: number;
  try {
    code = await main(process.argv.slice(2));
  } catch (e) {
    code = reportError(e);
  }
  // Worker threads and timers must not keep a finished run alive.
  process.exit(code);
}

export function reportError(e: unknown): number {
  const debug = process.env.OAR_DEBUG === '1';
  if (e instanceof ConfigError) {
    process.stderr.write(`error: ${e.message}\n`);
    return 2;
  }
  if (e instanceof CliError) {
    process.stderr.write(`error: ${e.message}\n`);
    return e.exitCode;
  }
  const err = e as Error;
  process.stderr.write(`error: ${debug ? (err?.stack ?? String(e)) : (err?.message ?? String(e))}\n`);
  if (!debug) process.stderr.write('(set OAR_DEBUG=1 for the stack trace)\n');
  return 1;
}
