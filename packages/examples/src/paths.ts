// Where the installed data packages keep their files. The data sets are npm packages pinned in
// this package's package.json (never copied into the repository).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** The absolute path of `parts` inside the installed package `name`. */
export function dataPath(name: string, ...parts: string[]): string {
  return join(dirname(require.resolve(`${name}/package.json`)), ...parts);
}
