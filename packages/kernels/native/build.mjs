// Builds the native kernels (binding.gyp) with node-gyp and copies the addon to
// dist/native/recur_kernels.node, where src/native/addon.ts looks for it. Run by the package's
// `build` script, and by its `install` script when the package is installed from the registry
// or a tarball (which ship the sources, not the addon). It never fails the build or the
// install: when node-gyp or the compiler is missing or fails, it prints one line and exits 0,
// and the 'auto' kernel backend falls back to 'wasm'.
//
// Node's headers: node-gyp would download them, which fails on a closed network, so --nodedir is
// always given: npm's `nodedir` (npm and pnpm pass it to scripts as npm_config_nodedir, or
// `npm config get nodedir`), else the prefix of this node binary when its include/node has
// node_api.h (Debian's /usr). The first build configures; later ones let make rebuild only what
// changed (RECUR_NATIVE_REBUILD=1 starts over).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const target = join(here, '..', 'dist', 'native', 'recur_kernels.node');
const built = join(here, 'build', 'Release', 'recur_kernels.node');

function nodeDir() {
  const fromEnv = process.env.npm_config_nodedir;
  if (fromEnv) return fromEnv;
  const npm = spawnSync('npm', ['config', 'get', 'nodedir'], { encoding: 'utf8', timeout: 30_000 });
  const fromNpm = npm.status === 0 ? npm.stdout.trim() : '';
  if (fromNpm && fromNpm !== 'undefined' && fromNpm !== 'null') return fromNpm;
  const prefix = dirname(dirname(process.execPath));
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : null;
}

/**
 * node-gyp's script: the package's own (a devDependency, in the repository), else the one npm
 * bundles and names to install scripts as npm_config_node_gyp (when installed from the registry
 * or a tarball, where devDependencies are absent).
 */
function nodeGypBin() {
  try {
    return createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
  } catch (error) {
    const bundled = process.env.npm_config_node_gyp;
    if (bundled && existsSync(bundled)) return bundled;
    throw error;
  }
}

/** Runs node-gyp with `args`; the reason it failed, or null. */
function nodeGyp(args) {
  const bin = nodeGypBin();
  const run = spawnSync(process.execPath, [bin, ...args], { cwd: here, encoding: 'utf8', timeout: 600_000 });
  if (run.error) return run.error.message;
  if (run.status === 0) return null;
  const lines = `${run.stderr}\n${run.stdout}`.split('\n').filter((l) => /error/i.test(l));
  return (lines[0] ?? `node-gyp ${args[0]} exited with ${run.status}`).trim();
}

function build() {
  const dir = nodeDir();
  if (dir === null) return "no Node headers found (set npm's nodedir)";
  if (process.env.RECUR_NATIVE_REBUILD === '1') rmSync(join(here, 'build'), { recursive: true, force: true });
  const fresh = !existsSync(join(here, 'build', 'Makefile'));
  if (fresh) {
    const failed = nodeGyp(['configure', `--nodedir=${dir}`]);
    if (failed !== null) return failed;
  }
  return nodeGyp(['build', `--nodedir=${dir}`, '--jobs=2']);
}

const started = performance.now();
let failure;
try {
  failure = build();
} catch (error) {
  failure = error instanceof Error ? error.message : String(error);
}
if (failure === null) {
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(built, target);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`@recur/kernels: native addon built in ${seconds} s (dist/native/recur_kernels.node)`);
} else {
  rmSync(target, { force: true });
  console.log(`@recur/kernels: native addon not built (${failure}); the 'auto' backend will use wasm`);
}
