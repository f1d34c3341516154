/**
 * The epilogue of the fused forms of conv2d and fc, in place on the product:
 * y = act(y + bias[channel] + residual), channel = (i / inner) % channels. A null bias or residual
 * pointer (0) leaves that term out.
 */
import type { Compute } from '../runtime/compute';
import { ACT_CODE, prelude } from './common';

export function cudaSource(t: string): string {
  return `${prelude(t)}
extern "C" __global__ void bias_act(T* y, const T* bias, const T* res, i64 n, int channels, i64 inner, int code, T alpha) {
  LOOP(i, n) {
    T v = y[i];
    if (bias) v += bias[(i / inner) % channels];
    if (res) v += res[i];
    y[i] = act(code, v, alpha);
  }
}`;
}

export interface Epilogue {
  bias: bigint;
  residual: bigint;
  act?: string;
  alpha: number;
}

export function needsEpilogue(e: Epilogue): boolean {
  return e.bias !== 0n || e.residual !== 0n || (e.act ?? '') !== '';
}

export function runEpilogue(c: Compute, t: 'float' | 'double', y: bigint, n: number, channels: number, inner: number, e: Epilogue): void {
  const code = ACT_CODE[e.act ?? ''];
  if (code === undefined) throw new Error(`no xpu epilogue for activation "${e.act}"`);
  const f = t === 'float' ? 'f' : 'd';
  c.launcher.launch1d(c.module(`epilogue_${t}`, () => cudaSource(t)).fn('bias_act'), n, `ppplili${f}`, [y, e.bias, e.residual, n, channels, inner, code, e.alpha]);
}
