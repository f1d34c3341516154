/**
 * Which physical device `xpu`, `xpu:N` means, as in Paddle:
 *
 * - `XPU_VISIBLE_DEVICES=2,3` hides the other devices and renumbers the rest from 0 (like
 *   CUDA_VISIBLE_DEVICES; an empty value hides them all). The numbers are driver ordinals, i.e.
 *   after any CUDA_VISIBLE_DEVICES, which the driver itself applies.
 * - `FLAGS_selected_xpus=1` (set per process by `paddle.distributed.launch`) lists the visible
 *   devices this process uses: `xpu` is the first of them, and `xpu:N` the N-th, as in
 *   `paddle.static.xpu_places()`. (Paddle's `set_device('xpu:N')` would instead ignore the flag;
 *   the core engine hands a backend only the index, so the two cannot be told apart here.)
 * - Without either, `xpu` is `xpu:0` and `xpu:N` is driver ordinal N.
 *
 * Pure functions of the environment and the driver's device count, so they are unit-tested.
 */

export interface DeviceSelection {
  /** Normalized device string, `xpu:N`. */
  device: string;
  /** N in `xpu:N`. */
  index: number;
  /** The CUDA driver ordinal (cuDeviceGet) it maps to. */
  ordinal: number;
}

function parseIdList(name: string, value: string): number[] {
  if (value.trim() === '') return [];
  const ids = value.split(',').map((s) => s.trim());
  const out: number[] = [];
  for (const s of ids) {
    if (!/^\d+$/.test(s)) throw new Error(`${name}="${value}": expected comma-separated device numbers such as "0,1", got "${s}"`);
    const n = Number(s);
    if (out.includes(n)) throw new Error(`${name}="${value}": device ${n} is listed twice`);
    out.push(n);
  }
  return out;
}

/**
 * Driver ordinals the process may use, in `xpu:N` order. `driverCount` is cuDeviceGetCount's answer.
 * Throws on a malformed variable or one naming a device the driver does not have.
 */
export function usableOrdinals(env: NodeJS.ProcessEnv, driverCount: number): number[] {
  let visible = Array.from({ length: driverCount }, (_, i) => i);
  const vis = env.XPU_VISIBLE_DEVICES;
  if (vis !== undefined) {
    visible = parseIdList('XPU_VISIBLE_DEVICES', vis);
    const bad = visible.find((o) => o >= driverCount);
    if (bad !== undefined) throw new Error(`XPU_VISIBLE_DEVICES="${vis}" names device ${bad}, but the driver has ${driverCount} device(s) (0..${driverCount - 1})`);
  }
  const sel = env.FLAGS_selected_xpus;
  if (sel === undefined || sel.trim() === '') return visible;
  const selected = parseIdList('FLAGS_selected_xpus', sel);
  const bad = selected.find((i) => i >= visible.length);
  if (bad !== undefined) throw new Error(`FLAGS_selected_xpus="${sel}" names device ${bad}, but ${visible.length} device(s) are visible${vis !== undefined ? ` (XPU_VISIBLE_DEVICES="${vis}")` : ''}`);
  return selected.map((i) => visible[i]!);
}

/** Parses `xpu` / `xpu:N` (any case, surrounding spaces allowed) into the index N. */
export function parseXpuDevice(spec: string): number {
  const m = /^xpu(?::(\d+))?$/.exec(spec.trim().toLowerCase());
  if (!m) throw new Error(`invalid device "${spec}": expected "xpu" or "xpu:N"`);
  return m[1] === undefined ? 0 : Number(m[1]);
}

/** `xpu`, `xpu:N` or a bare index to the driver ordinal, under XPU_VISIBLE_DEVICES and FLAGS_selected_xpus. */
export function selectDevice(spec: string | number, env: NodeJS.ProcessEnv, driverCount: number): DeviceSelection {
  const index = typeof spec === 'number' ? spec : parseXpuDevice(spec);
  if (!Number.isInteger(index) || index < 0) throw new Error(`invalid xpu index ${index}`);
  const ordinals = usableOrdinals(env, driverCount);
  if (index >= ordinals.length) {
    const limits = [
      env.XPU_VISIBLE_DEVICES !== undefined ? `XPU_VISIBLE_DEVICES="${env.XPU_VISIBLE_DEVICES}"` : '',
      env.FLAGS_selected_xpus ? `FLAGS_selected_xpus="${env.FLAGS_selected_xpus}"` : '',
    ].filter(Boolean);
    const avail = ordinals.length === 0 ? 'none is usable' : `usable: xpu:0..xpu:${ordinals.length - 1}`;
    throw new Error(`device xpu:${index} does not exist (${avail}; the driver has ${driverCount}${limits.length ? `; ${limits.join(', ')}` : ''})`);
  }
  return { device: `xpu:${index}`, index, ordinal: ordinals[index]! };
}
