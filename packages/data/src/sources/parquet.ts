// Parquet files streamed one row group (or `rowGroupBatch` row groups) at a time as typed
// Tables, through hyparquet (pure JS) with hyparquet-compressors for ZSTD, GZIP, Brotli and LZ4
// (flights-3m.parquet is ZSTD). Memory is bounded by the row groups of one batch: only the chosen
// columns of those groups are read from disk. Not a writer, not a query engine: no filters, no
// nested columns (structs, lists, maps are refused by name).
//
// Types: BOOLEAN, INT32, INT64, FLOAT, DOUBLE, DECIMAL → 'number' (INT64 beyond 2^53 loses
// precision); DATE, TIMESTAMP (any unit), INT96 → 'date' (epoch ms, UTC; a timestamp not adjusted
// to UTC is read as if it were); byte arrays → 'string' (UTF-8). A null in a number or date column
// is a missing value under `options.missing` (default 'error'); a null string is ''.

import type { DecodedArray, ParquetScan, SchemaElement } from 'hyparquet';
import {
  type AsyncBuffer,
  asyncBufferFromFile,
  type FileMetaData,
  parquetMetadataAsync,
  parquetScan,
  parquetSchema,
} from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { DataErrorCode, fail } from '../errors.js';
import {
  applyMissing,
  type ColumnType,
  checkMissingPolicy,
  type MissingCarry,
  type MissingPolicy,
  missingCarry,
  type Table,
} from './table.js';

/** Row groups per batch of streamParquet unless `options.rowGroupBatch` says otherwise. */
export const PARQUET_ROW_GROUP_BATCH = 1;

export interface ParquetOptions {
  /** Top-level columns to read, in this order (default: all). */
  columns?: string[];
  /** Row groups per yielded Table (default PARQUET_ROW_GROUP_BATCH). */
  rowGroupBatch?: number;
  /** What a null in a number or date column does (default 'error'; see MissingPolicy). */
  missing?: MissingPolicy;
}

/** A batch of streamParquet: `startRow` counts rows kept before it; `rowGroup` is its first group. */
export interface ParquetBatch extends Table {
  startRow: number;
  rowGroup: number;
}

interface Group {
  index: number;
  rowStart: number; // first row in the file
  rows: number;
  bytes: [number, number]; // [start, end) of its column chunks in the file, for messages
}

// Dates as epoch milliseconds (numbers) instead of hyparquet's Date objects.
const parsers = {
  timestampFromMilliseconds: (v: bigint) => (v == null ? Number.NaN : Number(v)),
  timestampFromMicroseconds: (v: bigint) =>
    v == null ? Number.NaN : Number(v / 1000n) + Number(v % 1000n) / 1000,
  timestampFromNanoseconds: (v: bigint) =>
    v == null ? Number.NaN : Number(v / 1_000_000n) + Number((v / 1000n) % 1000n) / 1000,
  dateFromDays: (v: number) => (v == null ? Number.NaN : v * 86_400_000),
};

/** Streams the Parquet file at `path` as Tables of whole row groups. */
export async function* streamParquet(
  path: string,
  options: ParquetOptions = {},
): AsyncGenerator<ParquetBatch> {
  const batchSize = options.rowGroupBatch ?? PARQUET_ROW_GROUP_BATCH;
  if (!Number.isInteger(batchSize) || batchSize <= 0)
    fail(DataErrorCode.BAD_OPTION, 'options.rowGroupBatch must be a positive integer');
  const missing = checkMissingPolicy(options.missing);
  const file = await openFile(path);
  const metadata = await readMetadata(path, file);
  const { names, types } = chooseColumns(path, metadata, options.columns);
  const scan = await parquetScan({ file, metadata, columns: names, compressors, parsers }).catch((err) =>
    damaged(path, err),
  );
  const groups = groupsOf(metadata).filter((g) => g.rows > 0);
  const carry = missingCarry(names.length);
  let startRow = 0;
  for (let g = 0; g < groups.length; g += batchSize) {
    const batch = groups.slice(g, g + batchSize);
    const parts: Table[] = [];
    for (const group of batch) parts.push(await readGroup(path, scan, group, names, types));
    const table = keepWhole(parts, batch, path, missing, carry);
    yield { ...table, startRow, rowGroup: batch[0].index };
    startRow += table.rows;
  }
}

async function openFile(path: string): Promise<AsyncBuffer> {
  try {
    return await asyncBufferFromFile(path);
  } catch (err) {
    fail(
      DataErrorCode.NOT_FOUND,
      `${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      err,
    );
  }
}

async function readMetadata(path: string, file: AsyncBuffer): Promise<FileMetaData> {
  try {
    return await parquetMetadataAsync(file);
  } catch (err) {
    fail(
      DataErrorCode.BAD_PARQUET,
      `${path}: not a Parquet file, or its footer is damaged (${(err as Error).message})`,
      err,
    );
  }
}

function damaged(path: string, err: unknown): never {
  fail(DataErrorCode.BAD_PARQUET, `${path}: cannot be read (${(err as Error).message})`, err);
}

/** The columns to read and their types; unknown and nested columns are refused by name. */
function chooseColumns(path: string, metadata: FileMetaData, wanted: string[] | undefined) {
  const top = parquetSchema(metadata).children;
  const byName = new Map(top.map((child) => [child.element.name, child]));
  const names = wanted ?? top.map((child) => child.element.name);
  if (!Array.isArray(names) || new Set(names).size !== names.length) {
    fail(DataErrorCode.BAD_OPTION, 'options.columns must be an array of distinct column names');
  }
  const types = names.map((name) => {
    const node = byName.get(name);
    if (node === undefined)
      fail(
        DataErrorCode.BAD_PARQUET,
        `${path}: no column '${name}'; found: ${[...byName.keys()].join(', ')}`,
      );
    if (node.children.length > 0)
      fail(
        DataErrorCode.BAD_PARQUET,
        `${path}: column '${name}' is nested (a struct, list or map); only flat columns are read`,
      );
    return columnTypeOf(node.element);
  });
  return { names, types };
}

function columnTypeOf(e: SchemaElement): ColumnType {
  const logical = e.logical_type?.type;
  if (logical === 'TIMESTAMP' || logical === 'DATE' || e.type === 'INT96') return 'date';
  if (
    e.converted_type === 'DATE' ||
    e.converted_type === 'TIMESTAMP_MILLIS' ||
    e.converted_type === 'TIMESTAMP_MICROS'
  )
    return 'date';
  if (e.type === 'BYTE_ARRAY' || e.type === 'FIXED_LEN_BYTE_ARRAY') {
    return logical === 'DECIMAL' || e.converted_type === 'DECIMAL' || logical === 'FLOAT16'
      ? 'number'
      : 'string';
  }
  return 'number';
}

function groupsOf(metadata: FileMetaData): Group[] {
  let rowStart = 0;
  return metadata.row_groups.map((rg, index) => {
    const rows = Number(rg.num_rows);
    const starts = rg.columns.map((c) =>
      Number(c.meta_data?.dictionary_page_offset ?? c.meta_data?.data_page_offset ?? 0),
    );
    const ends = rg.columns.map((c, i) => starts[i] + Number(c.meta_data?.total_compressed_size ?? 0));
    const group = {
      index,
      rowStart,
      rows,
      bytes: [Math.min(...starts), Math.max(...ends)] as [number, number],
    };
    rowStart += rows;
    return group;
  });
}

/** The chosen columns of one row group, converted; a decoding failure names the group. */
async function readGroup(
  path: string,
  scan: ParquetScan,
  group: Group,
  names: string[],
  types: ColumnType[],
): Promise<Table> {
  const { rowStart, rows } = group;
  const values: (Float64Array | string[])[] = [];
  for (let c = 0; c < names.length; c++) {
    let data: DecodedArray;
    try {
      data = await scan.readColumn({ column: names[c], rowStart, rowEnd: rowStart + rows });
    } catch (err) {
      const where = `row group ${group.index} (rows ${rowStart}–${rowStart + rows - 1}, bytes ${group.bytes[0]}–${group.bytes[1] - 1})`;
      fail(
        DataErrorCode.BAD_PARQUET,
        `${path}: ${where}, column '${names[c]}': ${(err as Error).message}`,
        err,
      );
    }
    if (data.length !== rows)
      fail(
        DataErrorCode.BAD_PARQUET,
        `${path}: row group ${group.index}, column '${names[c]}': ${data.length} values for ${rows} rows`,
      );
    values.push(types[c] === 'string' ? toStrings(path, names[c], data) : toNumbers(data));
  }
  return { columns: names.slice(), types: types.slice(), rows, values };
}

function toNumbers(data: DecodedArray): Float64Array {
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number | bigint | boolean | null | undefined;
    out[i] = v === null || v === undefined ? Number.NaN : Number(v);
  }
  return out;
}

function toStrings(path: string, name: string, data: DecodedArray): string[] {
  const out = new Array<string>(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v === 'string') out[i] = v;
    else if (v === null || v === undefined) out[i] = '';
    else fail(DataErrorCode.BAD_PARQUET, `${path}: column '${name}' holds binary values, not text`);
  }
  return out;
}

/** Joins the groups of a batch and applies the missing-value policy (rows named by file row). */
function keepWhole(
  parts: Table[],
  batch: Group[],
  path: string,
  missing: MissingPolicy,
  carry: MissingCarry,
): Table {
  const table = parts.length === 1 ? parts[0] : concatTables(parts);
  const first = batch[0].rowStart;
  return applyMissing(table, missing, carry, (r) => `${path}: row ${first + r}`, DataErrorCode.BAD_PARQUET);
}

/** One Table of the rows of `parts` (same columns and types), in order. */
export function concatTables(parts: Table[]): Table {
  const rows = parts.reduce((n, p) => n + p.rows, 0);
  const values = parts[0].types.map((type, c) => {
    if (type === 'string') return parts.flatMap((p) => p.values[c] as string[]);
    const out = new Float64Array(rows);
    let at = 0;
    for (const p of parts) {
      out.set(p.values[c] as Float64Array, at);
      at += p.rows;
    }
    return out;
  });
  return { columns: parts[0].columns.slice(), types: parts[0].types.slice(), rows, values };
}
