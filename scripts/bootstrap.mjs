// The README's two commands land here: `npm start` (the main job: `recur train` on the Seattle
// temperature config) and `npm test` (every check, with Debian's chromium for the report test).
// On a fresh machine with only Node >= 20 and npm it installs the pinned pnpm, the locked
// dependencies, builds every package, and then runs the job. Plain .mjs: Node 20 cannot strip types.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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

// The report test opens report.html in Debian's headless Chromium (never a browser a tool
// downloads): install it with apt when it is missing.
const chromium = process.env.RECUR_CHROMIUM ?? '/usr/bin/chromium';
function ensureChromium() {
  if (existsSync(chromium)) return;
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const apt = (...args) => (sudo.length > 0 ? run('sudo', ['apt-get', ...args]) : run('apt-get', args));
  apt('update');
  env.DEBIAN_FRONTEND = 'noninteractive';
  apt('install', '-y', '--no-install-recommends', 'chromium');
}

const jobs = {
  // The main job: train the Seattle temperature forecast on the real data and print its test
  // MAE beside the persistence baseline. `npm start -- configs/<name>.json` trains another
  // config instead; other arguments go to `recur train` (e.g. `npm start -- --threads 2`).
  demo: () => {
    const args = process.argv.slice(3);
    const config = args[0]?.endsWith('.json') ? args.shift() : 'configs/seattle-temperature.json';
    run('node', ['packages/cli/dist/bin.js', 'train', config, ...args]);
  },
  test: () => {
    ensureChromium();
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
