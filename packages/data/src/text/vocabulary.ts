// A vocabulary: token strings ↔ integer ids, built from counts, encoded to Int32Array, saved with
// a model as JSON (preprocessing) and read back validated. The same class serves label and tag
// sets (built with no specials, and encoded strictly so that an unknown label is an error).
// Not here: tokenising (tokenizers.ts), padding and batching (datasets.ts).
//
// Id order: the specials first, in the order given (default `<pad>` = 0, `<unk>` = 1, so that
// @recur/nn's embedding `maskZero` treats id 0 as padding), then the tokens by descending count,
// ties broken by first appearance in the input. The order depends only on the input sequence, so
// the same corpus read in the same order gives the same ids on every machine.
import { DataError, DataErrorCode, describeGot, fail, optionsOf } from '../errors.js';

/** Most entries (specials included) a vocabulary may hold; beyond → ERR_DATA_LIMIT_EXCEEDED. */
export const VOCABULARY_MAX_SIZE = 1_000_000;

export const PAD = '<pad>';
export const UNK = '<unk>';

/** JSON format tag and version of a saved vocabulary. */
export const VOCABULARY_FORMAT = 'recur.vocabulary';
export const VOCABULARY_VERSION = 1;

export interface VocabularyOptions {
  /** tokens seen fewer times are left out (they encode to `<unk>`); default 1 */
  minCount?: number;
  /** most entries, specials included (the embedding's inputDim); default no cap below the limit */
  maxSize?: number;
  /** reserved entries that take the first ids; `<pad>`, if present, must be first; default [PAD, UNK] */
  specials?: string[];
}

export interface EncodeOptions {
  /** an unknown token → ERR_DATA_UNKNOWN_LABEL naming it (for label sets); default false */
  strict?: boolean;
}

/** A vocabulary as saved with a model: ids are the positions in specials ++ tokens. */
export interface VocabularyJSON {
  format: typeof VOCABULARY_FORMAT;
  version: number;
  specials: string[];
  tokens: string[];
}

export class Vocabulary {
  /** (V) id → token: the specials, then the counted tokens */
  readonly tokens: readonly string[];
  readonly specials: readonly string[];
  /** id of `<pad>`, or -1 without one */
  readonly padId: number;
  /** id of `<unk>` (what unknown tokens encode to), or -1 without one (then every encode is strict) */
  readonly unkId: number;
  private readonly index: Map<string, number>;

  /** `specials` then `tokens` take ids 0, 1, ...; a bad list → ERR_DATA_BAD_OPTION. */
  constructor(specials: readonly string[], tokens: readonly string[]) {
    this.index = checkEntries(specials, tokens);
    this.specials = Object.freeze([...specials]);
    this.tokens = Object.freeze([...specials, ...tokens]);
    this.padId = specials.indexOf(PAD);
    this.unkId = specials.indexOf(UNK);
  }

  /** V, the number of ids */
  get size(): number {
    return this.tokens.length;
  }

  /** The id of `token`, or -1 when it is not in the vocabulary. */
  idOf(token: string): number {
    return this.index.get(token) ?? -1;
  }

  /** Ids of `tokens`; unknown ones → `<unk>`, or an error when strict (or without `<unk>`). */
  encode(tokens: readonly string[], options: EncodeOptions = {}): Int32Array {
    const strict = options.strict === true || this.unkId < 0;
    const ids = new Int32Array(tokens.length); // (n)
    for (let i = 0; i < tokens.length; i++) {
      const id = this.index.get(tokens[i]);
      if (id !== undefined) ids[i] = id;
      else if (strict) this.unknown(tokens[i], `at position ${i}`);
      else ids[i] = this.unkId;
    }
    return ids;
  }

  /** Tokens of `ids`; an id outside [0, V) → ERR_DATA_BAD_OPTION. */
  decode(ids: ArrayLike<number>): string[] {
    const out: string[] = new Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || id >= this.tokens.length) {
        fail(
          DataErrorCode.BAD_OPTION,
          `id ${id} at position ${i} is outside the vocabulary [0, ${this.size})`,
        );
      }
      out[i] = this.tokens[id];
    }
    return out;
  }

  /** Throws ERR_DATA_UNKNOWN_LABEL naming `token` (a `noun`); `where` says where it was found. */
  unknown(token: string, where: string, noun = 'token'): never {
    const shown = this.tokens.slice(0, 5).map((t) => JSON.stringify(t));
    const more = this.size > 5 ? ', ...' : '';
    fail(
      DataErrorCode.UNKNOWN_LABEL,
      `unknown ${noun} ${JSON.stringify(token)} ${where}: not among the ${this.size} entries ` +
        `(${shown.join(', ')}${more})`,
    );
  }

  toJSON(): VocabularyJSON {
    const n = this.specials.length;
    return {
      format: VOCABULARY_FORMAT,
      version: VOCABULARY_VERSION,
      specials: [...this.specials],
      tokens: this.tokens.slice(n),
    };
  }
}

/**
 * Counts `tokens` and keeps those seen at least minCount times, most frequent first (ties: first
 * seen first), up to maxSize entries with the specials. A token equal to a special is not counted
 * (it encodes to that special). Counting holds every distinct token in memory once.
 */
export function buildVocabulary(tokens: Iterable<string>, options: VocabularyOptions = {}): Vocabulary {
  const o = optionsOf(options, 'buildVocabulary');
  const specials = o.specials ?? [PAD, UNK];
  const minCount = positiveInteger(o.minCount, 1, 'minCount');
  const maxSize = checkMaxSize(o.maxSize, specials);
  const counts = countTokens(tokens, new Set(specials), 'buildVocabulary');
  const kept = [...counts.entries()].filter(([, count]) => count >= minCount);
  // Array#sort is stable, and Map iteration follows first insertion: ties keep first appearance.
  kept.sort((a, b) => b[1] - a[1]);
  const room = maxSize - specials.length;
  if (kept.length > room && options.maxSize === undefined) {
    fail(
      DataErrorCode.LIMIT_EXCEEDED,
      `the vocabulary would hold ${kept.length + specials.length} entries, over VOCABULARY_MAX_SIZE ` +
        `(${VOCABULARY_MAX_SIZE}): pass options.maxSize or a larger options.minCount`,
    );
  }
  return new Vocabulary(
    specials,
    kept.slice(0, room).map(([token]) => token),
  );
}

/**
 * A label or tag set: the distinct labels, sorted by UTF-16 code units (so ids do not depend on
 * the data's order), no specials; encode it strictly. `['pos', 'neg', 'pos']` → neg = 0, pos = 1.
 */
export function buildLabelSet(labels: Iterable<string>): Vocabulary {
  const distinct = countTokens(labels, new Set(), 'buildLabelSet');
  if (distinct.size > VOCABULARY_MAX_SIZE) {
    fail(
      DataErrorCode.LIMIT_EXCEEDED,
      `${distinct.size} labels, over VOCABULARY_MAX_SIZE (${VOCABULARY_MAX_SIZE})`,
    );
  }
  return new Vocabulary([], [...distinct.keys()].sort(compareCodeUnits));
}

/** Reads a vocabulary saved with `toJSON()` (an object or its JSON text); bad → ERR_DATA_BAD_JSON. */
export function vocabularyFromJSON(json: unknown): Vocabulary {
  const doc = typeof json === 'string' ? parseJSON(json) : json;
  if (typeof doc !== 'object' || doc === null) fail(DataErrorCode.BAD_JSON, 'vocabulary: expected an object');
  const { format, version, specials, tokens } = doc as Record<string, unknown>;
  if (format !== VOCABULARY_FORMAT) {
    fail(
      DataErrorCode.BAD_JSON,
      `vocabulary.format: expected '${VOCABULARY_FORMAT}', got ${describeGot(format)}`,
    );
  }
  if (version !== VOCABULARY_VERSION) {
    fail(
      DataErrorCode.BAD_JSON,
      `vocabulary.version: ${JSON.stringify(version)} is not ${VOCABULARY_VERSION}, the version this ` +
        '@recur/data reads: use the @recur/data that saved it',
    );
  }
  const specialList = stringArray(specials, 'vocabulary.specials');
  const tokenList = stringArray(tokens, 'vocabulary.tokens');
  try {
    return new Vocabulary(specialList, tokenList);
  } catch (error) {
    const bad = error instanceof DataError && error.code === DataErrorCode.BAD_OPTION;
    throw bad ? new DataError(DataErrorCode.BAD_JSON, error.message, { cause: error }) : error;
  }
}

function countTokens(tokens: Iterable<string>, skip: Set<string>, who: string): Map<string, number> {
  if (typeof (tokens as { [Symbol.iterator]?: unknown } | null)?.[Symbol.iterator] !== 'function') {
    fail(DataErrorCode.BAD_OPTION, `${who}: expected an iterable of strings, got ${describeGot(tokens)}`);
  }
  const counts = new Map<string, number>();
  let position = 0;
  for (const token of tokens) {
    if (typeof token !== 'string') {
      fail(DataErrorCode.BAD_OPTION, `token ${position} is a ${typeof token}, not a string`);
    }
    if (!skip.has(token)) counts.set(token, (counts.get(token) ?? 0) + 1);
    position++;
  }
  return counts;
}

/** Checks sizes, the `<pad>` position and uniqueness; returns the token → id map. */
function checkEntries(specials: readonly string[], tokens: readonly string[]): Map<string, number> {
  const code = DataErrorCode.BAD_OPTION;
  const name = 'vocabulary';
  if (!Array.isArray(specials) || !Array.isArray(tokens))
    fail(code, `${name}: specials and tokens must be arrays`);
  const size = specials.length + tokens.length;
  if (size > VOCABULARY_MAX_SIZE) {
    fail(
      DataErrorCode.LIMIT_EXCEEDED,
      `${name}: ${size} entries, over VOCABULARY_MAX_SIZE (${VOCABULARY_MAX_SIZE})`,
    );
  }
  const padAt = specials.indexOf(PAD);
  if (padAt > 0)
    fail(code, `${name}.specials: '${PAD}' must come first (id 0, for maskZero), not at ${padAt}`);
  const index = new Map<string, number>();
  const all = [...specials, ...tokens];
  for (let id = 0; id < all.length; id++) {
    const token = all[id];
    if (typeof token !== 'string') fail(code, `${name}: entry ${id} is a ${typeof token}, not a string`);
    if (index.has(token))
      fail(code, `${name}: ${JSON.stringify(token)} appears twice (ids ${index.get(token)}, ${id})`);
    index.set(token, id);
  }
  return index;
}

function checkMaxSize(value: number | undefined, specials: readonly string[]): number {
  if (!Array.isArray(specials))
    fail(DataErrorCode.BAD_OPTION, 'options.specials must be an array of strings');
  if (value === undefined) return VOCABULARY_MAX_SIZE;
  const maxSize = positiveInteger(value, 1, 'maxSize');
  if (maxSize < specials.length) {
    fail(
      DataErrorCode.BAD_OPTION,
      `options.maxSize (${maxSize}) must leave room for the ${specials.length} specials`,
    );
  }
  if (maxSize > VOCABULARY_MAX_SIZE) {
    fail(
      DataErrorCode.LIMIT_EXCEEDED,
      `options.maxSize (${maxSize}) is over VOCABULARY_MAX_SIZE (${VOCABULARY_MAX_SIZE})`,
    );
  }
  return maxSize;
}

function positiveInteger(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    fail(DataErrorCode.BAD_OPTION, `options.${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

function stringArray(value: unknown, name: string): string[] {
  if (!Array.isArray(value)) fail(DataErrorCode.BAD_JSON, `${name}: expected an array of strings`);
  if (value.length > VOCABULARY_MAX_SIZE) {
    fail(
      DataErrorCode.LIMIT_EXCEEDED,
      `${name}: ${value.length} entries, over VOCABULARY_MAX_SIZE (${VOCABULARY_MAX_SIZE})`,
    );
  }
  return value as string[];
}

function parseJSON(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    fail(DataErrorCode.BAD_JSON, `vocabulary: not JSON (${(error as Error).message})`, error);
  }
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
