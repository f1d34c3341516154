/**
 * What the CLIs share: PaddleNLP's flags, `-c` for a YAML file, loading the accelerator backend
 * for `--select_device xpu`, and errors turned into one clear message and an exit status.
 *
 * This is the only place in @oar/nlp that reaches for @oar/xpu-backend: an optional package,
 * loaded only when the accelerator is asked for.
 */
import * as fs from 'fs';
import * as path from 'path';
import { setDevice } from '@oar/core';
import yargs, { type Argv, type Options } from 'yargs';
import { ConfigError, suggest } from '../config/errors';
import { CheckpointError } from '../engine/checkpoint';
import { DataError } from '../data/text-classification';
import { TruncationError } from '../tokenizers/encoding';
import { VocabError } from '../tokenizers/vocab';
import { RunLogger } from '../engine/logger';

export const CONFIGS_DIR = path.resolve(__dirname, '../../configs');

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

type Kind = 'number' | 'string' | 'boolean' | 'array';

/** The flags of both training CLIs (PaddleNLP's names). */
export const COMMON_FLAGS: Record<string, [Kind, string]> = {
  model_type: ['string', 'bert or ernie'],
  model_name_or_path: ['string', 'a model name (bert-base-uncased, bert-base-chinese, ernie-1.0, bert-tiny-uncased, bert-mini-uncased, ernie-1.0-tiny, ernie-1.0-mini) or a folder saved by training'],
  max_seq_length: ['number', 'maximum tokens per input, special tokens included; longer inputs are truncated'],
  batch_size: ['number', 'examples per step'],
  learning_rate: ['number', 'peak learning rate of AdamW'],
  weight_decay: ['number', 'AdamW decay (not applied to biases and LayerNorm)'],
  adam_epsilon: ['number', 'AdamW epsilon'],
  max_grad_norm: ['number', 'clip gradients to this global norm (0: off)'],
  num_train_epochs: ['number', 'epochs'],
  max_steps: ['number', '> 0: this many steps, overriding num_train_epochs'],
  warmup_steps: ['number', 'linear warm-up steps (overrides warmup_proportion)'],
  warmup_proportion: ['number', 'warm-up as a fraction of all steps'],
  logging_steps: ['number', 'log every this many steps'],
  save_steps: ['number', 'save a checkpoint every this many steps'],
  seed: ['number', 'random seed'],
  select_device: ['string', 'cpu or xpu'],
  output_dir: ['string', 'where checkpoints, logs and metrics.jsonl go'],
  resume: ['string', 'a checkpoint folder (e.g. <output_dir>/latest) to continue from'],
};

export const TRAIN_FLAGS: Record<string, [Kind, string]> = {
  ...COMMON_FLAGS,
  task_name: ['string', 'uci-sentiment (shipped), chnsenticorp, sst-2, or custom'],
  train_file: ['array', 'training data file(s)'],
  dev_file: ['array', 'evaluation data file(s); without one, dev_split of the training data is held out'],
  data_format: ['string', 'glue (TSV with header), tsv (text<TAB>label) or csv (text,label)'],
  label_list: ['array', 'the labels, e.g. --label_list neg pos'],
  dev_split: ['number', 'fraction held out for evaluation when there is no dev file'],
  split_seed: ['number', 'seed of the held-out split'],
  skip_malformed: ['boolean', 'skip and count malformed data lines instead of failing'],
  eval_steps: ['number', 'evaluate every this many steps (default: save_steps)'],
};

export const PRETRAIN_FLAGS: Record<string, [Kind, string]> = {
  ...COMMON_FLAGS,
  input_file: ['array', 'raw text: one sentence per line, blank line between documents (default: the shipped English sentences)'],
  input_format: ['string', 'text, or tsv (the first column of each line)'],
  max_predictions_per_seq: ['number', 'masked tokens per sequence at most'],
  masked_lm_prob: ['number', 'fraction of tokens masked'],
};

export interface ParsedArgs {
  config?: string;
  progress?: boolean;
  help?: boolean;
  flags: Record<string, unknown>;
  extra: Record<string, unknown>;
}

/** Parses argv: -c, --progress, the given flags, and CLI-specific extras. */
export async function parseArgs(argv: readonly string[], script: string, describe: string, flags: Record<string, [Kind, string]>, extras: Record<string, Options> = {}): Promise<ParsedArgs> {
  let p: Argv = yargs([...argv])
    .scriptName(script)
    .usage(`$0 [-c config.yaml] [--flag value ...]\n\n${describe}`)
    .option('config', { alias: 'c', type: 'string', describe: 'YAML file with the same keys as the flags (flags override it)' })
    .option('progress', { type: 'boolean', describe: 'show a progress bar (default: when stdout is a terminal)' });
  for (const [k, [kind, d]] of Object.entries(flags)) p = p.option(k, { type: kind, describe: d, ...(kind === 'array' ? { string: true } : {}) });
  for (const [k, o] of Object.entries(extras)) p = p.option(k, o);
  const a = (await p
    .strict()
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(110, process.stdout.columns || 110))
    .exitProcess(false)
    .fail((msg, err) => {
      if (err) throw err;
      // yargs says "Unknown arguments: learning_rte, x"; add the closest flag for each.
      const unknown = /^Unknown arguments?: (.*)$/.exec(msg ?? '');
      const known = [...Object.keys(flags), ...Object.keys(extras), 'config', 'progress', 'help'];
      const hints = unknown ? unknown[1]!.split(', ').map((u) => [u, suggest(u.replace(/^-+/, ''), known)] as const).filter(([, s]) => s).map(([u, s]) => `--${u.replace(/^-+/, '')}: did you mean --${s}?`) : [];
      throw new CliError(`${msg}${hints.length ? ` (${hints.join('; ')})` : ''}\nRun with --help for the options.`, 2);
    })
    .parse()) as Record<string, unknown>;
  const pick = (keys: string[]): Record<string, unknown> => Object.fromEntries(keys.filter((k) => a[k] !== undefined).map((k) => [k, a[k]]));
  return {
    config: (a.config as string | undefined) ?? configSwallowedByNx(),
    progress: a.progress as boolean | undefined,
    help: a.help as boolean | undefined,
    flags: pick(Object.keys(flags)),
    extra: pick(Object.keys(extras)),
  };
}

/**
 * `nx run nlp:train -c my.yaml` never shows us `-c my.yaml`: nx takes `-c` as its own
 * `--configuration` and drops it. Rather than run the defaults in its place, read it back from
 * the nx process's command line (nx names that process in NX_INVOCATION_ROOT_PID; Linux only).
 */
export function configSwallowedByNx(env: NodeJS.ProcessEnv = process.env, readCmdline: (pid: string) => string = (pid) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')): string | undefined {
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
    for (const pre of ['-c=', '--configuration=']) if (a.startsWith(pre) && a.length > pre.length) return a.slice(pre.length);
  }
  return undefined;
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0]!;
}

/**
 * For `--select_device xpu`, loads @oar/xpu-backend, registers it and makes `xpu` the default
 * device. A backend that is not built, or a machine without an accelerator runtime, ends in a
 * CliError that says so and how to run on the CPU.
 */
export function loadAccelerator(device: string, requireFn: (id: string) => unknown = require): void {
  if (device !== 'xpu') return;
  const onCpu = 'To run on the CPU instead, pass --select_device cpu.';
  let mod: unknown;
  try {
    mod = requireFn('@oar/xpu-backend');
  } catch (e) {
    throw new CliError(
      `--select_device xpu asks for the accelerator, but its backend @oar/xpu-backend is not installed or not built (loading it failed: ${firstLine(e)}). ` +
        `Build @oar/xpu-backend on a machine with an accelerator runtime (CUDA). ${onCpu}`,
    );
  }
  const register = (mod as { registerXpuBackend?: unknown } | null)?.registerXpuBackend;
  if (typeof register !== 'function') throw new CliError(`--select_device xpu: @oar/xpu-backend exports no registerXpuBackend(); it is incomplete or of another version. ${onCpu}`);
  try {
    (register as () => void)();
    // Parameters and batches are created on the default device from here on.
    setDevice('xpu');
  } catch (e) {
    throw new CliError(`--select_device xpu: the accelerator backend found no usable accelerator: ${firstLine(e)}. ${onCpu}`);
  }
}

export function runLogger(outputDir: string, mode: string, progress: boolean | undefined): RunLogger {
  return new RunLogger({ logFile: path.join(outputDir, `${mode}.log`), metricsFile: path.join(outputDir, 'metrics.jsonl'), progress });
}

/** Runs a CLI's main; known errors print their message alone (exit 2 for usage and configuration, 1 otherwise). */
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
  if (e instanceof ConfigError || (e instanceof CliError && e.exitCode === 2)) {
    process.stderr.write(`error: ${e.message}\n`);
    return 2;
  }
  if (e instanceof CliError || e instanceof DataError || e instanceof CheckpointError || e instanceof VocabError || e instanceof TruncationError) {
    process.stderr.write(`error: ${e.message}\n`);
    return 1;
  }
  const err = e as Error;
  const debug = process.env.OAR_DEBUG === '1';
  process.stderr.write(`error: ${debug ? (err?.stack ?? String(e)) : (err?.message ?? String(e))}\n`);
  if (!debug) process.stderr.write('(set OAR_DEBUG=1 for the stack trace)\n');
  return 1;
}
