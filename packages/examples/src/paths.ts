// Where the installed data packages keep their files. The data sets are npm packages pinned in
// this package's package.json (never copied into the repository).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** The folder of the installed package `name` (found from its entry point: some packages' `exports` hide package.json). */
function packageRoot(name: string): string {
  let dir = dirname(require.resolve(name));
  while (dir !== dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === name
    )
      return dir;
    dir = dirname(dir);
  }
  throw new Error(`data package ${name} is installed without its package.json; run pnpm install`);
}

/** The absolute path of `parts` inside the installed package `name`. */
export function dataPath(name: string, ...parts: string[]): string {
  return join(packageRoot(name), ...parts);
}
