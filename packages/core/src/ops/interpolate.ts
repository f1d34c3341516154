/** Resizing (Paddle 2.0's `paddle.nn.functional.interpolate` / `upsample`) for 4-D inputs. */
import { Tensor } from '../tensor/tensor';
import { adaptiveAvgPool2d } from './pool';
import { run1 } from './run';

export interface InterpolateOptions {
  /** Output [height, width] (a number sets both); a Tensor is read as that list. */
  size?: number | number[] | Tensor;
  /** Multiplier of the input [height, width] (a number scales both); a Tensor is read as that list. */
  scaleFactor?: number | number[] | Tensor;
  /** 'nearest' (default), 'bilinear', or 'area' (adaptive average pooling to `size`). */
  mode?: 'nearest' | 'bilinear' | 'area';
  /** Align the corner pixels of input and output (bilinear only); default false. */
  alignCorners?: boolean;
  /** Bilinear without alignCorners: 0 (default) samples at (i+0.5)·ratio−0.5, 1 at i·ratio. */
  alignMode?: 0 | 1;
  dataFormat?: 'NCHW' | 'NHWC';
}

function listOf(v: number | number[] | Tensor, what: string): number[] {
  const l = v instanceof Tensor ? v.toFlatArray() : typeof v === 'number' ? [v, v] : v;
  if (l.length !== 2) throw new TypeError(`interpolate: ${what} must have 2 values (height, width) for a 4-D input, got ${l.length}`);
  return l;
}

/** Resizes the spatial dimensions of a 4-D tensor (Paddle 2.0 defaults). */
export function interpolate(x: Tensor, opts: InterpolateOptions = {}): Tensor {
  const mode = opts.mode ?? 'nearest';
  const alignCorners = opts.alignCorners ?? false;
  const alignMode = opts.alignMode ?? 0;
  const dataFormat = opts.dataFormat ?? 'NCHW';
  if (mode !== 'nearest' && mode !== 'bilinear' && mode !== 'area') {
    throw new TypeError(`interpolate: mode must be "nearest", "bilinear" or "area", got "${String(mode)}"`);
  }
  if (x.ndim !== 4) throw new TypeError(`interpolate: mode "${mode}" needs a 4-D input, got shape [${x.shape.join(', ')}]`);
  if (dataFormat !== 'NCHW' && dataFormat !== 'NHWC') {
    throw new TypeError(`interpolate: dataFormat must be "NCHW" or "NHWC" for a 4-D input, got "${String(dataFormat)}"`);
  }
  if (opts.size === undefined && opts.scaleFactor === undefined) throw new TypeError('interpolate: one of size and scaleFactor must be set');
  if (opts.size !== undefined && opts.scaleFactor !== undefined) throw new TypeError('interpolate: only one of size and scaleFactor may be set');
  if (alignMode !== 0 && alignMode !== 1) throw new TypeError(`interpolate: alignMode must be 0 or 1, got ${String(alignMode)}`);
  if (alignCorners && mode === 'nearest') {
    throw new TypeError('interpolate: alignCorners can only be set with the interpolating modes (bilinear)');
  }
  if (mode === 'area') {
    if (opts.size === undefined) throw new TypeError('interpolate: mode "area" needs size');
    return adaptiveAvgPool2d(x, listOf(opts.size, 'size'), dataFormat);
  }
  const attrs: Record<string, number | number[] | string | boolean> = {
    interp_method: mode,
    align_corners: alignCorners,
    align_mode: alignMode,
    data_layout: dataFormat,
  };
  if (opts.size !== undefined) {
    const [h, w] = listOf(opts.size, 'size');
    if (!(Number.isInteger(h) && Number.isInteger(w) && h! > 0 && w! > 0)) {
      throw new TypeError(`interpolate: size must hold positive integers, got [${h}, ${w}]`);
    }
    attrs.out_h = h!;
    attrs.out_w = w!;
  } else {
    const s = listOf(opts.scaleFactor!, 'scaleFactor');
    if (!s.every((v) => v > 0)) throw new TypeError(`interpolate: scaleFactor must be greater than 0, got [${s.join(', ')}]`);
    attrs.scale = s;
  }
  return run1(`${mode}_interp_v2`, { X: x }, attrs);
}

/** Paddle's `upsample`: the same function as `interpolate`. */
export const upsample = interpolate;
