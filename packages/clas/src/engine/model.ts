/** The model of an `Arch` section, from the backbone registry by PaddleClas name. */
import { nn } from '@oar/core';
import { BACKBONES } from '../arch/backbones';
import { ConfigError, suggest } from '../config/errors';
import type { ClasConfig } from '../config/schema';

/**
 * Builds `Arch.name` with the section's other keys as its options (`class_num` falls back to
 * Global.class_num, PaddleClas 2.2's place for it). Parameter names are generated under a
 * fresh unique-name scope, so every model built from the same Arch gets the same names
 * (`conv2d_0.w_0`, ...) and the optimizer state of one run fits the next, even when several
 * models are built in one process.
 */
export function buildModel(config: Pick<ClasConfig, 'Arch' | 'Global'>, source = 'config'): nn.Layer {
  const { name, ...options } = config.Arch;
  const factory = BACKBONES[name];
  if (!factory) {
    const names = Object.keys(BACKBONES).sort();
    const s = suggest(name, names);
    throw new ConfigError(source, [
      {
        path: 'Arch.name',
        message: `unknown architecture "${name}"${s ? ` (did you mean ${s}?)` : ''}; available: ${names.length ? names.join(', ') : '(none registered)'}`,
      },
    ]);
  }
  if (options.class_num === undefined && config.Global.class_num !== undefined) options.class_num = config.Global.class_num;
  try {
    return nn.uniqueName.guard(() => factory(options));
  } catch (e) {
    throw new ConfigError(source, [{ path: 'Arch', message: (e as Error).message }]);
  }
}
