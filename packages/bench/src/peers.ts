// The peers, installed on demand and skipped with a note when they cannot be:
// - @tensorflow/tfjs (cpu backend) and @tensorflow/tfjs-backend-wasm, exact versions, with npm
//   into the cache folder (`<cacheDir>/node_modules`), through the user's own npm configuration;
// - PyTorch from Debian's python3-torch with OpenBLAS (libopenblas0-openmp): `apt-get install`
//   when missing and running as root. It imports only with Debian's own /usr/bin/python3, and
//   only from a working directory without a torch/ folder (the cache folder is used). The
//   reference BLAS python3-torch brings by default is ten times slower, so the child's
//   LD_LIBRARY_PATH points at Debian's openblas-openmp folder when it exists.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProgressEvent } from './options.js';
import type { PeerStatus } from './types.js';

/** Exact versions of the npm peers (never a range: figures must compare across time). */
export const PEER_VERSIONS = Object.freeze({
  '@tensorflow/tfjs': '4.22.0',
  '@tensorflow/tfjs-backend-wasm': '4.22.0',
});

export const APT_PACKAGES = ['python3-torch', 'libopenblas0-openmp'] as const;

type Progress = (event: ProgressEvent) => void;

function installedVersion(cacheDir: string, name: string): string | null {
  const file = join(cacheDir, 'node_modules', name, 'package.json');
  if (!existsSync(file)) return null;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return null; // a broken install counts as none: it is installed again
  }
}

const tfjsReady = (cacheDir: string) =>
  Object.entries(PEER_VERSIONS).every(([name, version]) => installedVersion(cacheDir, name) === version);

const lastLines = (text: string | null | undefined) => (text ?? '').trim().split('\n').slice(-3).join(' | ');

/** Makes sure the pinned tfjs packages are in `<cacheDir>/node_modules`; never throws. */
export function ensureTfjs(cacheDir: string, install: boolean, progress: Progress): PeerStatus {
  const version = PEER_VERSIONS['@tensorflow/tfjs'];
  if (tfjsReady(cacheDir))
    return { name: 'tfjs', available: true, version, note: `tfjs ${version} in ${cacheDir}` };
  if (!install) {
    return {
      name: 'tfjs',
      available: false,
      version: null,
      note: `tfjs not in ${cacheDir} and install is off: skipped`,
    };
  }
  mkdirSync(cacheDir, { recursive: true });
  const manifest = {
    name: 'recur-bench-peers',
    private: true,
    description: 'peers of @recur/bench',
    dependencies: PEER_VERSIONS,
  };
  writeFileSync(join(cacheDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  progress({ kind: 'install', message: `installing tfjs ${version} (cpu, wasm) into ${cacheDir} with npm` });
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['install', '--prefix', cacheDir, '--no-audit', '--no-fund', '--loglevel=error'], {
    encoding: 'utf8',
    cwd: cacheDir,
  });
  if (r.error !== undefined || r.status !== 0 || !tfjsReady(cacheDir)) {
    const why = r.error?.message ?? lastLines(r.stderr);
    return {
      name: 'tfjs',
      available: false,
      version: null,
      note: `tfjs could not be installed (npm: ${why}): skipped`,
    };
  }
  return { name: 'tfjs', available: true, version, note: `tfjs ${version} installed into ${cacheDir}` };
}

/** The folders of Debian's OpenBLAS (OpenMP build), e.g. /usr/lib/x86_64-linux-gnu/openblas-openmp. */
export function openblasDirs(): string[] {
  const lib = '/usr/lib';
  if (!existsSync(lib)) return [];
  return readdirSync(lib)
    .map((d) => join(lib, d, 'openblas-openmp'))
    .filter((d) => existsSync(join(d, 'libblas.so.3')));
}

/** The environment a PyTorch child runs in: OpenBLAS first on the library path, OpenMP bounded. */
export function torchEnv(threads: number): NodeJS.ProcessEnv {
  const dirs = openblasDirs();
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: String(threads) };
  if (dirs.length > 0) env.LD_LIBRARY_PATH = [...dirs, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  return env;
}

function torchVersion(python: string, cwd: string): string | null {
  const r = spawnSync(python, ['-c', 'import numpy, torch; print(torch.__version__)'], {
    encoding: 'utf8',
    cwd,
    env: torchEnv(1),
  });
  return r.status === 0 ? r.stdout.trim() : null;
}

function aptInstall(packages: readonly string[], progress: Progress): string | null {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', ...packages], { encoding: 'utf8', env });
  progress({ kind: 'install', message: `apt-get install -y ${packages.join(' ')} (can take minutes)` });
  let r = install();
  if (r.error === undefined && r.status !== 0) {
    // a fresh machine may have no package lists yet
    progress({ kind: 'install', message: 'apt-get update, then the install again' });
    spawnSync('apt-get', ['update'], { encoding: 'utf8', env });
    r = install();
  }
  if (r.error !== undefined) return r.error.message;
  return r.status === 0 ? null : lastLines(r.stderr);
}

/** Makes sure Debian's PyTorch imports, with OpenBLAS; never throws. */
export function ensureTorch(
  python: string,
  cacheDir: string,
  install: boolean,
  progress: Progress,
): PeerStatus {
  mkdirSync(cacheDir, { recursive: true }); // the children's working directory: no torch/ folder there
  let version = torchVersion(python, cacheDir);
  const missing = [
    ...(version === null ? ['python3-torch'] : []),
    ...(openblasDirs().length === 0 ? ['libopenblas0-openmp'] : []),
  ];
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  let note = '';
  if (missing.length > 0) {
    if (!install) note = `missing ${missing.join(', ')} and install is off`;
    else if (!root || !existsSync('/usr/bin/apt-get'))
      note = `missing ${missing.join(', ')} (install needs root and apt-get)`;
    else {
      const failure = aptInstall(missing, progress);
      if (failure !== null) note = `apt-get install ${missing.join(' ')} failed: ${failure}`;
      version = torchVersion(python, cacheDir);
    }
  }
  if (version === null) {
    return {
      name: 'torch',
      available: false,
      version: null,
      note: `PyTorch not importable by ${python} (${note}): skipped`,
    };
  }
  const blas =
    openblasDirs().length > 0
      ? 'OpenBLAS (openmp)'
      : 'the reference BLAS: libopenblas0-openmp is missing, figures are about ten times too low';
  return {
    name: 'torch',
    available: true,
    version,
    note: `PyTorch ${version} with ${blas}${note ? `; ${note}` : ''}`,
  };
}
