// Option checks for public constructors: each names the option and the accepted values, and
// throws ERR_NN_BAD_OPTION. Kernels below never check; this is the boundary.
import { fail, NnErrorCode } from './errors.js';

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

export function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
