// The README's two commands land here: `npm start` (the main job) and `npm test` (every check).
// On a fresh machine with only Node >= 20 and npm it installs the pinned pnpm, the locked
// dependencies, builds every package, and then runs the job. Plain .mjs: Node 20 cannot strip types.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const pnpmVersion = manifest.packageManager.replace(/^pnpm@/, '').split('+')[0];
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' };

function run(command, args) {
  console.log(`> ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, env, stdio: 'inherit' });
  if (result.error) throw result.error;
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function installedPnpmVersion() {
  try {
    return execFileSync('pnpm', ['--version'], { env, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

function ensurePnpm() {
  if (installedPnpmVersion() === pnpmVersion) return;
  run('npm', ['install', '--global', `pnpm@${pnpmVersion}`]);
}

const jobs = {
  demo: () => run('node', ['scripts/demo-sine.mjs', ...process.argv.slice(3)]),
  test: () => {
    run('pnpm', ['exec', 'biome', 'check', '.']);
    run('pnpm', ['exec', 'turbo', 'run', 'typecheck']);
    run('pnpm', ['exec', 'tap']);
  },
};

const job = jobs[process.argv[2]];
if (!job) {
  console.error(`usage: node scripts/bootstrap.mjs <${Object.keys(jobs).join('|')}>`);
  process.exit(2);
}
ensurePnpm();
run('pnpm', ['install', '--frozen-lockfile']);
run('pnpm', ['exec', 'turbo', 'run', 'build']);
job();
