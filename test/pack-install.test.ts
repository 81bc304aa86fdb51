// What a user gets from the registry, checked without publishing: every package is packed with
// `pnpm pack` (workspace:* becomes the version), the tarballs are installed with npm into an empty
// folder outside the workspace (os.tmpdir()), and there
//   - `npx recur train` of the repository's seattle-temperature.json with --smoke trains and
//     writes its run folder, with the data of @recur/examples and the kernels' addon built by
//     its install script (or wasm, said in one line);
//   - `recur bench` without the optional @recur/bench is ERR_CLI_BENCH_MISSING;
//   - a TypeScript consumer (strict, skipLibCheck: false, module nodenext, the default libs with
//     lib.dom) importing every package compiles with no error.
// Third-party packages come from the npm registry through npm's cache (--prefer-offline). The
// first run downloads the data packages (about 55 MB); later runs take a few minutes, most of it
// npm and the addon's compile. Every child process has a timeout.
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';

const root = join(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'recur-pack-install-'));
const tarballs = join(work, 'tarballs');
const app = join(work, 'app');
const MINUTE = 60_000;
t.setTimeout(40 * MINUTE);
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const packageDirs = readdirSync(join(root, 'packages')).map((name) => join(root, 'packages', name));
const manifestOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
const rootManifest = manifestOf(root);
/** npm without its audit, funding and update notices, on this machine's cache first */
const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund', '--no-update-notifier'];
const seconds: Record<string, number> = {};

/** Runs `command` in `cwd` with a timeout; the result, timed under `label`. */
function run(label: string, command: string, args: string[], cwd: string, timeoutMs: number) {
  const started = performance.now();
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', npm_config_loglevel: 'error' },
  });
  seconds[label] = (seconds[label] ?? 0) + (performance.now() - started) / 1000;
  return result;
}

/** The last lines of a failed child's output, for the assertion's message. */
const tail = (r: SpawnSyncReturns<string>) =>
  `exit ${r.status} ${r.signal ?? ''} ${r.error?.message ?? ''}\n${`${r.stdout}\n${r.stderr}`.slice(-3000)}`;

const tarballOf = (name: string) => join(tarballs, `${name.replace('@', '').replace('/', '-')}-0.1.0.tgz`);

t.test('every package packs: dist, README and LICENSE; no tests, tsconfigs, logs or built addon', (t) => {
  mkdirSync(tarballs);
  for (const dir of packageDirs) {
    const { name } = manifestOf(dir);
    const packed = run('pnpm pack', 'pnpm', ['pack', '--pack-destination', tarballs], dir, 2 * MINUTE);
    t.equal(packed.status, 0, `${name} packs`, { diagnostic: packed.status !== 0, output: tail(packed) });
    const files = run('tar', 'tar', ['-tzf', tarballOf(name)], work, MINUTE).stdout.split('\n');
    for (const wanted of ['package/package.json', 'package/README.md', 'package/LICENSE']) {
      t.ok(files.includes(wanted), `${name} ships ${wanted}`);
    }
    t.ok(
      files.some((f) => /^package\/dist\/index\.d\.ts$/.test(f)),
      `${name} ships dist/index.d.ts`,
    );
    const unwanted = files.filter((f) =>
      /\.test\.|\/tsconfig[^/]*\.json$|\.turbo|\.tap\/|\.node$|native\/build\/|\.tsbuildinfo$/.test(
        f.replace(/^package\/assembly\/tsconfig\.json$/, ''),
      ),
    );
    t.same(unwanted, [], `${name} ships no tests, tsconfigs, logs or build output`);
    const helpers = files.some((f) => f.startsWith('package/dist/testing/'));
    t.equal(
      helpers,
      manifestOf(dir).exports['./testing'] !== undefined,
      `${name}: test helpers only if exported`,
    );
    const packedManifest = JSON.parse(
      run('tar', 'tar', ['-xzOf', tarballOf(name), 'package/package.json'], work, MINUTE).stdout,
    );
    t.notOk(packedManifest.private, `${name} is not private`);
    t.equal(packedManifest.license, 'MIT', `${name}: MIT`);
    t.same(packedManifest.engines, { node: '>=20' }, `${name}: engines`);
    t.notMatch(JSON.stringify(packedManifest), /workspace:/, `${name}: no workspace: specs left`);
  }
  t.end();
});

/** file: specs of every package but @recur/bench, which the CLI leaves optional. */
function appManifest() {
  const specs: Record<string, string> = {};
  for (const dir of packageDirs) {
    const { name } = manifestOf(dir);
    if (name !== '@recur/bench') specs[name] = `file:${tarballOf(name)}`;
  }
  return {
    name: 'recur-pack-install-app',
    private: true,
    type: 'module',
    dependencies: specs,
    // the tarballs' own @recur dependencies (0.1.0, not on the registry) resolve to the tarballs too
    overrides: specs,
    devDependencies: {
      typescript: rootManifest.devDependencies.typescript,
      '@types/node': rootManifest.devDependencies['@types/node'],
    },
  };
}

t.test('npm installs the CLI outside the workspace; `npx recur train --smoke` writes its run', (t) => {
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), `${JSON.stringify(appManifest(), null, 2)}\n`);
  const install = run(
    'npm install',
    'npm',
    ['install', '--foreground-scripts', ...NPM_FLAGS],
    app,
    20 * MINUTE,
  );
  t.equal(install.status, 0, 'npm install', { diagnostic: install.status !== 0, output: tail(install) });
  const addon = /@recur\/kernels: native addon (built in [\d.]+ s|not built \(.*\))/.exec(install.stdout);
  t.ok(addon, "kernels' install script says in one line whether it built the addon");
  const built = existsSync(join(app, 'node_modules/@recur/kernels/dist/native/recur_kernels.node'));
  t.equal(built, addon?.[1]?.startsWith('built') === true, 'the addon is there exactly when it says so');
  t.comment(`kernels' install: native addon ${addon?.[1] ?? '?'}`);

  // the repository's quick-start config, as a user would copy it
  copyFileSync(join(root, 'configs', 'seattle-temperature.json'), join(app, 'seattle.json'));
  const args = ['--no-install', 'recur', 'train', 'seattle.json', '--smoke', '--output', 'runs/tiny'];
  const train = run('npx recur train --smoke', 'npx', args, app, 5 * MINUTE);
  t.equal(train.status, 0, 'recur train --smoke finishes', {
    diagnostic: train.status !== 0,
    output: tail(train),
  });
  for (const file of ['config.json', 'metrics.jsonl', 'best.ckpt', 'last.ckpt']) {
    t.ok(existsSync(join(app, 'runs', 'tiny', file)), `the run folder has ${file}`);
  }
  t.match(train.stdout, /test MAE/i, 'it prints the score');

  const bench = run(
    'npx recur bench',
    'npx',
    ['--no-install', 'recur', 'bench', '--steps', '1'],
    app,
    MINUTE,
  );
  t.equal(bench.status, 1, 'recur bench without @recur/bench fails with exit code 1');
  t.match(
    bench.stderr,
    /^recur: ERR_CLI_BENCH_MISSING: .*@recur\/bench.*npm install @recur\/bench/,
    'one coded line saying what to install',
  );
  t.end();
});

const consumer = `// Every package's public surface, type-checked as a user's strict program would.
import * as bench from '@recur/bench';
import * as cli from '@recur/cli';
import * as cluster from '@recur/cluster';
import * as dashboard from '@recur/dashboard';
import * as charts from '@recur/dashboard/charts';
import * as data from '@recur/data';
import * as examples from '@recur/examples';
import * as kernels from '@recur/kernels';
import * as kernelsTesting from '@recur/kernels/testing';
import * as nn from '@recur/nn';
import * as parallel from '@recur/parallel';
import * as protocol from '@recur/protocol';

const memory: kernels.WasmMemory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
export const modules = [bench, cli, cluster, dashboard, charts, data, examples, kernels, kernelsTesting];
export const more = [nn, parallel, protocol, memory];
`;

const consumerTsconfig = {
  compilerOptions: {
    target: 'ES2022',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    strict: true,
    skipLibCheck: false,
    noEmit: true,
    types: ['node'],
  },
  files: ['consumer.ts'],
};

t.test('a strict TypeScript consumer with skipLibCheck false compiles against every package', (t) => {
  const added = run(
    'npm install',
    'npm',
    ['install', `file:${tarballOf('@recur/bench')}`, ...NPM_FLAGS],
    app,
    10 * MINUTE,
  );
  t.equal(added.status, 0, 'npm install @recur/bench', {
    diagnostic: added.status !== 0,
    output: tail(added),
  });
  writeFileSync(join(app, 'consumer.ts'), consumer);
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(consumerTsconfig, null, 2));
  const tsc = run(
    'tsc',
    process.execPath,
    [join(app, 'node_modules/typescript/bin/tsc'), '-p', '.'],
    app,
    5 * MINUTE,
  );
  t.equal(tsc.stdout, '', 'no type errors');
  t.equal(tsc.status, 0, 'tsc exits 0', { diagnostic: tsc.status !== 0, output: tail(tsc) });
  const help = run(
    'npx recur bench --help',
    'npx',
    ['--no-install', 'recur', 'bench', '--help'],
    app,
    MINUTE,
  );
  t.match(help.stdout, /^Usage: recur bench \[options\]/, 'recur bench --help');
  t.end();
});

t.test('timings', (t) => {
  const total = Object.values(seconds).reduce((a, b) => a + b, 0);
  const parts = Object.entries(seconds).map(([label, s]) => `${label} ${s.toFixed(1)} s`);
  t.comment(`pack and install: ${total.toFixed(1)} s (${parts.join(', ')})`);
  t.end();
});
