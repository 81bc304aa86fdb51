// Column tables, the shape every source (CSV, JSON, Parquet) returns, and what the sources share:
// parsing of number and date text, a growable column builder, and the missing-value policy.
// Not a dataframe: no joins, no indexing, no arithmetic; windows and batching live elsewhere.

import { DataErrorCode, type DataErrorCodeValue, fail } from '../errors.js';

export type ColumnType = 'number' | 'date' | 'string';

/** Columns of equal length: numbers and dates (epoch ms, UTC) as Float64Array, text as string[]. */
export interface Table {
  columns: string[];
  types: ColumnType[];
  rows: number;
  values: (Float64Array | string[])[]; // each (rows)
}

/**
 * What a missing value in a number or date column becomes (text columns keep '' as it is):
 * - 'error': a coded error naming the file, the line (or row) and the column;
 * - 'nan': NaN;
 * - 'drop-row': the whole row is left out;
 * - 'previous': the column's last value before it (forward fill, carried across batches); a
 *   missing value before any value in that column is an error, as there is nothing to carry.
 */
export type MissingPolicy = 'error' | 'nan' | 'drop-row' | 'previous';
export const MISSING_POLICIES: readonly MissingPolicy[] = ['error', 'nan', 'drop-row', 'previous'];
export const COLUMN_TYPES: readonly ColumnType[] = ['number', 'date', 'string'];

/**
 * An empty record keyed by column names, without a prototype: a column may be named
 * `constructor`, `__proto__` or `valueOf`, and then it must read and write as any other.
 */
export function columnRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** Checks `options.missing`; undefined means 'error'. */
export function checkMissingPolicy(missing: unknown): MissingPolicy {
  if (missing === undefined) return 'error';
  if (!MISSING_POLICIES.includes(missing as MissingPolicy)) {
    fail(DataErrorCode.BAD_OPTION, `options.missing must be one of ${MISSING_POLICIES.join(', ')}`);
  }
  return missing as MissingPolicy;
}

/** Text that stands for a missing value: empty (after trimming), NA, NaN or null. */
export function isMissingText(text: string): boolean {
  const t = text.trim();
  return t === '' || t === 'NA' || t === 'NaN' || t === 'null';
}

/** A decimal number (optional sign, fraction, exponent, blanks around); NaN for anything else (hex, '1,5', ''). */
export function parseNumberText(text: string): number {
  return isDecimal(text) ? Number(text) : Number.NaN;
}

// A hand-written check: a regular expression costs about as much again as Number() itself.
function isDecimal(s: string): boolean {
  let i = 0;
  let n = s.length;
  while (i < n && isBlank(s.charCodeAt(i))) i++;
  while (n > i && isBlank(s.charCodeAt(n - 1))) n--;
  if (i < n && (s[i] === '+' || s[i] === '-')) i++;
  const whole = digitsFrom(s, i, n);
  i += whole;
  let fraction = 0;
  if (i < n && s[i] === '.') {
    fraction = digitsFrom(s, i + 1, n);
    i += 1 + fraction;
  }
  if (whole + fraction === 0) return false;
  if (i < n && (s[i] === 'e' || s[i] === 'E')) {
    i++;
    if (i < n && (s[i] === '+' || s[i] === '-')) i++;
    const exponent = digitsFrom(s, i, n);
    if (exponent === 0) return false;
    i += exponent;
  }
  return i === n;
}

function digitsFrom(s: string, i: number, n: number): number {
  let j = i;
  while (j < n) {
    const c = s.charCodeAt(j);
    if (c < 48 || c > 57) break;
    j++;
  }
  return j - i;
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

const ISO_DATE =
  /^(\d{4})([-/])(\d{1,2})\2(\d{1,2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const NAMED_DATE = /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{1,2}),? (\d{4})$/;
const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec';
const DAY_MS = 86_400_000;

/**
 * Epoch milliseconds (UTC) of `YYYY-MM-DD`, `YYYY/MM/DD`, either followed by `THH:MM[:SS[.fff]]`
 * (or a space instead of T) and an optional `Z` or `±HH:MM`, or `Mon D YYYY` (`Jan 1 2000`).
 * Times without an offset are taken as UTC. NaN for anything else or an impossible date.
 */
export function parseDateText(text: string): number {
  const plain = plainDate(text);
  if (plain !== null) return plain;
  const t = text.trim();
  const iso = ISO_DATE.exec(t);
  if (iso !== null) {
    const [, y, , mo, d, h = '0', mi = '0', s = '0', frac = '', zone = ''] = iso;
    const ms = frac === '' ? 0 : Number(`0.${frac}`) * 1000;
    return utcMillis(+y, +mo, +d, +h, +mi, +s, ms) - zoneOffsetMillis(zone);
  }
  const named = NAMED_DATE.exec(t);
  if (named !== null) return utcMillis(+named[3], MONTHS.indexOf(named[1]) / 3 + 1, +named[2], 0, 0, 0, 0);
  return Number.NaN;
}

/** The common case `YYYY-MM-DD` (or with slashes) without a regular expression; null otherwise. */
function plainDate(t: string): number | null {
  if (t.length !== 10) return null;
  const sep = t.charCodeAt(4);
  if ((sep !== 45 && sep !== 47) || t.charCodeAt(7) !== sep) return null;
  const y = digitValue(t, 0, 4);
  const mo = digitValue(t, 5, 7);
  const d = digitValue(t, 8, 10);
  return y < 0 || mo < 0 || d < 0 ? null : utcMillis(y, mo, d, 0, 0, 0, 0);
}

/** The value of the decimal digits t[from, to); -1 if one is not a digit. */
function digitValue(t: string, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = t.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

function utcMillis(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) return Number.NaN;
  return daysFromCivil(y, mo, d) * DAY_MS + ((h * 60 + mi) * 60 + s) * 1000 + ms;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const year = m <= 2 ? y - 1 : y;
  const era = Math.floor(year / 400);
  const yearOfEra = year - era * 400;
  const dayOfYear = Math.floor((153 * ((m + 9) % 12) + 2) / 5) + d - 1; // from March 1
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(y: number, m: number): number {
  return m === 2 && isLeapYear(y) ? 29 : MONTH_DAYS[m - 1];
}

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function zoneOffsetMillis(zone: string): number {
  if (zone === '' || zone === 'Z') return 0;
  const digits = zone.replace(':', '');
  const minutes = Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5));
  return (zone[0] === '-' ? -minutes : minutes) * 60_000;
}

/** Appends rows of cells to growable columns; `take()` hands the rows over as a Table. */
export class TableBuilder {
  rows = 0;
  private capacity: number;
  private numbers: Float64Array[] = []; // per column, (capacity); empty for string columns
  private strings: string[][] = []; // per column; empty for number and date columns
  private origins: Float64Array; // (capacity) the line or row each row came from, for messages

  constructor(
    readonly columns: string[],
    readonly types: ColumnType[],
    capacity = 1024,
  ) {
    this.capacity = Math.max(1, capacity);
    this.origins = new Float64Array(this.capacity);
    this.reset();
  }

  /** Appends one row: `cells[c]` is a number (NaN when missing) or a string, by column type. */
  append(cells: readonly (number | string)[], origin: number): void {
    if (this.rows === this.capacity) this.grow();
    const r = this.rows++;
    for (let c = 0; c < this.columns.length; c++) {
      if (this.types[c] === 'string') this.strings[c].push(cells[c] as string);
      else this.numbers[c][r] = cells[c] as number;
    }
    this.origins[r] = origin;
  }

  /** The rows so far as a Table (trimmed to length) and their origins; the builder starts empty. */
  take(): { table: Table; origins: Float64Array } {
    const n = this.rows;
    const trim = (a: Float64Array) => (a.length === n ? a : a.slice(0, n));
    const values = this.types.map((type, c) => (type === 'string' ? this.strings[c] : trim(this.numbers[c])));
    const table = { columns: this.columns.slice(), types: this.types.slice(), rows: n, values };
    const origins = trim(this.origins);
    this.origins = new Float64Array(this.capacity);
    this.reset();
    return { table, origins };
  }

  private reset(): void {
    this.rows = 0;
    this.numbers = this.types.map((t) => new Float64Array(t === 'string' ? 0 : this.capacity));
    this.strings = this.types.map(() => []);
  }

  private grow(): void {
    this.capacity *= 2;
    const widen = (a: Float64Array) => {
      const b = new Float64Array(this.capacity);
      b.set(a);
      return b;
    };
    this.numbers = this.numbers.map((a, c) => (this.types[c] === 'string' ? a : widen(a)));
    this.origins = widen(this.origins);
  }
}

/** State the 'previous' policy carries from one batch to the next: each column's last value. */
export interface MissingCarry {
  last: Float64Array; // (columns)
  seen: Uint8Array; // (columns) 1 once the column has had a value
}

export function missingCarry(columns: number): MissingCarry {
  return { last: new Float64Array(columns), seen: new Uint8Array(columns) };
}

/** How a source names row r of a batch in messages, e.g. `weather.csv:12`. */
export type Locate = (row: number) => string;

/**
 * Applies `policy` to the NaNs of the number and date columns of `table` (in place; 'drop-row'
 * returns a compacted table). Errors report the first offending row in row order.
 */
export function applyMissing(
  table: Table,
  policy: MissingPolicy,
  carry: MissingCarry,
  locate: Locate,
  code: DataErrorCodeValue,
): Table {
  if (policy === 'nan') return table;
  if (policy === 'drop-row') return dropMissingRows(table);
  const numeric = table.types.map((t, c) => (t === 'string' ? -1 : c)).filter((c) => c >= 0);
  if (policy === 'error') {
    const found = firstMissing(table, numeric, () => false, false);
    if (found !== null) {
      fail(
        code,
        `${locate(found.row)}: column '${table.columns[found.column]}' has a missing value and \
options.missing is 'error'; pass missing: 'nan', 'drop-row' or 'previous' to accept missing values`,
      );
    }
    return table;
  }
  const found = firstMissing(table, numeric, (c) => carry.seen[c] === 1, true);
  if (found !== null) {
    fail(
      code,
      `${locate(found.row)}: column '${table.columns[found.column]}' has a missing value before \
any value to carry forward (options.missing is 'previous'); use missing: 'drop-row' to skip leading gaps`,
    );
  }
  for (const c of numeric) forwardFill(table.values[c] as Float64Array, c, carry);
  return table;
}

/**
 * The first (row, column) in row order holding NaN. Columns where `covered(c)` are skipped; with
 * `stopAtValue`, a column is only searched up to its first value (the 'previous' policy's check).
 */
function firstMissing(
  table: Table,
  numeric: number[],
  covered: (column: number) => boolean,
  stopAtValue: boolean,
): { row: number; column: number } | null {
  let best: { row: number; column: number } | null = null;
  for (const c of numeric) {
    if (covered(c)) continue;
    const col = table.values[c] as Float64Array;
    const limit = best === null ? table.rows : best.row;
    for (let r = 0; r < limit; r++) {
      if (Number.isNaN(col[r])) {
        best = { row: r, column: c };
        break;
      }
      if (stopAtValue) break;
    }
  }
  return best;
}

function forwardFill(col: Float64Array, c: number, carry: MissingCarry): void {
  let last = carry.last[c];
  for (let r = 0; r < col.length; r++) {
    if (Number.isNaN(col[r])) col[r] = last;
    else last = col[r];
  }
  if (col.length > 0) {
    carry.last[c] = last;
    carry.seen[c] = 1;
  }
}

function dropMissingRows(table: Table): Table {
  const keep = new Uint8Array(table.rows).fill(1);
  let kept = table.rows;
  table.types.forEach((t, c) => {
    if (t === 'string') return;
    const col = table.values[c] as Float64Array;
    for (let r = 0; r < table.rows; r++) {
      if (keep[r] === 1 && Number.isNaN(col[r])) {
        keep[r] = 0;
        kept--;
      }
    }
  });
  if (kept === table.rows) return table;
  const values = table.values.map((col) => compact(col, keep, kept));
  return { ...table, rows: kept, values };
}

function compact(col: Float64Array | string[], keep: Uint8Array, kept: number): Float64Array | string[] {
  if (Array.isArray(col)) return col.filter((_, r) => keep[r] === 1);
  const out = new Float64Array(kept);
  let k = 0;
  for (let r = 0; r < col.length; r++) if (keep[r] === 1) out[k++] = col[r];
  return out;
}
