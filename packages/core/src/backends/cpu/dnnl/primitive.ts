/**
 * A oneDNN primitive built once per shape and run many times on the caller's typed arrays.
 * Primitives are created with "any" layouts where that lets oneDNN pick its fast blocked
 * formats (nChw8c for AVX2 convolutions); arguments whose chosen layout differs from the plain
 * row-major one Oar stores go through reorders into and out of scratch buffers.
 */
import { check, DESC_BYTES, execArgs, type Dnnl, QUERY } from './lib';
import { layoutOf, sameLayout, setLayout, toPlain, type Layout } from './layout';

type Ptr = unknown;

export interface ArgSpec {
  /** DNNL_ARG_* of the argument. */
  arg: number;
  /** Which memory descriptor of the primitive it is (QUERY.*, with its index), unless `md` gives it. */
  query?: number;
  index?: number;
  /** The argument's descriptor, for arguments whose layout is fixed (per-channel vectors, post-op operands): a buffer or a descriptor pointer. */
  md?: Ptr;
  /** The plain layout of the caller's array; without it the caller's array has the primitive's own layout (vectors, workspaces). */
  user?: Uint8Array;
  /** Written by the primitive. */
  out?: boolean;
  /** An output that may stay in the primitive's blocked layout (tagged; see layout.ts). */
  keep?: boolean;
}

interface Reorder {
  prim: Ptr;
  args: Uint8Array;
  userMem: Ptr;
}

interface Bound {
  spec: ArgSpec;
  mem: Ptr;
  bytes: number;
  reorder: Reorder | null;
  /** The primitive's layout for this argument, when it differs from the caller's plain one. */
  layout: Layout | null;
}

/** Grow-only scratch buffers for reordered arguments, one per argument kind. */
const scratchBufs = new Map<number, Float32Array>();

function scratch(arg: number, bytes: number): Float32Array {
  let b = scratchBufs.get(arg);
  if (!b || b.byteLength < bytes) {
    b = new Float32Array(Math.ceil(bytes / 4));
    scratchBufs.set(arg, b);
  }
  return b;
}

/** Bytes held by the scratch buffers (reported as the CPU backend's cached memory). */
export function dnnlScratchBytes(): number {
  let n = 0;
  for (const b of scratchBufs.values()) n += b.byteLength;
  return n;
}

/** A fresh descriptor buffer for a *_desc_init call. */
export function desc(): Uint8Array {
  return new Uint8Array(DESC_BYTES);
}

/**
 * The primitive descriptor for an initialised op descriptor, or null when oneDNN has no
 * implementation for it (the caller falls back to its own kernel).
 */
export function primitiveDesc(d: Dnnl, opDesc: Uint8Array, hint: Ptr = null, attr: Ptr = null): Ptr | null {
  const pd: Ptr[] = [null];
  // unimplemented (3), or arguments this build rejects (2): the caller's own kernel runs instead.
  if (d.f.pd_create!(pd, opDesc, attr, d.engine, hint) !== 0) return null;
  return pd[0];
}

/** The implementation oneDNN chose (for example "jit:avx2"), for benchmarks and debugging. */
export function implName(d: Dnnl, pd: Ptr): string {
  const r: Ptr[] = [null];
  const st = d.f.pd_query!(pd, QUERY.IMPL_INFO, 0, r);
  return st === 0 && r[0] ? (d.koffi.decode(r[0], 'char', -1) as string) : '?';
}

function memory(d: Dnnl, md: Ptr): Ptr {
  const m: Ptr[] = [null];
  check('memory_create', d.f.memory_create!(m, md, d.engine, null));
  return m[0];
}

export class Primitive {
  private readonly prim: Ptr;
  private readonly args: Uint8Array;
  private readonly bound: Bound[];

  /**
   * `layoutBlind`: an elementwise primitive on flat arrays, whose callers handle blocked
   * inputs themselves (the same elementwise result in any layout).
   */
  constructor(
    private readonly d: Dnnl,
    pd: Ptr,
    specs: ArgSpec[],
    private readonly layoutBlind = false,
  ) {
    const p: Ptr[] = [null];
    check('primitive_create', d.f.prim_create!(p, pd));
    this.prim = p[0];
    this.bound = specs.map((spec) => {
      const md = spec.md ?? d.queryMd(pd, spec.query ?? 0, spec.index ?? 0);
      if (!md) throw new Error(`oneDNN: the primitive has no memory descriptor for argument ${spec.arg}`);
      const mem = memory(d, md);
      const bytes = Number(d.mdGetSize(md));
      let reorder: Reorder | null = null;
      if (spec.user && !d.mdEqual(spec.user, md)) {
        const rpd: Ptr[] = [null];
        const [from, to] = spec.out ? [md, spec.user] : [spec.user, md];
        check('reorder_primitive_desc_create', d.f.reorder_pd!(rpd, from, d.engine, to, d.engine, null));
        const rp: Ptr[] = [null];
        check('primitive_create', d.f.prim_create!(rp, rpd[0]));
        const userMem = memory(d, spec.user);
        const [fm, tm] = spec.out ? [mem, userMem] : [userMem, mem];
        reorder = { prim: rp[0], args: execArgs(d, [[1, fm], [17, tm]]), userMem };
      }
      const layout = reorder ? { md, plain: spec.user! } : null;
      return { spec, mem, bytes, reorder, layout };
    });
    this.args = execArgs(
      d,
      this.bound.map((b) => [b.spec.arg, b.mem]),
    );
  }

  /** Bytes of the i-th argument in the primitive's own layout. */
  argBytes(i: number): number {
    return this.bound[i]!.bytes;
  }

  /**
   * Input i reordered into the primitive's own layout (into `into` when it is large enough),
   * for callers that keep it across runs; null when the argument needs no reorder.
   */
  prepare(i: number, user: Float32Array, into?: Float32Array): Float32Array | null {
    const b = this.bound[i]!;
    if (!b.reorder || b.spec.out) return null;
    const dst = into && into.byteLength >= b.bytes ? into : new Float32Array(Math.ceil(b.bytes / 4));
    const f = this.d.f;
    check('memory_set_data_handle', f.set_handle!(b.reorder.userMem, user));
    check('memory_set_data_handle', f.set_handle!(b.mem, dst));
    check('reorder', f.execute!(b.reorder.prim, this.d.stream, 2, b.reorder.args));
    check('stream_wait', f.stream_wait!(this.d.stream));
    return dst;
  }

  /** Runs on `arrays`, given in the order of the argument specs; `ready` inputs come from prepare(). */
  run(arrays: readonly Float32Array[], ready?: ReadonlySet<number>): void {
    const { d, bound } = this;
    const f = d.f;
    for (let i = 0; i < bound.length; i++) {
      const b = bound[i]!;
      const a = arrays[i]!;
      void a.buffer; // keeps small arrays off the moving heap while oneDNN holds their address
      if (b.spec.out) {
        if (!this.layoutBlind) setLayout(a, undefined);
        if (b.reorder && b.spec.keep && b.bytes === a.byteLength) {
          check('memory_set_data_handle', f.set_handle!(b.mem, a)); // written blocked, tagged below
          continue;
        }
      } else if (!this.layoutBlind) {
        const tag = layoutOf(a);
        if (tag && b.layout && sameLayout(tag, b.layout)) {
          check('memory_set_data_handle', f.set_handle!(b.mem, a)); // already in the wanted layout
          continue;
        }
        if (tag) toPlain(a);
      }
      if (!b.reorder || ready?.has(i)) {
        check('memory_set_data_handle', f.set_handle!(b.mem, a));
        continue;
      }
      check('memory_set_data_handle', f.set_handle!(b.mem, scratch(b.spec.arg, b.bytes)));
      if (b.spec.out) continue;
      check('memory_set_data_handle', f.set_handle!(b.reorder.userMem, a));
      check('reorder', f.execute!(b.reorder.prim, d.stream, 2, b.reorder.args));
    }
    check('primitive_execute', f.execute!(this.prim, d.stream, bound.length, this.args));
    for (let i = 0; i < bound.length; i++) {
      const b = bound[i]!;
      if (!b.reorder || !b.spec.out) continue;
      if (b.spec.keep && b.bytes === arrays[i]!.byteLength) {
        setLayout(arrays[i]!, b.layout!);
        continue;
      }
      check('memory_set_data_handle', f.set_handle!(b.reorder.userMem, arrays[i]!));
      check('reorder', f.execute!(b.reorder.prim, d.stream, 2, b.reorder.args));
    }
    check('stream_wait', f.stream_wait!(d.stream));
  }
}
