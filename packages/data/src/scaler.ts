// Normalisation of numeric columns, fitted on the training rows only: z-score or min-max, per
// column. The fitted numbers travel with the model as JSON (a checkpoint's `preprocessing` field:
// `toJSON()` to save, `scalerFromJSON()` to load), so prediction applies the same transform to
// its inputs and the inverse to the model's outputs. Not here: missing-value policy (sources),
// windows and splits (windows.ts).
//
// Every column is mapped v ↦ (v − shift) / scale and back v ↦ v · scale + shift, with
//   'zscore' — shift the mean, scale the population standard deviation of the training rows;
//   'minmax' — shift the minimum, scale max − min, so the training rows map onto [0, 1].
// Porting note: as scikit-learn's StandardScaler (ddof 0) and MinMaxScaler (feature_range (0, 1)),
// including their rule for a constant column: scale 1 (the column is only shifted).
import { DataErrorCode, fail } from './errors.js';
import { columnRecord } from './sources/table.js';
import type { RowRange } from './windows.js';

export type ScalerKind = 'zscore' | 'minmax';

/** What is saved per column: mean and std for 'zscore', min and max for 'minmax'. */
export type ColumnScale = { mean: number; std: number } | { min: number; max: number };

/** The saved form of a scaler (plain JSON). */
export interface ScalerJSON {
  format: 'recur-scaler';
  version: 1;
  kind: ScalerKind;
  columns: Record<string, ColumnScale>;
}

const bad = (where: string, message: string): never => fail(DataErrorCode.BAD_OPTION, `${where}: ${message}`);
const badJson = (message: string): never => fail(DataErrorCode.BAD_JSON, `scalerFromJSON: ${message}`);

/** A fitted per-column affine map; see the header. */
export class Scaler {
  private readonly shift = new Map<string, number>();
  private readonly scale = new Map<string, number>();

  constructor(
    readonly kind: ScalerKind,
    readonly stats: Readonly<Record<string, ColumnScale>>,
  ) {
    for (const [name, s] of Object.entries(stats)) {
      const [shift, spread] = 'mean' in s ? [s.mean, s.std] : [s.min, s.max - s.min];
      this.shift.set(name, shift);
      this.scale.set(name, spread > 0 ? spread : 1);
    }
  }

  /** The columns this scaler knows, in fitting order. */
  get names(): string[] {
    return Object.keys(this.stats);
  }

  private affine(name: string, where: string): [number, number] {
    const shift = this.shift.get(name);
    if (shift === undefined) bad(`Scaler.${where}`, `no column '${name}' (fitted: ${this.names.join(', ')})`);
    return [shift as number, this.scale.get(name) as number];
  }

  /** (v − shift) / scale for every value of column `name`, as a new Float64Array. */
  transformColumn(name: string, values: ArrayLike<number>): Float64Array {
    const [shift, scale] = this.affine(name, 'transformColumn');
    const out = new Float64Array(values.length);
    for (let k = 0; k < out.length; k++) out[k] = (values[k] - shift) / scale;
    return out;
  }

  /** v · scale + shift for every value of column `name`, as a new Float64Array. */
  inverseColumn(name: string, values: ArrayLike<number>): Float64Array {
    const [shift, scale] = this.affine(name, 'inverseColumn');
    const out = new Float64Array(values.length);
    for (let k = 0; k < out.length; k++) out[k] = values[k] * scale + shift;
    return out;
  }

  /** Scaled copies of the known columns of `columns`; the others pass through as they are. */
  transform(columns: Record<string, Float64Array>): Record<string, Float64Array> {
    return this.mapColumns(columns, (name, v) => this.transformColumn(name, v));
  }

  /** The inverse of transform. */
  inverse(columns: Record<string, Float64Array>): Record<string, Float64Array> {
    return this.mapColumns(columns, (name, v) => this.inverseColumn(name, v));
  }

  private mapColumns(
    columns: Record<string, Float64Array>,
    map: (name: string, values: Float64Array) => Float64Array,
  ): Record<string, Float64Array> {
    const out = columnRecord<Float64Array>();
    for (const [name, values] of Object.entries(columns))
      out[name] = this.shift.has(name) ? map(name, values) : values;
    return out;
  }

  /**
   * Un-scales model outputs whose last axis runs over the columns `names` (O), e.g. predictions
   * (N, O) or (N, Hz, O) of windowDataset targets: value k belongs to column names[k mod O].
   */
  inverseRows(names: string[], values: ArrayLike<number>): Float64Array {
    const O = names.length;
    if (O === 0 || values.length % O !== 0) {
      bad('Scaler.inverseRows', `${values.length} values do not split into rows of ${O} columns`);
    }
    const maps = names.map((name) => this.affine(name, 'inverseRows'));
    const out = new Float64Array(values.length);
    for (let k = 0; k < out.length; k++) {
      const [shift, scale] = maps[k % O];
      out[k] = values[k] * scale + shift;
    }
    return out;
  }

  /** The saved form: plain JSON, exact (doubles round-trip through JSON text). */
  toJSON(): ScalerJSON {
    const columns = columnRecord<ColumnScale>();
    for (const [name, s] of Object.entries(this.stats)) columns[name] = { ...s };
    return { format: 'recur-scaler', version: 1, kind: this.kind, columns };
  }
}

/** Mean and population std, or min and max, of rows [start, end) of one column. */
function columnScale(kind: ScalerKind, name: string, values: Float64Array, range: RowRange): ColumnScale {
  const { start, end } = range;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let row = start; row < end; row++) {
    const v = values[row];
    if (!Number.isFinite(v))
      bad('fitScaler', `column '${name}' row ${row} is ${v}: fill or drop missing values first`);
    sum += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  if (kind === 'minmax') return { min, max };
  const mean = sum / (end - start);
  let squares = 0;
  for (let row = start; row < end; row++) squares += (values[row] - mean) ** 2;
  return { mean, std: Math.sqrt(squares / (end - start)) };
}

/**
 * Fits a scaler of `kind` to every column of `columns`, reading only rows `trainRange`
 * (the training part of a chronologicalSplit): rows outside it never change the result.
 */
export function fitScaler(
  kind: ScalerKind,
  columns: Record<string, Float64Array>,
  trainRange: RowRange,
): Scaler {
  if (kind !== 'zscore' && kind !== 'minmax')
    bad('fitScaler', `kind must be 'zscore' or 'minmax', got ${String(kind)}`);
  if (typeof columns !== 'object' || columns === null || Object.keys(columns).length === 0) {
    bad('fitScaler', 'columns must be a non-empty Record<string, Float64Array>');
  }
  const stats = columnRecord<ColumnScale>();
  for (const [name, values] of Object.entries(columns)) {
    if (!(values instanceof Float64Array)) bad('fitScaler', `column '${name}' must be a Float64Array`);
    const { start, end } = trainRange ?? { start: NaN, end: NaN };
    if (
      !Number.isSafeInteger(start) ||
      !Number.isSafeInteger(end) ||
      start < 0 ||
      end <= start ||
      end > values.length
    ) {
      bad(
        'fitScaler',
        `trainRange must be { start, end } with 0 ≤ start < end ≤ ${values.length} (column '${name}')`,
      );
    }
    stats[name] = columnScale(kind, name, values, trainRange);
  }
  return new Scaler(kind, stats);
}

function checkColumnScale(kind: ScalerKind, name: string, s: unknown): ColumnScale {
  const keys = kind === 'zscore' ? ['mean', 'std'] : ['min', 'max'];
  const record = s as Record<string, unknown>;
  if (
    typeof s !== 'object' ||
    s === null ||
    keys.some((k) => typeof record[k] !== 'number' || !Number.isFinite(record[k]))
  ) {
    badJson(`columns.${name} must be { ${keys.join(', ')} } with finite numbers for kind '${kind}'`);
  }
  const [a, b] = keys.map((k) => record[k] as number);
  if (kind === 'zscore' ? b < 0 : b < a) badJson(`columns.${name}: ${keys[1]} ${b} is out of range`);
  return kind === 'zscore' ? { mean: a, std: b } : { min: a, max: b };
}

/** A scaler from its saved form (the object, or its JSON text); bad input → ERR_DATA_BAD_JSON. */
export function scalerFromJSON(json: unknown): Scaler {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (cause) {
      fail(
        DataErrorCode.BAD_JSON,
        `scalerFromJSON: the text is not JSON (${(cause as Error).message})`,
        cause,
      );
    }
  }
  const v = value as Partial<ScalerJSON>;
  if (typeof value !== 'object' || value === null || v.format !== 'recur-scaler') {
    badJson("not a saved scaler (format 'recur-scaler' expected)");
  }
  if (v.version !== 1)
    badJson(`version ${String(v.version)} is not supported (1 is): save it again with this version`);
  if (v.kind !== 'zscore' && v.kind !== 'minmax')
    badJson(`kind must be 'zscore' or 'minmax', got ${String(v.kind)}`);
  if (typeof v.columns !== 'object' || v.columns === null) badJson('columns must be an object');
  const stats = columnRecord<ColumnScale>();
  for (const [name, s] of Object.entries(v.columns as object))
    stats[name] = checkColumnScale(v.kind as ScalerKind, name, s);
  return new Scaler(v.kind as ScalerKind, stats);
}
