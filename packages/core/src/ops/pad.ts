/** Padding (Paddle 2.0's `paddle.nn.functional.pad`). */
import type { Tensor } from '../tensor/tensor';
import { run1 } from './run';

export interface PadOptions {
  /** 'constant' (default), 'reflect' (mirror without the edge), 'replicate' (edge), 'circular' (wrap). */
  mode?: 'constant' | 'reflect' | 'replicate' | 'circular';
  /** Fill value of constant padding; default 0. */
  value?: number;
  /** Layout of a 3-D, 4-D or 5-D input; defaults to NCL, NCHW or NCDHW by rank. */
  dataFormat?: 'NCL' | 'NLC' | 'NCHW' | 'NHWC' | 'NCDHW' | 'NDHWC';
}

const FORMATS: Record<number, [string, string]> = { 3: ['NCL', 'NLC'], 4: ['NCHW', 'NHWC'], 5: ['NCDHW', 'NDHWC'] };

/**
 * Pads `x`. With mode 'constant' and 2·rank values, `pad` holds [before, after] for every
 * dimension from the first. Otherwise x is 3-D, 4-D or 5-D and `pad` covers the spatial
 * dimensions from the last: [left, right], [left, right, top, bottom] or
 * [left, right, top, bottom, front, back] (run as pad3d, as Paddle does).
 */
export function pad(x: Tensor, padding: number[], opts: PadOptions = {}): Tensor {
  const mode = opts.mode ?? 'constant';
  const value = opts.value ?? 0;
  if (!['constant', 'reflect', 'replicate', 'circular'].includes(mode)) {
    throw new TypeError(`pad: mode must be "constant", "reflect", "replicate" or "circular", got "${String(mode)}"`);
  }
  if (!Array.isArray(padding) || !padding.every((v) => Number.isInteger(v))) {
    throw new TypeError(`pad: pad must be a list of integers, got ${JSON.stringify(padding)}`);
  }
  const rank = x.ndim;
  if (mode === 'constant' && padding.length === 2 * rank) {
    return run1('pad', { X: x }, { paddings: padding, pad_value: value });
  }
  const formats = FORMATS[rank];
  if (!formats) {
    throw new TypeError(`pad: mode "${mode}" pads 3-D, 4-D or 5-D inputs (or give 2·rank values for constant padding); got a ${rank}-D input`);
  }
  const fmt = opts.dataFormat ?? formats[0];
  if (!formats.includes(fmt)) throw new TypeError(`pad: dataFormat must be ${formats.join(' or ')} for a ${rank}-D input, got "${fmt}"`);
  const spatial = rank - 2;
  if (padding.length !== 2 * spatial) {
    throw new TypeError(`pad: a ${rank}-D input takes ${2 * spatial} padding values${mode === 'constant' ? ` (or ${2 * rank})` : ''}, got ${padding.length}`);
  }
  const channelLast = fmt.endsWith('C');
  const s = x.shape;
  // View 3-D and 4-D inputs as 5-D with extent-1 leading spatial axes; pad3d pads W, H, D.
  const [n, c] = channelLast ? [s[0]!, s[rank - 1]!] : [s[0]!, s[1]!];
  const sp = channelLast ? s.slice(1, rank - 1) : s.slice(2);
  const sp3 = [...new Array(3 - spatial).fill(1), ...sp] as number[];
  const shape5 = channelLast ? [n, ...sp3, c] : [n, c, ...sp3];
  const x5 = rank === 5 ? x : run1('reshape2', { X: x }, { shape: shape5 });
  const paddings = [...padding, ...new Array(6 - padding.length).fill(0)] as number[];
  const out5 = run1('pad3d', { X: x5 }, { paddings, mode, value, data_format: channelLast ? 'NDHWC' : 'NCDHW' });
  if (rank === 5) return out5;
  const o = out5.shape;
  const outShape = channelLast ? [o[0]!, ...o.slice(4 - spatial, 4), o[4]!] : [o[0]!, o[1]!, ...o.slice(5 - spatial)];
  return run1('reshape2', { X: out5 }, { shape: outShape });
}
