// Option checks for public constructors: each names the option and the accepted values, and
// throws ERR_NN_BAD_OPTION. Kernels below never check; this is the boundary.
import { fail, NnErrorCode } from './errors.js';

/**
 * ERR_NN_BAD_OPTION unless `value` looks like a recur model (its layers, layout and parameters):
 * the interop and checkpoint functions that take one check it first, so that a wrong argument
 * is a coded error and not a TypeError from deep inside.
 */
export function checkModelArgument(where: string, value: unknown): void {
  const m = value as { layers?: unknown; layout?: { size?: unknown }; params?: unknown } | null;
  const ok =
    typeof m === 'object' &&
    m !== null &&
    Array.isArray(m.layers) &&
    typeof m.layout?.size === 'number' &&
    m.params instanceof Float32Array;
  if (!ok) {
    fail(
      NnErrorCode.BAD_OPTION,
      `${where}: the model must be a recur model (sequential, encoderDecoder, loadModel's), got ${describe(value)}`,
    );
  }
}

export function positiveInteger(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    fail(NnErrorCode.BAD_OPTION, `${where}: ${name} must be a positive integer, got ${describe(value)}`);
  }
  return value;
}

export function nonNegativeInteger(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    fail(NnErrorCode.BAD_OPTION, `${where}: ${name} must be a non-negative integer, got ${describe(value)}`);
  }
  return value;
}

export function numberInRange(
  where: string,
  name: string,
  value: unknown,
  min: number,
  max: number,
  { minInclusive = true, maxInclusive = true } = {},
): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (minInclusive ? value >= min : value > min) &&
    (maxInclusive ? value <= max : value < max);
  if (!ok) {
    const range = `${minInclusive ? '[' : '('}${min}, ${max}${maxInclusive ? ']' : ')'}`;
    fail(NnErrorCode.BAD_OPTION, `${where}: ${name} must be a number in ${range}, got ${describe(value)}`);
  }
  return value as number;
}

export function boolean(where: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    fail(NnErrorCode.BAD_OPTION, `${where}: ${name} must be true or false, got ${describe(value)}`);
  }
  return value;
}

export function oneOf<T extends string>(
  where: string,
  name: string,
  value: unknown,
  allowed: readonly T[],
): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    fail(
      NnErrorCode.BAD_OPTION,
      `${where}: ${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}`,
    );
  }
  return value as T;
}

/**
 * Checks that `options` is an object (`expected` describes it, e.g. 'with at least { units }')
 * and rejects keys it does not know (catches misspelled options).
 */
export function knownKeys(where: string, options: object, allowed: readonly string[], expected = ''): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    fail(
      NnErrorCode.BAD_OPTION,
      `${where}: options must be an object${expected === '' ? '' : ` ${expected}`}`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      fail(NnErrorCode.BAD_OPTION, `${where}: unknown option '${key}' (known: ${allowed.join(', ')})`);
    }
  }
}

/**
 * The most characters `describe` gives for a value in an error message: a user who hands fit a
 * 60 MB Float32Array where an { data, shape } object belongs must get a line, not the array.
 */
export const DESCRIBE_MAX_CHARS = 200;

/** Items of an array and keys of an object that `describe` shows before "…". */
const DESCRIBE_ITEMS = 8;

/**
 * A short account of a value for an error message ("got …"): strings quoted, typed arrays as
 * their type and length, arrays and plain objects by their first items, nested one level; at
 * most DESCRIBE_MAX_CHARS characters, cut with "…".
 */
export function describe(value: unknown): string {
  let text: string;
  try {
    text = describeAt(value, 0);
  } catch {
    text = Object.prototype.toString.call(value); // a proxy or a getter that throws
  }
  return text.length <= DESCRIBE_MAX_CHARS ? text : `${text.slice(0, DESCRIBE_MAX_CHARS - 1)}…`;
}

function describeAt(value: unknown, depth: number): string {
  if (typeof value === 'string')
    return `'${value.length > DESCRIBE_MAX_CHARS ? `${value.slice(0, DESCRIBE_MAX_CHARS)}…` : value}'`;
  if (value === undefined || value === null || typeof value !== 'object') {
    if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
    if (typeof value === 'bigint') return `${value}n`;
    return String(value);
  }
  if (ArrayBuffer.isView(value)) {
    const length = (value as { length?: number }).length ?? value.byteLength;
    return `${value.constructor.name}(${length})`;
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (value instanceof ArrayBuffer || value instanceof SharedArrayBuffer)
    return `${value.constructor.name}(${value.byteLength} bytes)`;
  if (Array.isArray(value)) {
    if (depth > 1) return `Array(${value.length})`;
    const shown = value.slice(0, DESCRIBE_ITEMS).map((v) => describeAt(v, depth + 1));
    const more = value.length > DESCRIBE_ITEMS ? `, … (${value.length} items)` : '';
    return `[${shown.join(', ')}${more}]`;
  }
  const proto = Object.getPrototypeOf(value);
  const name = proto === null || proto === Object.prototype ? '' : `${proto.constructor?.name ?? 'object'} `;
  if (depth > 1) return `${name}{…}`;
  const keys = Object.keys(value);
  const shown = keys
    .slice(0, DESCRIBE_ITEMS)
    .map((k) => `${k}: ${describeAt((value as Record<string, unknown>)[k], depth + 1)}`);
  if (keys.length === 0) return `${name}{}`;
  const more = keys.length > DESCRIBE_ITEMS ? `, … (${keys.length} keys)` : '';
  return `${name}{ ${shown.join(', ')}${more} }`;
}
