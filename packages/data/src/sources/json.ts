// JSON sources: a file holding one array of records (`readJson`, read whole, bounded by
// JSON_MAX_FILE_BYTES), JSON Lines streamed one record per line (`streamJsonLines`, memory bounded
// by JSONL_MAX_LINE_BYTES), and `recordsToTable`, which turns records into typed columns under
// the same missing-value policy as the CSV source. Syntax errors name file:line:column. Not a
// general JSON query tool: records are flat objects; nested values are only kept as text.

import type { Readable } from 'node:stream';
import { DataErrorCode, describeGot, fail, optionsOf } from '../errors.js';
import { lineColumn, locateJsonError } from './json-syntax.js';
import {
  applyMissing,
  COLUMN_TYPES,
  type ColumnType,
  checkMissingPolicy,
  type MissingPolicy,
  missingCarry,
  parseDateText,
  type Table,
  TableBuilder,
} from './table.js';
import { byteChunks, decode, readFileBounded } from './text.js';

/** Limit: bytes in a file readJson reads whole; a bigger one is ERR_DATA_LIMIT_EXCEEDED, unread. */
export const JSON_MAX_FILE_BYTES = 256 * 1024 * 1024;
/** Limit: bytes in one line of JSON Lines (without its line end); longer is ERR_DATA_LIMIT_EXCEEDED. */
export const JSONL_MAX_LINE_BYTES = 16 * 1024 * 1024;

export type JsonRecord = Record<string, unknown>;

export interface JsonOptions {
  maxBytes?: number; // readJson: default JSON_MAX_FILE_BYTES; streamJsonLines: default JSONL_MAX_LINE_BYTES
  name?: string; // streamJsonLines from a Readable: the name messages use (default '<stream>')
}

export interface RecordsToTableOptions {
  missing?: MissingPolicy; // default 'error'; null or an absent key is a missing value
  name?: string; // what messages call the records (default '<records>'), e.g. the file name
}

/** The array of records in the JSON file at `path`. */
export async function readJson(path: string, options: JsonOptions = {}): Promise<JsonRecord[]> {
  const max = positive(optionsOf(options, 'readJson').maxBytes, JSON_MAX_FILE_BYTES);
  const text = decode(await readFileBounded(path, max, 'JSON_MAX_FILE_BYTES'));
  const value = parseOrFail(text, path, 1);
  if (!Array.isArray(value)) {
    fail(
      DataErrorCode.BAD_JSON,
      `${path}: expected an array of records at the top level, found ${kindOf(value)}`,
    );
  }
  value.forEach((item, i) => {
    if (kindOf(item) !== 'an object') {
      fail(
        DataErrorCode.BAD_JSON,
        `${path}: element ${i} of the array is ${kindOf(item)}, not a record (an object)`,
      );
    }
  });
  return value as JsonRecord[];
}

/** The records of a JSON Lines file or stream, one per non-blank line, read as they stream. */
export async function* streamJsonLines(
  source: string | Readable,
  options: JsonOptions = {},
): AsyncGenerator<JsonRecord> {
  optionsOf(options, 'streamJsonLines');
  const file = typeof source === 'string' ? source : (options.name ?? '<stream>');
  const splitter = new LineSplitter(file, positive(options.maxBytes, JSONL_MAX_LINE_BYTES));
  const lines: Buffer[] = [];
  for await (const chunk of byteChunks(source, file)) {
    splitter.push(chunk, lines);
    yield* recordsOf(lines, splitter, file);
  }
  splitter.end(lines);
  yield* recordsOf(lines, splitter, file);
}

/** Parses (and empties) `lines`, the lines the splitter just completed. */
function* recordsOf(lines: Buffer[], splitter: LineSplitter, file: string): Generator<JsonRecord> {
  const batch = lines.splice(0);
  const firstLine = splitter.firstLineOf(batch.length);
  for (let k = 0; k < batch.length; k++) {
    const text = decode(batch[k]);
    if (text.trim() === '') continue;
    const value = parseOrFail(text, file, firstLine + k);
    if (kindOf(value) !== 'an object') {
      fail(
        DataErrorCode.BAD_JSON,
        `${file}:${firstLine + k}: expected a record (an object), found ${kindOf(value)}`,
      );
    }
    yield value as JsonRecord;
  }
}

/** Typed columns from records: `columns` maps each name to its type, in output order. */
export function recordsToTable(
  records: readonly JsonRecord[],
  columns: Record<string, ColumnType>,
  options: RecordsToTableOptions = {},
): Table {
  if (!Array.isArray(records)) {
    fail(
      DataErrorCode.BAD_OPTION,
      `recordsToTable: records must be an array of objects, got ${describeGot(records)}`,
    );
  }
  if (typeof columns !== 'object' || columns === null || Array.isArray(columns)) {
    fail(
      DataErrorCode.BAD_OPTION,
      `recordsToTable: columns must be an object { name: type }, got ${describeGot(columns)}`,
    );
  }
  const name = optionsOf(options, 'recordsToTable').name ?? '<records>';
  const names = Object.keys(columns);
  const types = names.map((n) => columns[n]);
  types.forEach((type, c) => {
    if (!COLUMN_TYPES.includes(type))
      fail(DataErrorCode.BAD_OPTION, `columns.${names[c]} must be one of ${COLUMN_TYPES.join(', ')}`);
  });
  const missing = checkMissingPolicy(options.missing);
  const builder = new TableBuilder(names, types, Math.max(1, records.length));
  const cells: (number | string)[] = new Array(names.length);
  const present = new Uint8Array(names.length);
  records.forEach((record, r) => {
    for (let c = 0; c < names.length; c++) {
      const value = record[names[c]];
      if (value !== undefined) present[c] = 1;
      cells[c] = cellOf(value, types[c], () => `${name}: record ${r}, column '${names[c]}'`);
    }
    builder.append(cells, r);
  });
  const absent = names.filter((_, c) => present[c] === 0);
  if (records.length > 0 && absent.length > 0) {
    fail(
      DataErrorCode.BAD_JSON,
      `${name}: no record has column '${absent[0]}'; found: ${Object.keys(records[0]).join(', ')}`,
    );
  }
  const { table, origins } = builder.take();
  return applyMissing(
    table,
    missing,
    missingCarry(names.length),
    (r) => `${name}: record ${origins[r]}`,
    DataErrorCode.BAD_JSON,
  );
}

function cellOf(value: unknown, type: ColumnType, where: () => string): number | string {
  if (type === 'string') {
    if (value === null || value === undefined) return '';
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    return JSON.stringify(value);
  }
  if (value === null || value === undefined) return Number.NaN;
  if (typeof value === 'number') return value;
  if (type === 'date' && typeof value === 'string') {
    const ms = parseDateText(value);
    if (!Number.isNaN(ms)) return ms;
    fail(
      DataErrorCode.BAD_JSON,
      `${where()}: '${value.slice(0, 40)}' is not a date (expected YYYY-MM-DD or an ISO date-time)`,
    );
  }
  fail(
    DataErrorCode.BAD_JSON,
    `${where()}: expected ${type === 'number' ? 'a number' : 'a date'}, found ${kindOf(value)}`,
  );
}

function parseOrFail(text: string, file: string, firstLine: number): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const at = locateJsonError(text) ?? { offset: 0, reason: (err as Error).message };
    const { line, column } = lineColumn(text, at.offset);
    fail(
      DataErrorCode.BAD_JSON,
      `${file}:${firstLine + line - 1}:${column}: not valid JSON: ${at.reason}`,
      err,
    );
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

function positive(value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0)
    fail(DataErrorCode.BAD_OPTION, 'options.maxBytes must be a positive integer');
  return value;
}

/** Splits bytes into lines (LF or CRLF), holding at most one line, of at most `maxBytes`. */
class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private nextLine = 1; // the line number of the next line to hand out

  constructor(
    private readonly file: string,
    private readonly maxBytes: number,
  ) {}

  /** The line number of the first of `count` lines just handed out (call once per batch). */
  firstLineOf(count: number): number {
    const first = this.nextLine;
    this.nextLine += count;
    return first;
  }

  push(chunk: Buffer, out: Buffer[]): void {
    let start = 0;
    for (let lf = chunk.indexOf(0x0a); lf !== -1; lf = chunk.indexOf(0x0a, start)) {
      this.pending.push(chunk.subarray(start, lf));
      out.push(this.takeLine(out.length));
      start = lf + 1;
    }
    if (start < chunk.length) {
      this.pendingBytes += chunk.length - start;
      this.check(this.pendingBytes - 1, out.length); // -1: a CR the next LF may strip
      this.pending.push(Buffer.from(chunk.subarray(start)));
    }
  }

  end(out: Buffer[]): void {
    if (this.pendingBytes > 0) out.push(this.takeLine(out.length));
  }

  private takeLine(index: number): Buffer {
    let line = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, -1);
    this.check(line.length, index);
    this.pending = [];
    this.pendingBytes = 0;
    return line;
  }

  private check(bytes: number, index: number): void {
    if (bytes > this.maxBytes) {
      fail(
        DataErrorCode.LIMIT_EXCEEDED,
        `${this.file}:${this.nextLine + index}: a line longer than ${this.maxBytes} bytes (JSONL_MAX_LINE_BYTES; options.maxBytes raises it)`,
      );
    }
  }
}
