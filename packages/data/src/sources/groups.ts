// Per-group sequences from a Table or a stream of Tables (what streamParquet, streamCsv yield):
// rows sharing the values of the `by` columns form one group, ordered by `orderBy`, and become one
// float sequence (T, F) of the `features` columns. For flights: by ['origin', 'destination'] gives
// per-route delay sequences, by ['origin'] per-airport ones. All groups are held until the input
// ends (F + 1 numbers per row), since a group's rows may come in any batch. Not windowing: cut
// the sequences into training windows elsewhere.

import { DataErrorCode, describeGot, fail } from '../errors.js';
import type { Table } from './table.js';

export interface GroupSequenceOptions {
  /** Key columns (any type); one sequence per distinct key. */
  by: string[];
  /** A number or date column; each group's rows are sorted by it (ties keep input order). */
  orderBy: string;
  /** Number or date columns: the F values of each step. */
  features: string[];
  /** Groups (and cut pieces) with fewer steps are dropped (default 1). */
  minLength?: number;
  /** Longer groups are cut into consecutive pieces of this many steps (default: no cut). */
  maxLength?: number;
}

export interface GroupSequence {
  key: string[]; // the `by` values (numbers written as by String())
  start: number; // the piece's first step within its sorted group (0 unless cut)
  length: number; // T
  values: Float32Array; // (T, F) step-major: values[t * F + f]
}

interface Acc {
  key: string[];
  order: number[]; // (n) orderBy value per row
  values: number[]; // (n * F)
}

/** Sequences sorted by key (code-unit order of the key values), then by start. */
export async function groupSequences(
  source: Table | AsyncIterable<Table> | Iterable<Table>,
  options: GroupSequenceOptions,
): Promise<GroupSequence[]> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    fail(
      DataErrorCode.BAD_OPTION,
      `groupSequences: options must be an object { key, features, … }, got ${describeGot(options)}`,
    );
  }
  const { minLength, maxLength } = checkLengths(options);
  const groups = new Map<string, Acc>();
  let rowBase = 0;
  for await (const table of tablesOf(source)) {
    addTable(groups, table, options, rowBase);
    rowBase += table.rows;
  }
  const keys = [...groups.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return keys.flatMap((k) => piecesOf(groups.get(k) as Acc, options.features.length, minLength, maxLength));
}

function tablesOf(
  source: Table | AsyncIterable<Table> | Iterable<Table>,
): AsyncIterable<Table> | Iterable<Table> {
  return Symbol.asyncIterator in source || Symbol.iterator in source
    ? (source as Iterable<Table>)
    : [source as Table];
}

function checkLengths(options: GroupSequenceOptions): { minLength: number; maxLength: number } {
  const minLength = options.minLength ?? 1;
  const maxLength = options.maxLength ?? Number.POSITIVE_INFINITY;
  if (!Number.isInteger(minLength) || minLength < 1)
    fail(DataErrorCode.BAD_OPTION, 'options.minLength must be a positive integer');
  if (maxLength !== Number.POSITIVE_INFINITY && (!Number.isInteger(maxLength) || maxLength < minLength)) {
    fail(DataErrorCode.BAD_OPTION, 'options.maxLength must be an integer no smaller than options.minLength');
  }
  if (!Array.isArray(options.by) || options.by.length === 0)
    fail(DataErrorCode.BAD_OPTION, 'options.by must name at least one column');
  if (!Array.isArray(options.features) || options.features.length === 0) {
    fail(DataErrorCode.BAD_OPTION, 'options.features must name at least one column');
  }
  return { minLength, maxLength };
}

/** The column index of `name`, which must be numeric if `numeric`. */
function columnOf(table: Table, name: string, numeric: boolean): number {
  const c = table.columns.indexOf(name);
  if (c < 0)
    fail(DataErrorCode.BAD_OPTION, `groupSequences: no column '${name}'; found: ${table.columns.join(', ')}`);
  if (numeric && table.types[c] === 'string') {
    fail(
      DataErrorCode.BAD_OPTION,
      `groupSequences: column '${name}' holds text; orderBy and features must be number or date columns`,
    );
  }
  return c;
}

function addTable(
  groups: Map<string, Acc>,
  table: Table,
  options: GroupSequenceOptions,
  rowBase: number,
): void {
  const by = options.by.map((n) => table.values[columnOf(table, n, false)]);
  const order = table.values[columnOf(table, options.orderBy, true)] as Float64Array;
  const features = options.features.map((n) => table.values[columnOf(table, n, true)] as Float64Array);
  const names = [options.orderBy, ...options.features];
  for (let r = 0; r < table.rows; r++) {
    const key = by.map((col) => String(col[r]));
    const id = key.join('\u0000');
    let acc = groups.get(id);
    if (acc === undefined) {
      acc = { key, order: [], values: [] };
      groups.set(id, acc);
    }
    if (Number.isNaN(order[r])) notANumber(names[0], rowBase + r);
    acc.order.push(order[r]);
    for (let f = 0; f < features.length; f++) {
      const v = features[f][r];
      if (Number.isNaN(v)) notANumber(names[f + 1], rowBase + r);
      acc.values.push(v);
    }
  }
}

function notANumber(column: string, row: number): never {
  fail(
    DataErrorCode.BAD_OPTION,
    `groupSequences: row ${row} of the input has no value (NaN) in column '${column}'; read the source with missing: 'drop-row' or 'previous'`,
  );
}

/** A group sorted by its order column and cut into pieces of at most maxLength steps. */
function piecesOf(acc: Acc, F: number, minLength: number, maxLength: number): GroupSequence[] {
  const n = acc.order.length;
  const index = Array.from({ length: n }, (_, i) => i);
  index.sort((a, b) => acc.order[a] - acc.order[b]); // stable: ties keep input order
  const out: GroupSequence[] = [];
  for (let start = 0; start < n; start += maxLength) {
    const length = Math.min(maxLength, n - start);
    if (length < minLength) break;
    const values = new Float32Array(length * F); // (T, F)
    for (let t = 0; t < length; t++) {
      const row = index[start + t];
      for (let f = 0; f < F; f++) values[t * F + f] = acc.values[row * F + f];
    }
    out.push({ key: acc.key.slice(), start, length, values });
  }
  return out;
}
