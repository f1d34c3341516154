/**
 * Ranges: range (Start, End, Step tensors), linspace (Start, Stop, Num tensors) and eye. range and
 * linspace take their bounds as data, so their length is only known when the kernel runs.
 */
import type { OpSpec, SlotMap, TensorMeta } from '../registry';
import { isFloatDType } from '../../tensor/dtype';
import { fmtShape, numel } from '../../tensor/shape';
import { OpError } from '../../utils/errors';
import { intAttr, one, requireDType } from './common';
import { dtypeAttr } from './creation';

const RANGE_DTYPES = ['int32', 'int64', 'float32', 'float64'] as const;

function scalarInput(op: string, inputs: SlotMap<TensorMeta>, slot: string): TensorMeta {
  const m = one(inputs, slot);
  if (numel(m.shape) !== 1) throw new OpError(op, `input ${slot} must hold one element, got shape ${fmtShape(m.shape)}`);
  return m;
}

/** Element count of range(start, end, step), validating the direction as Paddle does. */
export function rangeSize(start: number, end: number, step: number): number {
  if (step === 0 || !Number.isFinite(step)) throw new OpError('range', `input Step must be a finite nonzero number, got ${step}`);
  if (!Number.isFinite(start) || !Number.isFinite(end)) throw new OpError('range', `inputs Start (${start}) and End (${end}) must be finite`);
  if ((step > 0 && start > end) || (step < 0 && start < end)) {
    throw new OpError('range', `Step ${step} moves away from End: Start ${start}, End ${end}`);
  }
  return Math.ceil(Math.abs((end - start) / step));
}

export const specs: OpSpec[] = [
  {
    type: 'range',
    inputs: [
      { name: 'Start', noGrad: true },
      { name: 'End', noGrad: true },
      { name: 'Step', noGrad: true },
    ],
    outputs: [{ name: 'Out' }],
    attrs: {},
    inferMeta: (inputs) => {
      const start = scalarInput('range', inputs, 'Start');
      requireDType('range', 'Start', start, [...RANGE_DTYPES]);
      for (const slot of ['End', 'Step']) {
        const m = scalarInput('range', inputs, slot);
        if (m.dtype !== start.dtype) throw new OpError('range', `input ${slot} must have Start's dtype ${start.dtype}, got ${m.dtype}`);
      }
      return { Out: { shape: [-1], dtype: start.dtype } };
    },
  },
  {
    type: 'linspace',
    inputs: [
      { name: 'Start', noGrad: true },
      { name: 'Stop', noGrad: true },
      { name: 'Num', noGrad: true },
    ],
    outputs: [{ name: 'Out' }],
    attrs: { dtype: 5 },
    inferMeta: (inputs, attrs) => {
      const start = scalarInput('linspace', inputs, 'Start');
      const stop = scalarInput('linspace', inputs, 'Stop');
      requireDType('linspace', 'Start', start, [...RANGE_DTYPES]);
      requireDType('linspace', 'Stop', stop, [...RANGE_DTYPES]);
      requireDType('linspace', 'Num', scalarInput('linspace', inputs, 'Num'), ['int32', 'int64']);
      const dtype = dtypeAttr('linspace', intAttr(attrs, 'dtype'));
      if (!(RANGE_DTYPES as readonly string[]).includes(dtype)) {
        throw new OpError('linspace', `attribute dtype must be int32, int64, float32 or float64, got ${dtype}`);
      }
      return { Out: { shape: [-1], dtype } };
    },
  },
  {
    type: 'eye',
    inputs: [],
    outputs: [{ name: 'Out' }],
    attrs: { num_rows: 0, num_columns: -1, dtype: 5 },
    inferMeta: (_inputs, attrs) => {
      const rows = intAttr(attrs, 'num_rows');
      let cols = intAttr(attrs, 'num_columns');
      if (!Number.isInteger(rows) || rows < 0) throw new OpError('eye', `attribute num_rows must be a non-negative integer, got ${rows}`);
      if (cols === -1) cols = rows;
      if (!Number.isInteger(cols) || cols < 0) throw new OpError('eye', `attribute num_columns must be a non-negative integer or -1, got ${cols}`);
      const dtype = dtypeAttr('eye', intAttr(attrs, 'dtype'));
      if (dtype === 'bool' || (!isFloatDType(dtype) && dtype !== 'int32' && dtype !== 'int64')) {
        throw new OpError('eye', `attribute dtype must be a float type, int32 or int64, got ${dtype}`);
      }
      return { Out: { shape: [rows, cols], dtype } };
    },
  },
];
