import type { OpSpec } from '../registry';

export const specs: OpSpec[] = [];
