// Character and word tokenisers: text → an array of token strings, and back to JSON so that a
// model saves the exact tokeniser it was trained with (with its vocabulary) as preprocessing.
// Not here: sub-word tokenisers (BPE, WordPiece), stemming, stop words, Unicode normalisation
// (text is taken as is: call `text.normalize('NFC')` first if sources mix composed and decomposed
// forms), ids (see vocabulary.ts).
import { DataErrorCode, describeGot, fail, optionsOf } from '../errors.js';

/** Turns a text into tokens; anything with this method can feed the text data sets. */
export interface Tokenizer {
  tokenize(text: string): string[];
}

export interface CharTokenizerOptions {
  /** lower-case the text first (String#toLowerCase, locale-independent); default false */
  lowercase?: boolean;
}

export interface WordTokenizerOptions {
  /** lower-case the text first (String#toLowerCase, locale-independent); default true */
  lowercase?: boolean;
  /** each match is a token (empty matches are dropped); default WORD_PATTERN */
  pattern?: RegExp;
}

/**
 * The default word rule. A token is either
 * - a word: a run of letters, digits and combining marks (\p{L}\p{N}\p{M}), in any script, with
 *   single inner apostrophes (' or ’) joining runs: `don't`, `rock'n'roll`, `l’homme`, `42`,
 *   `café`, `東京`; or
 * - one punctuation or symbol character (anything else that is not white space): `.`, `,`, `-`,
 *   `_`, `$`, `"`, an emoji; a leading or trailing apostrophe is punctuation (`'tis` → `'`, `tis`).
 * White space separates tokens and is never one. Hyphenated words split: `well-known` → `well`,
 * `-`, `known`; so do numbers with separators: `3.14` → `3`, `.`, `14`.
 */
export const WORD_PATTERN = /[\p{L}\p{N}\p{M}]+(?:['’][\p{L}\p{N}\p{M}]+)*|[^\s\p{L}\p{N}\p{M}]/gu;

/** A tokeniser as saved with a model. */
export type TokenizerJSON =
  | { kind: 'char'; lowercase: boolean }
  | { kind: 'word'; lowercase: boolean; pattern: string; flags: string };

/** Splits text into Unicode code points (not UTF-16 units, not grapheme clusters). */
export class CharTokenizer implements Tokenizer {
  readonly kind = 'char';
  readonly lowercase: boolean;

  constructor(options: CharTokenizerOptions = {}) {
    const o = optionsOf(options, 'charTokenizer');
    this.lowercase = booleanOption(o.lowercase, false, 'lowercase');
  }

  tokenize(text: string): string[] {
    return Array.from(this.lowercase ? text.toLowerCase() : text);
  }

  toJSON(): TokenizerJSON {
    return { kind: 'char', lowercase: this.lowercase };
  }
}

/** Splits text into words and punctuation by a pattern (WORD_PATTERN unless told). */
export class WordTokenizer implements Tokenizer {
  readonly kind = 'word';
  readonly lowercase: boolean;
  readonly pattern: RegExp;

  constructor(options: WordTokenizerOptions = {}) {
    const o = optionsOf(options, 'wordTokenizer');
    this.lowercase = booleanOption(o.lowercase, true, 'lowercase');
    this.pattern = globalPattern(o.pattern ?? WORD_PATTERN);
  }

  tokenize(text: string): string[] {
    const matches = (this.lowercase ? text.toLowerCase() : text).match(this.pattern);
    if (matches === null) return [];
    return matches.filter((token) => token.length > 0);
  }

  toJSON(): TokenizerJSON {
    return {
      kind: 'word',
      lowercase: this.lowercase,
      pattern: this.pattern.source,
      flags: this.pattern.flags,
    };
  }
}

/** A character tokeniser: `charTokenizer().tokenize('Hé!')` → ['H', 'é', '!']. */
export function charTokenizer(options: CharTokenizerOptions = {}): CharTokenizer {
  return new CharTokenizer(options);
}

/** A word tokeniser: `wordTokenizer().tokenize("Don't stop.")` → ["don't", 'stop', '.']. */
export function wordTokenizer(options: WordTokenizerOptions = {}): WordTokenizer {
  return new WordTokenizer(options);
}

/** Rebuilds a tokeniser saved with `toJSON()`; a malformed document → ERR_DATA_BAD_JSON. */
export function tokenizerFromJSON(json: unknown): CharTokenizer | WordTokenizer {
  if (typeof json !== 'object' || json === null)
    fail(DataErrorCode.BAD_JSON, 'tokenizer: expected an object');
  const doc = json as Record<string, unknown>;
  if (typeof doc.lowercase !== 'boolean')
    fail(DataErrorCode.BAD_JSON, 'tokenizer.lowercase: expected a boolean');
  if (doc.kind === 'char') return new CharTokenizer({ lowercase: doc.lowercase });
  if (doc.kind !== 'word') {
    fail(DataErrorCode.BAD_JSON, `tokenizer.kind: expected 'char' or 'word', got ${describeGot(doc.kind)}`);
  }
  if (typeof doc.pattern !== 'string' || typeof doc.flags !== 'string') {
    fail(DataErrorCode.BAD_JSON, 'tokenizer.pattern and tokenizer.flags: expected strings');
  }
  let pattern: RegExp;
  try {
    pattern = new RegExp(doc.pattern, doc.flags);
  } catch (error) {
    fail(DataErrorCode.BAD_JSON, `tokenizer.pattern: not a valid regular expression (${error})`, error);
  }
  return new WordTokenizer({ lowercase: doc.lowercase, pattern });
}

function booleanOption(value: unknown, fallback: boolean, name: string): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(DataErrorCode.BAD_OPTION, `options.${name} must be a boolean`);
  return value;
}

/** The pattern with the global flag (String#match then returns every match). */
function globalPattern(pattern: unknown): RegExp {
  if (!(pattern instanceof RegExp)) fail(DataErrorCode.BAD_OPTION, 'options.pattern must be a RegExp');
  return pattern.global ? pattern : new RegExp(pattern.source, `${pattern.flags}g`);
}
