/**
 * oneDNN (libdnnl.so.2, the library behind Paddle's and PyTorch's fast CPU kernels) through
 * koffi: convolutions, batch norm, ReLU, addition and pooling run as its JIT-compiled primitives
 * when the library is installed (Debian/Ubuntu package `libdnnl2`, version 2.x C API). Without
 * it, or with OAR_NO_DNNL=1, the OpenBLAS / TypeScript kernels run instead.
 *
 * Descriptors are passed as opaque byte buffers (the 2.x API fills structs in place); handles
 * are koffi pointers. Numbers below are the enum values of the 2.x headers (dnnl_types.h).
 */
import type * as Koffi from 'koffi';

type Ptr = unknown;
type Fn = (...args: unknown[]) => number;

export const DT_F32 = 3;
export const TAG_ANY = 1;
export const TAG_A = 2;
export const TAG_AB = 3;
export const TAG_ABC = 4;
export const TAG_ABCD = 5; // nchw, oihw
export const TAG_ABCDE = 7; // goihw
export const TAG_NCHW8C = 93; // aBcd8b: channels in blocks of 8

export const PROP_FWD_TRAINING = 64;
export const PROP_FWD_INFERENCE = 96;
export const PROP_BACKWARD = 128;
export const PROP_BACKWARD_DATA = 160;

export const ALG_CONV_DIRECT = 1;
export const ALG_ELTWISE_RELU = 31;
export const ALG_ELTWISE_TANH = 0x2f;
export const ALG_ELTWISE_LINEAR = 0x7f;
export const ALG_ELTWISE_LOGISTIC = 0xaf;
export const ALG_ELTWISE_SWISH = 0xdf;
export const ALG_ELTWISE_CLIP = 0xff;
export const ALG_ELTWISE_HARDSWISH = 0x70;
export const ALG_ELTWISE_GELU_TANH = 0xcf;
export const ALG_ELTWISE_GELU_ERF = 0x30;
/** Backward from the forward result (the *_use_dst_for_bwd algorithms). */
export const ALG_ELTWISE_TANH_USE_DST = 0x101;
export const ALG_ELTWISE_LOGISTIC_USE_DST = 0x104;
export const ALG_BINARY_ADD = 0x1fff0;
export const ALG_BINARY_MUL = 0x1fff1;
export const ALG_POOL_MAX = 0x1ff;
export const ALG_POOL_AVG_INCLUDE_PAD = 0x2ff;
export const ALG_POOL_AVG_EXCLUDE_PAD = 0x3ff;

export const BN_GLOBAL_STATS = 1;
export const BN_USE_SCALE = 8;
export const BN_USE_SHIFT = 16;

export const ARG = {
  SRC: 1,
  SRC_1: 2,
  DST: 17,
  WEIGHTS: 33,
  BIAS: 41,
  MEAN: 49,
  VARIANCE: 50,
  SCALE: 51,
  SHIFT: 52,
  WORKSPACE: 64,
  DIFF_SRC: 129,
  DIFF_DST: 145,
  DIFF_WEIGHTS: 161,
  DIFF_SCALE: 255,
  DIFF_SHIFT: 256,
  /** src1 of the first binary post-op (DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1). */
  POST_OP_0_SRC_1: 16384 | 2,
} as const;

export const QUERY = {
  SRC: 129,
  DIFF_SRC: 130,
  WEIGHTS: 131,
  DIFF_WEIGHTS: 132,
  DST: 133,
  DIFF_DST: 134,
  WORKSPACE: 135,
  IMPL_INFO: 8,
} as const;

/** Room for any 2.x descriptor struct (dnnl_convolution_desc_t, the largest used, is 5976 bytes). */
export const DESC_BYTES = 8192;
/** sizeof(dnnl_memory_desc_t) in 2.x is 696 bytes. */
export const MD_BYTES = 1024;

export interface Dnnl {
  koffi: typeof Koffi;
  path: string;
  version: string;
  engine: Ptr;
  stream: Ptr;
  f: Record<string, Fn>;
  mdGetSize: (md: Ptr) => number | bigint;
  mdEqual: (a: Ptr, b: Ptr) => number;
  queryMd: (pd: Ptr, what: number, index: number) => Ptr;
}

const CANDIDATES = [
  'libdnnl.so.2',
  '/usr/lib/x86_64-linux-gnu/libdnnl.so.2',
  '/usr/lib/aarch64-linux-gnu/libdnnl.so.2',
  '/usr/local/lib/libdnnl.so.2',
  'libdnnl.so',
];

const STATUS = ['success', 'out_of_memory', 'invalid_arguments', 'unimplemented', 'iterator_ends', 'runtime_error', 'not_required'];

let lib: Dnnl | null | undefined;
let enabled = process.env.OAR_NO_DNNL !== '1';

function load(): Dnnl | null {
  let koffi: typeof Koffi;
  try {
    koffi = require('koffi');
  } catch {
    return null;
  }
  const list = process.env.OAR_DNNL_LIB ? [process.env.OAR_DNNL_LIB, ...CANDIDATES] : CANDIDATES;
  for (const path of list) {
    let h: ReturnType<typeof koffi.load>;
    try {
      h = koffi.load(path);
    } catch {
      continue;
    }
    pinLoaded(koffi, path);
    try {
      const ver = h.func('void* dnnl_version()');
      const vp = ver();
      const v = koffi.decode(vp, koffi.array('int', 3)) as number[];
      if (v[0] !== 2) continue; // the 3.x API replaced descriptor structs with handles
      const decl: Record<string, string> = {
        engine_create: 'int dnnl_engine_create(_Out_ void** engine, int kind, size_t index)',
        stream_create: 'int dnnl_stream_create(_Out_ void** stream, void* engine, unsigned int flags)',
        stream_wait: 'int dnnl_stream_wait(void* stream)',
        md_by_tag: 'int dnnl_memory_desc_init_by_tag(void* md, int ndims, void* dims, int dt, int tag)',
        md_by_strides: 'int dnnl_memory_desc_init_by_strides(void* md, int ndims, void* dims, int dt, void* strides)',
        memory_create: 'int dnnl_memory_create(_Out_ void** mem, void* md, void* engine, void* handle)',
        set_handle: 'int dnnl_memory_set_data_handle(void* mem, void* handle)',
        pd_create: 'int dnnl_primitive_desc_create(_Out_ void** pd, void* desc, void* attr, void* engine, void* hint)',
        pd_query: 'int dnnl_primitive_desc_query(void* pd, int what, int index, _Out_ void** result)',
        prim_create: 'int dnnl_primitive_create(_Out_ void** prim, void* pd)',
        execute: 'int dnnl_primitive_execute(void* prim, void* stream, int nargs, void* args)',
        reorder_pd: 'int dnnl_reorder_primitive_desc_create(_Out_ void** pd, void* src_md, void* src_engine, void* dst_md, void* dst_engine, void* attr)',
        conv_fwd:
          'int dnnl_dilated_convolution_forward_desc_init(void* desc, int prop, int alg, void* src, void* wei, void* bias, void* dst, void* strides, void* dil, void* pl, void* pr)',
        conv_bwd_data:
          'int dnnl_dilated_convolution_backward_data_desc_init(void* desc, int alg, void* diff_src, void* wei, void* diff_dst, void* strides, void* dil, void* pl, void* pr)',
        conv_bwd_weights:
          'int dnnl_dilated_convolution_backward_weights_desc_init(void* desc, int alg, void* src, void* diff_wei, void* diff_bias, void* diff_dst, void* strides, void* dil, void* pl, void* pr)',
        bn_fwd: 'int dnnl_batch_normalization_forward_desc_init(void* desc, int prop, void* data, float eps, unsigned int flags)',
        bn_bwd: 'int dnnl_batch_normalization_backward_desc_init(void* desc, int prop, void* diff_data, void* data, float eps, unsigned int flags)',
        ln_fwd: 'int dnnl_layer_normalization_forward_desc_init(void* desc, int prop, void* data, void* stat, float eps, unsigned int flags)',
        ln_bwd: 'int dnnl_layer_normalization_backward_desc_init(void* desc, int prop, void* diff_data, void* data, void* stat, float eps, unsigned int flags)',
        eltwise_fwd: 'int dnnl_eltwise_forward_desc_init(void* desc, int prop, int alg, void* data, float alpha, float beta)',
        eltwise_bwd: 'int dnnl_eltwise_backward_desc_init(void* desc, int alg, void* diff_data, void* data, float alpha, float beta)',
        binary: 'int dnnl_binary_desc_init(void* desc, int alg, void* src0, void* src1, void* dst)',
        matmul: 'int dnnl_matmul_desc_init(void* desc, void* src, void* weights, void* bias, void* dst)',
        inner_product_fwd: 'int dnnl_inner_product_forward_desc_init(void* desc, int prop, void* src, void* weights, void* bias, void* dst)',
        reduction: 'int dnnl_reduction_desc_init(void* desc, int alg, void* src, void* dst, float p, float eps)',
        softmax_fwd: 'int dnnl_softmax_forward_desc_init(void* desc, int prop, void* data, int axis)',
        softmax_bwd: 'int dnnl_softmax_backward_desc_init(void* desc, void* diff_data, void* data, int axis)',
        logsoftmax_fwd: 'int dnnl_logsoftmax_forward_desc_init(void* desc, int prop, void* data, int axis)',
        logsoftmax_bwd: 'int dnnl_logsoftmax_backward_desc_init(void* desc, void* diff_data, void* data, int axis)',
        sgemm: 'int dnnl_sgemm(char ta, char tb, int64_t m, int64_t n, int64_t k, float alpha, void* a, int64_t lda, void* b, int64_t ldb, float beta, void* c, int64_t ldc)',
        attr_create: 'int dnnl_primitive_attr_create(_Out_ void** attr)',
        attr_set_post_ops: 'int dnnl_primitive_attr_set_post_ops(void* attr, void* post_ops)',
        post_ops_create: 'int dnnl_post_ops_create(_Out_ void** post_ops)',
        post_ops_append_binary: 'int dnnl_post_ops_append_binary(void* post_ops, int alg, void* src1)',
        post_ops_append_eltwise: 'int dnnl_post_ops_append_eltwise(void* post_ops, float scale, int alg, float alpha, float beta)',
        pool_fwd:
          'int dnnl_pooling_v2_forward_desc_init(void* desc, int prop, int alg, void* src, void* dst, void* strides, void* kernel, void* dil, void* pl, void* pr)',
        pool_bwd:
          'int dnnl_pooling_v2_backward_desc_init(void* desc, int alg, void* diff_src, void* diff_dst, void* strides, void* kernel, void* dil, void* pl, void* pr)',
      };
      const f: Record<string, Fn> = {};
      for (const [k, d] of Object.entries(decl)) f[k] = h.func(d) as Fn;
      const eng: Ptr[] = [null];
      check('engine_create', f.engine_create!(eng, 1, 0));
      const st: Ptr[] = [null];
      check('stream_create', f.stream_create!(st, eng[0], 1));
      setOmpThreads(koffi);
      return {
        koffi,
        path,
        version: v.join('.'),
        engine: eng[0],
        stream: st[0],
        f,
        mdGetSize: h.func('size_t dnnl_memory_desc_get_size(void* md)') as Dnnl['mdGetSize'],
        mdEqual: h.func('int dnnl_memory_desc_equal(void* a, void* b)') as Dnnl['mdEqual'],
        queryMd: h.func('void* dnnl_primitive_desc_query_md(void* pd, int what, int index)') as Dnnl['queryMd'],
      };
    } catch {
      continue; // not the 2.x C API
    }
  }
  return null;
}

/**
 * Keeps the library mapped until the process ends. Node unloads native libraries at exit while
 * OpenMP's worker threads may still be spinning in them, which crashed about half of the
 * processes that had run 2-thread oneDNN work (exit status 139). A second dlopen with
 * RTLD_NODELETE makes the later unload a no-op, at no cost while running.
 */
function pinLoaded(koffi: typeof Koffi, path: string): void {
  const RTLD_NOW = 2;
  const RTLD_NODELETE = 0x1000;
  try {
    const dlopen = koffi.load('libc.so.6').func('void* dlopen(const char* file, int mode)');
    dlopen(path, RTLD_NOW | RTLD_NODELETE);
  } catch {
    // Not glibc: nothing to pin with; OMP_WAIT_POLICY=passive avoids the crash there.
  }
}

let ompSetThreads: ((n: number) => void) | null | undefined;

/**
 * oneDNN's CPU runtime here is OpenMP (libgomp); its team size follows OAR_NUM_THREADS like
 * OpenBLAS's, set on the calling (main) thread, at load and by setDnnlThreads.
 */
function setOmpThreads(koffi: typeof Koffi): void {
  try {
    ompSetThreads = koffi.load('libgomp.so.1').func('void omp_set_num_threads(int)') as (n: number) => void;
  } catch {
    ompSetThreads = null; // another OpenMP runtime: it reads OMP_NUM_THREADS itself
  }
  const threads = Number(process.env.OAR_NUM_THREADS ?? 0);
  if (threads > 0) ompSetThreads?.(threads);
}

/** Sets the OpenMP team size of oneDNN's primitives if the library is loaded. */
export function setDnnlThreads(n: number): void {
  if (lib) ompSetThreads?.(n);
}

export function check(fn: string, status: number): void {
  if (status !== 0) throw new Error(`oneDNN ${fn} failed: ${STATUS[status] ?? `status ${status}`}`);
}

/** The loaded library, or null when absent or disabled. */
export function dnnl(): Dnnl | null {
  if (!enabled) return null;
  if (lib === undefined) lib = load();
  return lib;
}

/** The library if it was loaded, even while disabled (blocked arrays still need converting). */
export function loadedDnnl(): Dnnl | null {
  return lib ?? null;
}

/** Where oneDNN was loaded from and its version, or null when its kernels are not in use. */
export function dnnlInfo(): { path: string; version: string } | null {
  const d = dnnl();
  return d ? { path: d.path, version: d.version } : null;
}

/**
 * @internal Turns the oneDNN kernels on or off (tests run the conformance cases both ways);
 * returns the previous setting.
 */
export function setDnnlEnabled(on: boolean): boolean {
  const prev = enabled;
  enabled = on;
  return prev;
}

/** One post-op: a binary operation with a second operand of layout md (a buffer or a descriptor pointer), or an elementwise function. */
export type PostOp = { binary: number; md: unknown } | { eltwise: number; alpha: number; beta: number };

/** Primitive attributes holding the post-ops, applied in order to the primitive's result. */
export function postOpsAttr(d: Dnnl, ops: readonly PostOp[]): unknown {
  const po: unknown[] = [null];
  check('post_ops_create', d.f.post_ops_create!(po));
  for (const op of ops) {
    if ('binary' in op) check('post_ops_append_binary', d.f.post_ops_append_binary!(po[0], op.binary, op.md));
    else check('post_ops_append_eltwise', d.f.post_ops_append_eltwise!(po[0], 1, op.eltwise, op.alpha, op.beta));
  }
  const attr: unknown[] = [null];
  check('primitive_attr_create', d.f.attr_create!(attr));
  check('primitive_attr_set_post_ops', d.f.attr_set_post_ops!(attr[0], po[0]));
  return attr[0];
}

/** Primitive attributes holding one binary post-op (alg applied with a second operand of layout md). */
export function binaryPostOpAttr(d: Dnnl, alg: number, md: Uint8Array): unknown {
  return postOpsAttr(d, [{ binary: alg, md }]);
}

/** The dnnl_exec_arg_t array ({ int arg; dnnl_memory_t memory; }, 16 bytes each) for (arg, memory) pairs. */
export function execArgs(d: Dnnl, pairs: [number, unknown][]): Uint8Array {
  const b = new Uint8Array(16 * pairs.length);
  const v = new DataView(b.buffer);
  pairs.forEach(([arg, mem], i) => {
    v.setInt32(16 * i, arg, true);
    v.setBigUint64(16 * i + 8, BigInt(d.koffi.address(mem as never) as bigint | number), true);
  });
  return b;
}

/** A plain (row-major) f32 memory descriptor: tag a, ab, abc, abcd (nchw/oihw) or abcde (goihw). */
export function plainMd(d: Dnnl, dims: readonly number[]): Uint8Array {
  const tags = [0, TAG_A, TAG_AB, TAG_ABC, TAG_ABCD, TAG_ABCDE];
  return mdByTag(d, dims, tags[dims.length]!);
}

export function mdByTag(d: Dnnl, dims: readonly number[], tag: number): Uint8Array {
  const md = new Uint8Array(MD_BYTES);
  check('memory_desc_init_by_tag', d.f.md_by_tag!(md, dims.length, dimsArg(dims), DT_F32, tag));
  return md;
}

/** An f32 memory descriptor of `dims` with the given element strides (up to 12 dimensions). */
export function mdByStrides(d: Dnnl, dims: readonly number[], strides: readonly number[]): Uint8Array {
  const md = new Uint8Array(MD_BYTES);
  check('memory_desc_init_by_strides', d.f.md_by_strides!(md, dims.length, dimsArg(dims), DT_F32, dimsArg(strides)));
  return md;
}

/** A dnnl_dims_t (int64[12]). */
export function dimsArg(v: readonly number[]): BigInt64Array {
  const a = new BigInt64Array(12);
  for (let i = 0; i < v.length; i++) a[i] = BigInt(v[i]!);
  return a;
}
