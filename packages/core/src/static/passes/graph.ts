/**
 * Block 0 of a program as the inference passes rewrite it: ops in order, who reads each variable,
 * and the parameter values (passes that fold one operator into another compute new parameters).
 * The block is a copy; the program it came from is left as it was.
 */
import { engine } from '../../engine/engine';
import type { Tensor } from '../../tensor/tensor';
import { AttrType, VarKind, type AttrDesc, type BlockDesc, type OpDesc, type ProgramDesc, type VarDesc } from '../proto';

export class Graph {
  readonly ops: OpDesc[];
  readonly vars: Map<string, VarDesc>;
  private readers: Map<string, OpDesc[]> | undefined;
  private position: Map<OpDesc, number> | undefined;

  constructor(
    private readonly program: ProgramDesc,
    /** Parameter values by name; passes add folded ones and retire unused ones. */
    readonly params: Map<string, Tensor>,
  ) {
    const block = program.blocks[0]!;
    this.ops = block.ops.map((op) => ({
      type: op.type,
      inputs: Object.fromEntries(Object.entries(op.inputs).map(([k, v]) => [k, [...v]])),
      outputs: Object.fromEntries(Object.entries(op.outputs).map(([k, v]) => [k, [...v]])),
      attrs: { ...op.attrs },
    }));
    this.vars = new Map(block.vars);
  }

  /** The program with the rewritten block 0 (other blocks shared with the original). */
  toProgram(): ProgramDesc {
    const b0 = this.program.blocks[0]!;
    const block: BlockDesc = { ...b0, vars: this.vars, ops: this.ops };
    return { ...this.program, blocks: [block, ...this.program.blocks.slice(1)] };
  }

  /** Ops that read `name` (fetch ops included), in program order. */
  readersOf(name: string): OpDesc[] {
    if (!this.readers) {
      this.readers = new Map();
      for (const op of this.ops) {
        for (const names of Object.values(op.inputs)) {
          for (const n of names) {
            const list = this.readers.get(n);
            if (list) {
              if (list[list.length - 1] !== op) list.push(op);
            } else this.readers.set(n, [op]);
          }
        }
      }
    }
    return this.readers.get(name) ?? [];
  }

  /** The single op reading `name`, when exactly one does and it is not a fetch. */
  soleReader(name: string): OpDesc | undefined {
    const r = this.readersOf(name);
    return r.length === 1 && r[0]!.type !== 'fetch' ? r[0] : undefined;
  }

  indexOf(op: OpDesc): number {
    if (!this.position) this.position = new Map(this.ops.map((o, i) => [o, i]));
    return this.position.get(op) ?? -1;
  }

  /** Whether any op strictly between positions `from` and `to` reads or writes one of `names`. */
  touchedBetween(from: number, to: number, names: readonly string[], writesOnly = false): boolean {
    for (let i = from + 1; i < to; i++) {
      const op = this.ops[i]!;
      const slots = writesOnly ? [op.outputs] : [op.inputs, op.outputs];
      for (const s of slots) for (const list of Object.values(s)) if (list.some((n) => names.includes(n))) return true;
    }
    return false;
  }

  /**
   * Makes `op` write `out` (the result of `later`, which reads only op's result) into its slot
   * `outSlot` instead, when no op between them touches `out`; false when it cannot.
   */
  takeOutput(op: OpDesc, outSlot: string, later: OpDesc, out: string): boolean {
    if (this.touchedBetween(this.indexOf(op), this.indexOf(later), [out])) return false;
    op.outputs[outSlot] = [out];
    this.changed();
    return true;
  }

  /** The last op before `before` that writes `name`. */
  writerBefore(name: string, before: OpDesc): OpDesc | undefined {
    for (let i = this.indexOf(before) - 1; i >= 0; i--) {
      const op = this.ops[i]!;
      if (Object.values(op.outputs).some((l) => l.includes(name))) return op;
    }
    return undefined;
  }

  /** Removes ops. */
  remove(...ops: OpDesc[]): void {
    for (const op of ops) {
      const i = this.ops.indexOf(op);
      if (i >= 0) this.ops.splice(i, 1);
    }
    this.changed();
  }

  /** Moves `op` to just before `before`. */
  moveBefore(op: OpDesc, before: OpDesc): void {
    this.ops.splice(this.ops.indexOf(op), 1);
    this.ops.splice(this.ops.indexOf(before), 0, op);
    this.changed();
  }

  /** Call after editing an op's inputs or outputs in place. */
  changed(): void {
    this.readers = undefined;
    this.position = undefined;
  }

  isParam(name: string | undefined): name is string {
    return name !== undefined && this.params.has(name);
  }

  /** A new float32 parameter (a persistable variable) named after `base`. */
  addParam(base: string, data: Float32Array, dims: number[]): string {
    let name = `${base}@fused`;
    for (let k = 1; this.vars.has(name) || this.params.has(name); k++) name = `${base}@fused_${k}`;
    // Beside the model's other parameters (on the Predictor's device), not on the default one.
    const like = this.params.get(base) ?? this.params.values().next().value;
    const t = engine.keep(engine.fromArray(data, dims, 'float32', like?.device));
    t.name = name;
    this.params.set(name, t);
    this.vars.set(name, { name, kind: VarKind.LOD_TENSOR, dataType: VarKind.FP32, dims, lodLevel: 0, persistable: true, needCheckFeed: false });
    return name;
  }

  /** Disposes and forgets the parameters no op reads any more; returns how many. */
  retireUnusedParams(): number {
    let n = 0;
    for (const [name, t] of [...this.params]) {
      if (this.readersOf(name).length) continue;
      t.dispose();
      this.params.delete(name);
      this.vars.delete(name);
      n++;
    }
    return n;
  }
}

/** The first variable of a slot. */
export function slot(io: Record<string, string[]>, name: string): string | undefined {
  return io[name]?.[0];
}

/** An op's stored attribute, read as the kind of its default (the default when absent). */
export function attrOf(op: OpDesc, name: string, def: number): number;
export function attrOf(op: OpDesc, name: string, def: string): string;
export function attrOf(op: OpDesc, name: string, def: boolean): boolean;
export function attrOf(op: OpDesc, name: string, def: number | string | boolean): number | string | boolean {
  const a = op.attrs[name];
  if (!a) return def;
  const v = a.value;
  if (typeof def === 'number') return typeof v === 'bigint' || typeof v === 'boolean' ? Number(v) : typeof v === 'number' ? v : def;
  if (typeof def === 'boolean') return typeof v === 'bigint' ? v !== 0n : Boolean(v);
  return typeof v === 'string' ? v : def;
}

export const attr = {
  int: (value: number): AttrDesc => ({ type: AttrType.INT, value }),
  str: (value: string): AttrDesc => ({ type: AttrType.STRING, value }),
  float: (value: number): AttrDesc => ({ type: AttrType.FLOAT, value }),
  bool: (value: boolean): AttrDesc => ({ type: AttrType.BOOLEAN, value }),
};

/** Host float32 values of a parameter as float64 (folding arithmetic runs in double). */
export function values(t: Tensor): Float64Array {
  return Float64Array.from(t.dataSync() as ArrayLike<number>);
}
