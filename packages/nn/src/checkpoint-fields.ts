// The checks of a checkpoint's fields shared by writing and reading (checkpoint.ts): the layout
// rows, the optimizer's kind and step, the rng state, and the layout's float count.
import type { CheckpointContent } from './checkpoint.js';
import type { LayoutRow } from './layout.js';

/** Raises the caller's coded error with a description of what is wrong. */
export type Complain = (what: string) => never;

/** Checks the layout, the optimizer's kind and step, and the rng state. */
export function checkCommon(
  value: {
    layout: LayoutRow[];
    optimizer: { kind: string; step: number } | null;
    rng: CheckpointContent['rng'];
  },
  complain: Complain,
): void {
  if (!Array.isArray(value.layout)) complain('layout is not a list of {name, shape} rows');
  value.layout.forEach((row, i) => {
    if (row === null || typeof row !== 'object' || typeof row.name !== 'string' || !isShape(row.shape)) {
      complain(`layout row ${i} is ${JSON.stringify(row)}, not {name, shape} with non-negative integer dims`);
    }
  });
  const { optimizer, rng } = value;
  if (optimizer !== null && (typeof optimizer !== 'object' || typeof optimizer.kind !== 'string')) {
    complain('optimizer is neither null nor {kind, step, hyper, state}');
  }
  if (optimizer !== null && !isCount(optimizer.step)) {
    complain(`optimizer.step is ${JSON.stringify(optimizer.step)}, not a non-negative integer`);
  }
  if (rng === null || typeof rng !== 'object' || !Number.isSafeInteger(rng.seed)) {
    complain(`rng is ${JSON.stringify(rng)}; it needs an integer seed`);
  }
  for (const key of ['epoch', 'position'] as const) {
    if (!isCount(rng[key])) complain(`rng.${key} is ${JSON.stringify(rng[key])}, not a non-negative integer`);
  }
}

export function isCount(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isShape(shape: unknown): shape is number[] {
  return Array.isArray(shape) && shape.every(isCount);
}

export function layoutSize(layout: readonly LayoutRow[]): number {
  return layout.reduce((sum, row) => sum + row.shape.reduce((a, b) => a * b, 1), 0);
}
