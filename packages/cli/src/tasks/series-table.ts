// A series config's table, checked before any number is computed from it: the time axis (the
// column data.time names, else the first named date, datetime, timestamp or time in any case,
// parsed from text to dates), the rows that data.where keeps (a value no row has is an error
// naming the column, the value and the values that are there), and inputs and target that are
// numbers (a date or text column offered as one is an error naming it).
import { parseDateText, type Table } from '@recur/data';
import type { SeriesConfig } from '../config/schema.js';
import { CliErrorCode, fail } from '../errors.js';

/** Names a time column has, in any case, when data.time names none. */
export const TIME_COLUMN_NAMES = ['date', 'datetime', 'timestamp', 'time'] as const;

/** Limit: the values of a column a message lists (data.where). */
export const WHERE_VALUES_SHOWN = 8;

const isTimeName = (column: string) =>
  (TIME_COLUMN_NAMES as readonly string[]).includes(column.toLowerCase());

/**
 * The index of the time column: the one `named` (it must exist), else the first with a time
 * name whose values are dates (after withTimeAxis); -1 when none.
 */
export function timeColumnIndex(table: Table, named?: string): number {
  if (named !== undefined) {
    const k = table.columns.indexOf(named);
    if (k < 0) {
      fail(CliErrorCode.BAD_CONFIG, `data.time: no column '${named}' (columns: ${table.columns.join(', ')})`);
    }
    return k;
  }
  return table.columns.findIndex((c, k) => isTimeName(c) && table.types[k] === 'date');
}

/**
 * The table with its time column as dates (epoch milliseconds, type 'date'): the column data.time
 * names (every value must be a date), else the first column with a time name whose text is all
 * dates (others stay text).
 */
export function withTimeAxis(table: Table, named?: string): Table {
  const candidates =
    named !== undefined
      ? [timeColumnIndex(table, named)]
      : table.columns.flatMap((c, k) => (isTimeName(c) ? [k] : []));
  for (const k of candidates) {
    const values = table.values[k];
    if (!Array.isArray(values)) {
      if (table.types[k] === 'date') return table; // read as dates already
      if (named !== undefined) notDates(named, 'numbers');
      continue;
    }
    const parsed = parseDates(values);
    if (typeof parsed === 'number') {
      if (named !== undefined) notDates(named, `row ${parsed + 1}: '${values[parsed]}'`);
      continue;
    }
    return {
      ...table,
      values: table.values.map((v, i) => (i === k ? parsed : v)),
      types: table.types.map((t, i) => (i === k ? 'date' : t)),
    };
  }
  return table;
}

/** Every value as epoch milliseconds, or the index of the first that is not a date (parseDateText: NaN or a throw). */
function parseDates(values: string[]): Float64Array | number {
  const parsed = new Float64Array(values.length);
  for (let r = 0; r < values.length; r++) {
    try {
      parsed[r] = parseDateText(values[r]);
    } catch {
      return r;
    }
    if (Number.isNaN(parsed[r])) return r;
  }
  return parsed;
}

function notDates(column: string, found: string): never {
  return fail(
    CliErrorCode.BAD_CONFIG,
    `data.time: column '${column}' holds ${found}, not dates (YYYY-MM-DD, YYYY/MM/DD, an ISO date-time, Jan 1 2000)`,
  );
}

/** The rows data.where keeps, in order; null without data.where. */
export function whereRows(table: Table, where: Record<string, string> | undefined): number[] | null {
  let keep: number[] | null = null;
  for (const [column, value] of Object.entries(where ?? {})) {
    const k = table.columns.indexOf(column);
    const values = table.values[k];
    if (k < 0 || !Array.isArray(values)) {
      fail(
        CliErrorCode.BAD_CONFIG,
        `data.where.${column}: no text column '${column}' (columns: ${table.columns.join(', ')})`,
      );
    }
    const before: number[] = keep ?? Array.from({ length: table.rows }, (_, r) => r);
    const rows = before.filter((r) => values[r] === value);
    if (rows.length === 0)
      noRowHas(
        column,
        value,
        before.map((r) => values[r]),
        keep !== null,
      );
    keep = rows;
  }
  return keep;
}

function noRowHas(column: string, value: string, present: string[], filtered: boolean): never {
  const distinct = [...new Set(present)];
  const shown = distinct.slice(0, WHERE_VALUES_SHOWN).map((v) => `'${v}'`);
  const more = distinct.length > WHERE_VALUES_SHOWN ? `, … (${distinct.length} in all)` : '';
  const near = distinct.find((v) => v.trim().toLowerCase() === value.trim().toLowerCase());
  return fail(
    CliErrorCode.BAD_CONFIG,
    `data.where.${column}: no row${filtered ? ' left by the filters before it' : ''} has ${column} '${value}'; ` +
      `its values are ${shown.join(', ')}${more}`,
    {
      hint:
        near === undefined ? 'give one of those values (case and spaces count)' : `did you mean '${near}'?`,
    },
  );
}

/** data.inputs and data.target must be number columns (or derived ones): a date or text column is an error naming it. */
export function checkNumericColumns(table: Table, config: SeriesConfig): void {
  const derived = new Set(config.data.derive.map((d) => d.name));
  const named: [string, string][] = [
    ...config.data.inputs.map((name, i): [string, string] => [`data.inputs[${i}]`, name]),
    ['data.target', config.data.target],
  ];
  for (const [where, name] of named) {
    const k = table.columns.indexOf(name);
    if (k < 0 || derived.has(name)) continue; // a missing column is reported with the derived ones
    if (table.types[k] === 'date') {
      fail(
        CliErrorCode.BAD_CONFIG,
        `${where}: column '${name}' holds dates, not numbers; it is the time axis of the report, not a feature`,
        { hint: `remove '${name}' from ${where.startsWith('data.inputs') ? 'data.inputs' : 'data.target'}` },
      );
    }
    const values = table.values[k];
    if (Array.isArray(values)) {
      const examples = [...new Set(values.slice(0, 50))].slice(0, 3).map((v) => `'${v}'`);
      fail(
        CliErrorCode.BAD_CONFIG,
        `${where}: column '${name}' is text (${examples.join(', ')}), not numbers; a text column can only pick rows (data.where)`,
      );
    }
  }
}
