// checkLayout: whether a checkpoint's layout rows are a model's, with a message naming the first
// row that differs. Kept beside the file format (checkpoint.ts) that re-exports it.

import type { CheckpointContent } from './checkpoint.js';
import { fail, NnErrorCode } from './errors.js';
import type { Layout } from './layout.js';

/**
 * Throws ERR_NN_LAYOUT_MISMATCH unless the checkpoint's layout rows are the model's (names and
 * shapes, in order), naming the first row (counted from 0) that differs, or the row counts.
 */
export function checkLayout(content: Pick<CheckpointContent, 'layout'>, layout: Layout): void {
  const saved = content.layout;
  const model = layout.rows;
  const hint = "build the model from the checkpoint's config, or load a checkpoint of this model";
  for (let i = 0; i < Math.min(saved.length, model.length); i++) {
    const [a, b] = [saved[i]!, model[i]!];
    if (a.name === b.name && sameShape(a.shape, b.shape)) continue;
    const rows =
      a.name === b.name
        ? `row ${i} '${a.name}': checkpoint has ${shapeText(a.shape)}, model has ${shapeText(b.shape)}`
        : `row ${i}: checkpoint has '${a.name}' ${shapeText(a.shape)}, model has '${b.name}' ${shapeText(b.shape)}`;
    mismatch(`${rows}; ${hint}`);
  }
  if (saved.length !== model.length) {
    mismatch(
      `checkpoint has ${saved.length} layout rows, model has ${model.length} (the first ${Math.min(saved.length, model.length)} agree); ${hint}`,
    );
  }
}

function mismatch(what: string): never {
  return fail(NnErrorCode.LAYOUT_MISMATCH, `checkpoint does not fit the model: ${what}`);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function shapeText(shape: readonly number[]): string {
  return `(${shape.join(', ')})`;
}
