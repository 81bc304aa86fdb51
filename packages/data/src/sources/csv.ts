// CSV files (RFC 4180, a header row) as typed columns: streamed in batches (`streamCsv`) or
// collected (`readCsv`), from a path or a Node Readable, without holding the file in memory.
// Typing, inference, the missing-value policy and all messages are here; the byte-level parsing
// is csv-tokenizer.ts. Not a general CSV toolkit: no writing, no comment lines, no headerless
// files, no quote character other than ".
//
// A blank line is skipped, so in a one-column file an empty value must be written "" (quoted).

import type { Readable } from 'node:stream';
import { DataErrorCode, fail, optionsOf } from '../errors.js';
import { type CsvRecord, CsvTokenizer } from './csv-tokenizer.js';
import {
  applyMissing,
  COLUMN_TYPES,
  type ColumnType,
  checkMissingPolicy,
  isMissingText,
  type MissingCarry,
  type MissingPolicy,
  missingCarry,
  parseDateText,
  parseNumberText,
  type Table,
  TableBuilder,
} from './table.js';
import { byteChunks } from './text.js';

/** Limit: bytes in one field (after unquoting); a longer field is ERR_DATA_LIMIT_EXCEEDED. */
export const CSV_MAX_FIELD_BYTES = 1024 * 1024;
/** Limit: fields in one record; a wider record is ERR_DATA_LIMIT_EXCEEDED. */
export const CSV_MAX_COLUMNS = 10_000;
/** An untyped column is a number column when its first this many non-missing values all are. */
export const CSV_INFER_VALUES = 100;
/** Inference looks at no more rows than this (so memory stays bounded by a sparse column). */
export const CSV_INFER_MAX_ROWS = 10_000;
/** Rows per batch of `streamCsv` unless `options.batchRows` says otherwise. */
export const CSV_BATCH_ROWS = 8192;

export interface CsvOptions {
  /** Column types by name; others are inferred (number if their first values all are, else string). */
  columns?: Record<string, ColumnType>;
  /** The columns to return, in this order (default: all, in file order). */
  select?: string[];
  /** What a missing value in a number or date column does (default 'error'; see MissingPolicy). */
  missing?: MissingPolicy;
  /** One ASCII character (default ','). */
  delimiter?: string;
  /** Rows per batch of streamCsv (default CSV_BATCH_ROWS). */
  batchRows?: number;
  /** The name messages use for a Readable source (default '<stream>'); a path names itself. */
  name?: string;
  maxFieldBytes?: number; // default CSV_MAX_FIELD_BYTES
  maxColumns?: number; // default CSV_MAX_COLUMNS
}

/** A batch of rows from streamCsv; `startRow` is the index of its first row among all rows. */
export interface CsvBatch extends Table {
  startRow: number;
}

export type CsvSource = string | Readable;

interface Resolved {
  file: string;
  delimiter: number;
  missing: MissingPolicy;
  batchRows: number;
  maxFieldBytes: number;
  maxColumns: number;
  columns: Record<string, ColumnType>;
  select: string[] | null;
}

/** Streams `source` as batches of up to `batchRows` typed rows. */
export async function* streamCsv(source: CsvSource, options: CsvOptions = {}): AsyncGenerator<CsvBatch> {
  const o = resolveOptions(source, options);
  const tokenizer = new CsvTokenizer(o.file, o.delimiter, o);
  const sink = new CsvSink(o);
  const records: CsvRecord[] = [];
  const ready: CsvBatch[] = [];
  for await (const chunk of byteChunks(source, o.file)) {
    tokenizer.push(chunk, records);
    sink.acceptAll(records, ready);
    records.length = 0;
    yield* ready.splice(0);
  }
  tokenizer.end(records);
  sink.acceptAll(records, ready);
  sink.finish(ready);
  yield* ready.splice(0);
}

/** Reads all of `source` into one Table (nothing is returned if any row is bad). */
export async function readCsv(source: CsvSource, options: CsvOptions = {}): Promise<Table> {
  let table: Table | null = null; // one batch: it never fills up
  const whole = { ...optionsOf(options, 'readCsv'), batchRows: Number.POSITIVE_INFINITY };
  for await (const batch of streamCsv(source, whole)) {
    const { columns, types, rows, values } = batch;
    table = { columns, types, rows, values };
  }
  if (table === null) fail(DataErrorCode.BAD_CSV, `${nameOf(source, options)}: no rows were read`);
  return table;
}

function nameOf(source: CsvSource, options: CsvOptions): string {
  return typeof source === 'string' ? source : (options.name ?? '<stream>');
}

function resolveOptions(source: CsvSource, options: CsvOptions): Resolved {
  optionsOf(options, 'streamCsv');
  const delimiter = options.delimiter ?? ',';
  if (
    typeof delimiter !== 'string' ||
    delimiter.length !== 1 ||
    delimiter.charCodeAt(0) > 0x7f ||
    '"\r\n'.includes(delimiter)
  ) {
    fail(
      DataErrorCode.BAD_OPTION,
      'options.delimiter must be one ASCII character other than a quote, CR or LF',
    );
  }
  const batchRows = options.batchRows ?? CSV_BATCH_ROWS;
  if (!(batchRows === Number.POSITIVE_INFINITY || (Number.isInteger(batchRows) && batchRows > 0))) {
    fail(DataErrorCode.BAD_OPTION, 'options.batchRows must be a positive integer');
  }
  for (const [name, type] of Object.entries(options.columns ?? {})) {
    if (!COLUMN_TYPES.includes(type)) {
      fail(DataErrorCode.BAD_OPTION, `options.columns.${name} must be one of ${COLUMN_TYPES.join(', ')}`);
    }
  }
  const select = options.select ?? null;
  if (select !== null && (!Array.isArray(select) || new Set(select).size !== select.length)) {
    fail(DataErrorCode.BAD_OPTION, 'options.select must be an array of distinct column names');
  }
  return {
    file: nameOf(source, options),
    delimiter: delimiter.charCodeAt(0),
    missing: checkMissingPolicy(options.missing),
    batchRows,
    maxFieldBytes: positiveInteger(options.maxFieldBytes, CSV_MAX_FIELD_BYTES, 'maxFieldBytes'),
    maxColumns: positiveInteger(options.maxColumns, CSV_MAX_COLUMNS, 'maxColumns'),
    columns: options.columns ?? {},
    select,
  };
}

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0)
    fail(DataErrorCode.BAD_OPTION, `options.${name} must be a positive integer`);
  return value;
}

/** Column choice of a file: names out, their field positions, declared types (null: infer). */
interface Layout {
  header: string[];
  names: string[];
  fields: number[];
  types: (ColumnType | null)[];
}

function layoutOf(header: string[], o: Resolved, line: number): Layout {
  const seen = new Map<string, number>();
  header.forEach((name, i) => {
    const first = seen.get(name);
    if (first !== undefined) {
      fail(
        DataErrorCode.BAD_CSV,
        `${o.file}:${line}: column '${name}' appears twice in the header (fields ${first + 1} and ${i + 1})`,
      );
    }
    seen.set(name, i);
  });
  const wanted = [...(o.select ?? header), ...Object.keys(o.columns)];
  for (const name of wanted) {
    if (!seen.has(name)) {
      fail(
        DataErrorCode.BAD_CSV,
        `${o.file}:${line}: no column '${name}' in the header; found: ${header.join(', ')}`,
      );
    }
  }
  const names = o.select ?? header;
  return {
    header,
    names,
    fields: names.map((n) => seen.get(n) as number),
    types: names.map((n) => (Object.hasOwn(o.columns, n) ? (o.columns[n] as ColumnType) : null)),
  };
}

/** Decides untyped columns from their first CSV_INFER_VALUES non-missing values. */
class Inference {
  private counts: number[];
  private decided: (ColumnType | null)[];

  constructor(private readonly layout: Layout) {
    this.decided = layout.types.slice();
    this.counts = layout.types.map(() => 0);
  }

  /** Looks at one record; true once every column is decided. */
  see(fields: string[]): boolean {
    let open = false;
    for (let c = 0; c < this.decided.length; c++) {
      if (this.decided[c] !== null) continue;
      const text = fields[this.layout.fields[c]];
      if (!isMissingText(text)) {
        if (Number.isNaN(parseNumberText(text))) this.decided[c] = 'string';
        else if (++this.counts[c] >= CSV_INFER_VALUES) this.decided[c] = 'number';
      }
      if (this.decided[c] === null) open = true;
    }
    return !open;
  }

  /** Final types: a column still open is a number column if it had any value, else text. */
  types(): ColumnType[] {
    return this.decided.map((t, c) => t ?? (this.counts[c] > 0 ? 'number' : 'string'));
  }
}

/** Header, inference, typed conversion and batching of the records of one file. */
class CsvSink {
  private layout: Layout | null = null;
  private inference: Inference | null = null;
  private pending: CsvRecord[] = []; // records held while types are inferred
  private builder: TableBuilder | null = null;
  private inferred: boolean[] = [];
  private carry: MissingCarry | null = null;
  private cells: (number | string)[] = [];
  private emitted = 0;

  constructor(private readonly o: Resolved) {}

  acceptAll(records: CsvRecord[], ready: CsvBatch[]): void {
    for (const record of records) this.accept(record, ready);
  }

  finish(ready: CsvBatch[]): void {
    if (this.layout === null)
      fail(DataErrorCode.BAD_CSV, `${this.o.file}: no header row (the file is empty)`);
    if (this.builder === null) this.startTyped(ready);
    this.flush(ready, true);
  }

  private accept(record: CsvRecord, ready: CsvBatch[]): void {
    if (this.layout === null) {
      this.layout = layoutOf(record.fields, this.o, record.line);
      this.inference = new Inference(this.layout);
      if (this.layout.types.every((t) => t !== null)) this.startTyped(ready); // all declared
      return;
    }
    this.checkWidth(record);
    if (this.builder !== null) {
      this.convert(record, ready);
      return;
    }
    this.pending.push(record);
    const done = (this.inference as Inference).see(record.fields);
    if (done || this.pending.length >= CSV_INFER_MAX_ROWS) this.startTyped(ready);
  }

  private checkWidth(record: CsvRecord): void {
    const expected = (this.layout as Layout).header.length;
    if (record.fields.length !== expected) {
      fail(
        DataErrorCode.BAD_CSV,
        `${this.o.file}:${record.line}: expected ${expected} fields as in the header, found ${record.fields.length}`,
      );
    }
  }

  /** Types are known: make the builder and convert the records held during inference. */
  private startTyped(ready: CsvBatch[]): void {
    const layout = this.layout as Layout;
    const types = (this.inference as Inference).types();
    this.inferred = layout.types.map((t) => t === null);
    const capacity = Math.min(this.o.batchRows, 1 << 16);
    this.builder = new TableBuilder(layout.names.slice(), types, capacity);
    this.carry = missingCarry(types.length);
    this.cells = new Array(types.length);
    for (const record of this.pending) this.convert(record, ready);
    this.pending = [];
  }

  private convert(record: CsvRecord, ready: CsvBatch[]): void {
    const builder = this.builder as TableBuilder;
    const layout = this.layout as Layout;
    for (let c = 0; c < this.cells.length; c++) {
      this.cells[c] = this.cell(record, c, builder.types[c], record.fields[layout.fields[c]]);
    }
    builder.append(this.cells, record.line);
    if (builder.rows >= this.o.batchRows) this.flush(ready, false);
  }

  private cell(record: CsvRecord, c: number, type: ColumnType, text: string): number | string {
    if (type === 'string') return text;
    if (isMissingText(text)) return Number.NaN;
    const value = type === 'number' ? parseNumberText(text) : parseDateText(text);
    if (Number.isNaN(value)) this.badValue(record, c, type, text);
    return value;
  }

  private badValue(record: CsvRecord, c: number, type: ColumnType, text: string): never {
    const name = (this.builder as TableBuilder).columns[c];
    const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
    const what =
      type === 'number'
        ? 'is not a number'
        : 'is not a date (expected YYYY-MM-DD, YYYY/MM/DD, an ISO date-time or Jan 1 2000)';
    const hint = this.inferred[c]
      ? ` (the column was inferred as numbers from its first values; declare columns: { '${name}': 'string' } to read it as text)`
      : '';
    fail(DataErrorCode.BAD_CSV, `${this.o.file}:${record.line}: column '${name}': '${shown}' ${what}${hint}`);
  }

  /** Hands the rows built so far to `ready` as a batch, after the missing-value policy. */
  private flush(ready: CsvBatch[], last: boolean): void {
    const builder = this.builder as TableBuilder;
    if (builder.rows === 0 && !(last && this.emitted === 0 && ready.length === 0)) return;
    const { table, origins } = builder.take();
    const locate = (r: number) => `${this.o.file}:${origins[r]}`;
    const kept = applyMissing(
      table,
      this.o.missing,
      this.carry as MissingCarry,
      locate,
      DataErrorCode.BAD_CSV,
    );
    if (kept.rows === 0 && !last) return;
    ready.push({ ...kept, startRow: this.emitted });
    this.emitted += kept.rows;
  }
}
