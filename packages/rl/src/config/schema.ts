/**
 * The DQN config, section by section, with PARL r1.4's examples/DQN settings as defaults. Every
 * map is strict (a misspelt key is an error with a suggestion) and every number is range
 * checked, so a bad value fails before any work starts.
 */
import { z } from 'zod';
import { registeredEnvs } from '../env/registry';
import { suggest } from './errors';

const posInt = () => z.number().int().positive();
const nonNegInt = () => z.number().int().nonnegative();
const inUnit = { error: (iss: { input?: unknown }) => `must be in [0, 1], got ${String(iss.input)}` };
const unit = () => z.number().min(0, inUnit).max(1, inUnit);

/** `cpu`, or the accelerator as `xpu` / `xpu:N` (Oar drives NVIDIA GPUs under the name xpu). */
export const DeviceSchema = z.string().regex(/^(cpu|xpu(:\d+)?)$/, {
  error: (iss) =>
    `expected cpu, xpu or xpu:N, got ${JSON.stringify(iss.input)}` +
    (typeof iss.input === 'string' && iss.input.startsWith('gpu') ? ' (Oar names the accelerator xpu: use xpu or xpu:0)' : ''),
});

export const GlobalSchema = z.strictObject({
  device: DeviceSchema.default('cpu'),
  /** Seeds the core's generator: weights, exploration, replay sampling and environment resets. */
  seed: nonNegInt().default(1),
  /** Checkpoints, logs and metrics go to <output_dir>/<Algorithm.name>/. */
  output_dir: z.string().min(1).default('./output/'),
  /** Weights for eval and export (a path prefix; `.pdparams` is appended). Default: <output_dir>/<algorithm>/best_model. */
  pretrained_model: z.string().nullable().optional(),
  /** Where export writes the Q-network. Default: <output_dir>/<algorithm>/inference. */
  save_inference_dir: z.string().min(1).nullable().optional(),
});

export const EnvSchema = z.strictObject({
  /** A registered environment id (CartPole-v0, CartPole-v1, or one added with registerEnv). */
  name: z
    .string()
    .default('CartPole-v0')
    .superRefine((name, ctx) => {
      const known = registeredEnvs();
      if (known.includes(name)) return;
      const s = suggest(name, known);
      ctx.addIssue({ code: 'custom', input: name, message: `unknown environment ${JSON.stringify(name)}${s ? ` (did you mean ${s}?)` : ''}; registered: ${known.join(', ')}` });
    }),
});

export const ModelSchema = z.strictObject({
  /** Hidden layer widths of the Q-network (PARL: 128, 128). */
  hidden_sizes: z.array(posInt()).min(1).default([128, 128]),
});

export const AlgorithmSchema = z.strictObject({
  name: z.enum(['DQN', 'DDQN']).default('DQN'),
  gamma: unit().default(0.99),
  lr: z.number().positive().default(0.0005),
  /** Learn steps between copies of the model into the target network. */
  target_update_steps: posInt().default(200),
});

export const AgentSchema = z.strictObject({
  /** Initial exploration rate ε. */
  e_greed: unit().default(0.1),
  /** ε drops by this much per action sampled. */
  e_greed_decrement: unit().default(1e-6),
  /** ε never drops below this. */
  e_greed_min: unit().default(0.01),
});

export const ReplayMemorySchema = z.strictObject({
  max_size: posInt().default(20000),
  /** Transitions collected before the first learn step. */
  warmup_size: posInt().default(200),
  batch_size: posInt().default(32),
});

export const TrainSchema = z.strictObject({
  /** Training episodes, not counting the warm-up ones. */
  max_episode: posInt().default(2000),
  /** Environment steps per learn step. */
  learn_freq: posInt().default(5),
  /** Episodes between greedy evaluations (the `episode:N    test_reward:R` lines). */
  eval_interval: posInt().default(50),
  /** Greedy episodes per evaluation. */
  eval_episodes: posInt().default(5),
  /** Stop once a solve check passes (see solved_episodes). */
  stop_when_solved: z.boolean().default(true),
  /** Episodes of the solve check, run when an evaluation reaches solved_reward. */
  solved_episodes: posInt().default(100),
  /** Mean reward that counts as solved; default: the environment's threshold (195 for CartPole-v0). */
  solved_reward: z.number().nullable().optional(),
});

export const EvalSchema = z.strictObject({
  /** Greedy episodes of `eval`. */
  episodes: posInt().default(100),
  /** Seed of the first evaluation episode (episode i resets with seed + i). */
  seed: nonNegInt().default(100000),
});

const section = <S extends z.ZodType>(s: S) => z.preprocess((v) => (v === null || v === undefined ? {} : v), s);

export const RlConfigSchema = z
  .strictObject({
    Global: section(GlobalSchema),
    Env: section(EnvSchema),
    Model: section(ModelSchema),
    Algorithm: section(AlgorithmSchema),
    Agent: section(AgentSchema),
    ReplayMemory: section(ReplayMemorySchema),
    Train: section(TrainSchema),
    Eval: section(EvalSchema),
  })
  .superRefine((c, ctx) => {
    const m = c.ReplayMemory;
    if (m.batch_size > m.warmup_size) {
      ctx.addIssue({
        code: 'custom',
        path: ['ReplayMemory', 'batch_size'],
        input: m.batch_size,
        message: `must be <= ReplayMemory.warmup_size (${m.warmup_size}): a batch is drawn from the warm-up transitions, got ${m.batch_size}`,
      });
    }
    if (m.warmup_size > m.max_size) {
      ctx.addIssue({
        code: 'custom',
        path: ['ReplayMemory', 'warmup_size'],
        input: m.warmup_size,
        message: `must be <= ReplayMemory.max_size (${m.max_size}): the memory cannot hold the warm-up, got ${m.warmup_size}`,
      });
    }
    if (c.Agent.e_greed_min > c.Agent.e_greed) {
      ctx.addIssue({
        code: 'custom',
        path: ['Agent', 'e_greed_min'],
        input: c.Agent.e_greed_min,
        message: `must be <= Agent.e_greed (${c.Agent.e_greed}), got ${c.Agent.e_greed_min}`,
      });
    }
  });

export type RlConfig = z.output<typeof RlConfigSchema>;
export type RlConfigInput = z.input<typeof RlConfigSchema>;
