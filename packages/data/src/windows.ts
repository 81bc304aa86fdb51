// Time-series windows: numeric columns of a table (rows in time order) → a SequenceDataset of
// sliding windows, for forecasting; and the chronological train/validation/test split. The
// normalisation fitted on the training part lives in scaler.ts. Not here: reading files (the
// sources), shuffling (sampler.ts). Dimension letters: T window steps, F input columns, O target
// columns, Hz the horizon.
//
// Note [window modes]: the target of input step t is row t + horizon. A window starting at row s
// has inputs rows [s, s + window) and
//   'many-to-one'  — target (O): row s + window − 1 + horizon (horizon 1: the next row);
//   'many-to-many' — targets (T, O): rows [s + horizon, s + horizon + window);
//   'seq2seq'      — targets (Hz, O): rows [s + window, s + window + horizon), horizon ≥ 1.
// Every mode touches rows [s, s + window + horizon), so a window of span window + horizon fits in
// a range of R rows (R − span) / stride + 1 times (rounded down), starting at rows
// start, start + stride, … Windows are built inside one range only (option `range`): a window
// never straddles a train/validation/test boundary, because no window reads a row outside it.
// Porting note: as Keras' timeseries_dataset_from_array with targets offset by the horizon.
import type { BatchBuffers, SequenceDataset } from './dataset.js';
import { DataErrorCode, describeGot, fail } from './errors.js';
import { columnRecord } from './sources/table.js';

const bad = (where: string, message: string): never => fail(DataErrorCode.BAD_OPTION, `${where}: ${message}`);

/** Rows [start, end) of a table. */
export interface RowRange {
  start: number;
  end: number;
}

/** Numeric columns by name, each one value per row (dates as epoch milliseconds). */
export interface ColumnTable {
  columns: Record<string, Float64Array>;
}

export type WindowMode = 'many-to-one' | 'many-to-many' | 'seq2seq';

export interface WindowOptions {
  /** input columns, in feature order (F) */
  inputs: string[];
  /** target columns, in output order (O) */
  targets: string[];
  /** steps per window (T) */
  window: number;
  /** how far ahead the targets lie; default 1; Note [window modes] */
  horizon?: number;
  /** rows between the starts of consecutive windows; default 1 */
  stride?: number;
  mode: WindowMode;
  /** build windows only from these rows (a part of chronologicalSplit); default all rows */
  range?: RowRange;
}

/** Fractions of the rows, in time order; validation default 0, test default the rest. */
export interface SplitFractions {
  train: number;
  validation?: number;
  test?: number;
}

export interface ChronologicalSplit {
  train: RowRange;
  validation: RowRange;
  test: RowRange;
}

/**
 * Cuts rows 0..n−1 into consecutive train, validation and test ranges (no shuffling across a
 * boundary): boundaries at round(n·train) and round(n·(train + validation)).
 */
export function chronologicalSplit(n: number, fractions: SplitFractions): ChronologicalSplit {
  const where = 'chronologicalSplit';
  if (!Number.isSafeInteger(n) || n < 0) bad(where, `n must be a non-negative integer, got ${n}`);
  if (typeof fractions !== 'object' || fractions === null) bad(where, 'give { train, validation?, test? }');
  const train = fractions.train;
  const validation = fractions.validation ?? 0;
  const test = fractions.test ?? 1 - train - validation;
  for (const [name, f] of [
    ['train', train],
    ['validation', validation],
    ['test', test],
  ] as const) {
    if (typeof f !== 'number' || !(f >= 0 && f <= 1))
      bad(where, `${name} must be a fraction in [0, 1], got ${f}`);
  }
  if (Math.abs(train + validation + test - 1) > 1e-9) {
    bad(where, `train + validation + test must be 1, got ${train + validation + test}`);
  }
  const a = Math.round(n * train);
  const b = Math.max(a, Math.min(n, Math.round(n * (train + validation))));
  return { train: { start: 0, end: a }, validation: { start: a, end: b }, test: { start: b, end: n } };
}

interface ResolvedWindows {
  inputs: Float64Array[];
  targets: Float64Array[];
  window: number;
  horizon: number;
  stride: number;
  mode: WindowMode;
  range: RowRange;
}

function positive(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    bad('windowDataset', `${name} must be an integer ≥ ${min}, got ${String(value)}`);
  }
  return value as number;
}

function columnsOf(table: ColumnTable, names: unknown, field: string): Float64Array[] {
  if (!Array.isArray(names) || names.length === 0)
    bad('windowDataset', `${field} must be a non-empty array of column names`);
  return (names as string[]).map((name) => {
    const column = Object.hasOwn(table.columns, name) ? table.columns[name] : undefined;
    if (!(column instanceof Float64Array)) {
      bad(
        'windowDataset',
        `${field}: no numeric column '${name}' (columns: ${Object.keys(table.columns).join(', ')})`,
      );
    }
    return column as Float64Array;
  });
}

function resolveRange(range: RowRange | undefined, rows: number): RowRange {
  if (range === undefined) return { start: 0, end: rows };
  const ok =
    typeof range === 'object' &&
    Number.isSafeInteger(range.start) &&
    Number.isSafeInteger(range.end) &&
    range.start >= 0 &&
    range.start <= range.end &&
    range.end <= rows;
  if (!ok) bad('windowDataset', `range must be { start, end } with 0 ≤ start ≤ end ≤ ${rows}`);
  return range;
}

function resolve(table: ColumnTable, options: WindowOptions): ResolvedWindows {
  if (
    typeof table !== 'object' ||
    table === null ||
    typeof table.columns !== 'object' ||
    table.columns === null
  ) {
    bad('windowDataset', 'table must be { columns: Record<string, Float64Array> }');
  }
  if (typeof options !== 'object' || options === null)
    bad('windowDataset', 'give { inputs, targets, window, mode, ... }');
  const mode = options.mode;
  if (mode !== 'many-to-one' && mode !== 'many-to-many' && mode !== 'seq2seq') {
    bad('windowDataset', `mode must be 'many-to-one', 'many-to-many' or 'seq2seq', got ${String(mode)}`);
  }
  const inputs = columnsOf(table, options.inputs, 'inputs');
  const targets = columnsOf(table, options.targets, 'targets');
  const rows = inputs[0].length;
  for (const [k, column] of [...inputs, ...targets].entries()) {
    const name = [...options.inputs, ...options.targets][k];
    if (column.length !== rows)
      bad('windowDataset', `column '${name}' has ${column.length} rows, expected ${rows}`);
  }
  const window = positive('window', options.window, 1);
  const horizon = positive('horizon', options.horizon ?? 1, mode === 'seq2seq' ? 1 : 0);
  const stride = positive('stride', options.stride ?? 1, 1);
  const range = resolveRange(options.range, rows);
  return { inputs, targets, window, horizon, stride, mode, range };
}

/** Every value a window reads must be finite: names the first bad column and row. */
function checkFinite(r: ResolvedWindows, names: string[]): void {
  [...r.inputs, ...r.targets].forEach((column, k) => {
    for (let row = r.range.start; row < r.range.end; row++) {
      if (!Number.isFinite(column[row])) {
        bad(
          'windowDataset',
          `column '${names[k]}' row ${row} is ${column[row]}: fill or drop missing values first`,
        );
      }
    }
  });
}

/** Windows over the rows of one range; Note [window modes]. Reads the columns, copies nothing. */
export class WindowDataset implements SequenceDataset {
  readonly size: number;
  readonly steps: number;
  readonly features: number;
  readonly ids = false;
  readonly targetPerSample: number;
  readonly targetKind = 'float' as const;
  readonly hasLengths = false;
  /** the row where each window starts is range.start + i · stride */
  readonly range: RowRange;
  private readonly r: ResolvedWindows;

  constructor(table: ColumnTable, options: WindowOptions) {
    const r = resolve(table, options);
    const span = r.window + r.horizon;
    const rows = r.range.end - r.range.start;
    if (rows < span) {
      bad(
        'windowDataset',
        `range [${r.range.start}, ${r.range.end}) has ${rows} rows; a window needs window + horizon = ${span}`,
      );
    }
    checkFinite(r, [...options.inputs, ...options.targets]);
    this.r = r;
    this.range = r.range;
    this.size = Math.floor((rows - span) / r.stride) + 1;
    this.steps = r.window;
    this.features = r.inputs.length;
    const O = r.targets.length;
    this.targetPerSample =
      r.mode === 'many-to-one' ? O : r.mode === 'many-to-many' ? r.window * O : r.horizon * O;
  }

  /** The first row of window i. */
  startRow(i: number): number {
    return this.range.start + i * this.r.stride;
  }

  /** The first target row of window i, and how many target steps it has. */
  private targetRows(s: number): [number, number] {
    const { mode, window, horizon } = this.r;
    if (mode === 'many-to-one') return [s + window - 1 + horizon, 1];
    if (mode === 'many-to-many') return [s + horizon, window];
    return [s + window, horizon];
  }

  read(i: number, into: BatchBuffers, b: number): number {
    const { inputs, targets, window } = this.r;
    const s = this.startRow(i);
    const F = inputs.length;
    const x = into.x;
    if (x !== null) {
      const base = b * window * F; // row b of (B, T, F)
      for (let t = 0; t < window; t++) for (let f = 0; f < F; f++) x[base + t * F + f] = inputs[f][s + t];
    }
    const y = into.target;
    if (y !== null) {
      const O = targets.length;
      const [first, steps] = this.targetRows(s);
      const base = b * this.targetPerSample; // row b of (B, steps, O)
      for (let t = 0; t < steps; t++) for (let o = 0; o < O; o++) y[base + t * O + o] = targets[o][first + t];
    }
    return window;
  }
}

/** A SequenceDataset of sliding windows over `table`'s columns; Note [window modes]. */
export function windowDataset(table: ColumnTable, options: WindowOptions): WindowDataset {
  return new WindowDataset(table, options);
}

/**
 * The numeric and date columns of a source Table (`{ columns: string[], values }`, as the CSV,
 * JSON and Parquet sources give) as a ColumnTable; string columns are left out.
 */
export function numericColumns(table: {
  columns: string[];
  values: (Float64Array | string[])[];
}): ColumnTable {
  if (
    typeof table !== 'object' ||
    table === null ||
    !Array.isArray(table.columns) ||
    !Array.isArray(table.values)
  ) {
    fail(
      DataErrorCode.BAD_OPTION,
      `numericColumns: expected a Table { columns, values }, got ${describeGot(table)}`,
    );
  }
  const columns = columnRecord<Float64Array>();
  table.columns.forEach((name, k) => {
    const values = table.values[k];
    if (values instanceof Float64Array) columns[name] = values;
  });
  return { columns };
}
