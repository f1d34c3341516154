/**
 * What the CLIs share: `-c/--config` and repeatable `-o/--override` as the other suites,
 * loading the config, loading the accelerator backend for `Global.device: xpu`, and turning
 * errors into one clear message and an exit status.
 *
 * This is the only place in @oar/rl that reaches for @oar/xpu-backend: the backend is an
 * optional package, loaded only when a config asks for the accelerator.
 */
import * as fs from 'fs';
import yargs, { type Argv } from 'yargs';
import { ConfigError } from '../config/errors';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../config/load';
import type { RlConfig } from '../config/schema';

/** The config used without `-c`: PARL's DQN on CartPole-v0. */
export const DEFAULT_CONFIG = DEFAULT_CONFIG_PATH;

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

export function commonParser(argv: readonly string[], script: string, describe: string): Argv<CommonArgs> {
  return yargs([...argv])
    .scriptName(script)
    .usage(`$0 [-c config.yaml] [-o Section.key=value ...]\n\n${describe}`)
    .option('config', {
      alias: 'c',
      type: 'string',
      defaultDescription: 'configs/dqn_cartpole.yaml',
      describe: 'YAML config',
    })
    .option('override', {
      alias: 'o',
      type: 'string',
      array: true,
      default: [] as string[],
      describe: 'override a config key, e.g. -o Global.seed=3 -o Algorithm.name=DDQN (repeatable)',
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
 * `nx run rl:train -c my.yaml` never shows us `-c my.yaml`: nx reads `-c` as its own
 * `--configuration` and drops it. Rather than run the default config in its place, recover the
 * value from the nx process's command line (nx names that process in NX_INVOCATION_ROOT_PID;
 * /proc exists on Linux only).
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

/** Loads the config file (`-c`, one nx swallowed, or the default) with the `-o` overrides, validated. */
export function loadCliConfig(args: CommonArgs): { config: RlConfig; source: string } {
  const source = args.config ?? configSwallowedByNx() ?? DEFAULT_CONFIG;
  return { config: loadConfig(source, args.override ?? []), source };
}

/** The first line of an error's message, without a closing period (the caller adds its own). */
function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0]!.replace(/\.+$/, '');
}

/**
 * For `Global.device: xpu[:N]`, loads @oar/xpu-backend and registers it with the core engine.
 * A missing or unbuilt package, or a machine without an accelerator runtime, is a CliError that
 * says how to run on the CPU instead.
 */
export function loadAccelerator(device: string, requireFn: (id: string) => unknown = require): void {
  if (!device.startsWith('xpu')) return;
  const onCpu = 'To run on the CPU instead, pass -o Global.device=cpu (or set Global.device: cpu in the config).';
  let mod: unknown;
  try {
    mod = requireFn('@oar/xpu-backend');
  } catch (e) {
    throw new CliError(
      `Global.device=${device} asks for the accelerator, but no accelerator backend is available: @oar/xpu-backend is not installed or not built ` +
        `(loading it failed: ${firstLine(e)}). ${onCpu}`,
    );
  }
  const register = (mod as { registerXpuBackend?: unknown } | null)?.registerXpuBackend;
  if (typeof register !== 'function') {
    throw new CliError(`Global.device=${device}: @oar/xpu-backend was loaded but exports no registerXpuBackend(); no accelerator backend is available. ${onCpu}`);
  }
  try {
    (register as () => void)();
  } catch (e) {
    throw new CliError(`Global.device=${device}: the accelerator backend found no usable accelerator runtime: ${firstLine(e)}. ${onCpu}`);
  }
}

/** Runs a CLI's main and turns what it throws into a message on stderr and an exit status (2: usage or config, 1: the rest). */
export async function runCli(main: (argv: string[]) => Promise<number>): Promise<void> {
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
  process.exit(code);
}

export function reportError(e: unknown): number {
  if (e instanceof ConfigError) {
    process.stderr.write(`error: ${e.message}\n`);
    return 2;
  }
  if (e instanceof CliError) {
    process.stderr.write(`error: ${e.message}\n`);
    return e.exitCode;
  }
  const err = e as Error;
  const debug = process.env.OAR_DEBUG === '1';
  process.stderr.write(`error: ${debug ? (err?.stack ?? String(e)) : (err?.message ?? String(e))}\n`);
  if (!debug) process.stderr.write('(set OAR_DEBUG=1 for the stack trace)\n');
  return 1;
}
