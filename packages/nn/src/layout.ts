// The layout table: the ordered (name, shape) rows of every parameter of a model. It drives the
// parameter buffer's offsets, the gradient slots and optimizer moments (same offsets), the
// checkpoint's tensor order and the interop names, so no two lists have to agree by hand.
// The hash covers names and shapes only, never offsets or padding (DESIGN.md, "The memory model").
// MODEL_MAX_PARAMS bounds a layout's size before anything of that size is allocated.
import { createHash } from 'node:crypto';
import { fail, NnErrorCode } from './errors.js';

export interface LayoutRow {
  /** dotted name, e.g. `layers.0.forward.weight_ih` */
  name: string;
  shape: number[];
}

export interface PlacedRow extends LayoutRow {
  /** offset in floats from the start of the parameter buffer */
  offset: number;
  /** number of floats */
  size: number;
}

export class Layout {
  readonly rows: readonly PlacedRow[];
  /** total floats (P) */
  readonly size: number;
  private readonly byName: Map<string, PlacedRow>;

  constructor(rows: readonly LayoutRow[]) {
    let offset = 0;
    this.rows = rows.map((row) => {
      const size = row.shape.reduce((a, b) => a * b, 1);
      const placed = { name: row.name, shape: [...row.shape], offset, size };
      offset += size;
      return placed;
    });
    this.size = offset;
    this.byName = new Map(this.rows.map((row) => [row.name, row]));
  }

  row(name: string): PlacedRow | undefined {
    return this.byName.get(name);
  }

  /** The view of row `name` inside a buffer laid out by this table. */
  view(buffer: Float32Array, name: string): Float32Array {
    const row = this.byName.get(name);
    if (row === undefined) throw new Error(`layout has no row '${name}'`);
    return buffer.subarray(row.offset, row.offset + row.size);
  }

  /** SHA-256 (hex) over the rows' names and shapes, in order. */
  hash(): string {
    const hash = createHash('sha256');
    for (const row of this.rows) hash.update(`${row.name}:${row.shape.join('x')};`);
    return hash.digest('hex');
  }
}

/** Limit: the most parameters a model may have (2^27 floats, 512 MiB), checked before any is allocated. */
export const MODEL_MAX_PARAMS = 2 ** 27;

/** ERR_NN_LIMIT_EXCEEDED when a model of `size` parameters is over MODEL_MAX_PARAMS. */
export function checkParamCount(size: number): void {
  if (size > MODEL_MAX_PARAMS) {
    fail(
      NnErrorCode.LIMIT_EXCEEDED,
      `the model would have ${size.toLocaleString('en')} parameters, over MODEL_MAX_PARAMS ` +
        `(${MODEL_MAX_PARAMS.toLocaleString('en')}); use fewer units, layers or a smaller vocabulary`,
    );
  }
}
