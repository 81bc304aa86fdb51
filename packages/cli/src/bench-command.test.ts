// `recur bench` on commander like every other command: its help is commander's, a bad flag is
// ERR_CLI_BAD_FLAG with exit code 2 (commander's own checks and @recur/bench's value checks),
// and the flags reach @recur/bench's run (one tiny measurement). The optional package's absence
// (ERR_CLI_BENCH_MISSING) is checked where it can be absent: test/pack-install.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { recur, tempFolder } from './testing/recur.js';

t.test('recur bench --help is commander help listing every flag', async (t) => {
  const help = await recur(['bench', '--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /^Usage: recur bench \[options\]\n/);
  t.match(help.stdout, /-h, --help +display help for command/, "commander's help option");
  const flags = ['--workloads', '--systems', '--threads', '--cluster-nodes', '--cluster-precisions'];
  flags.push('--cluster-bucket-bytes');
  flags.push('--repeats', '--warmup', '--steps', '--set', '--seed', '--cache-dir', '--no-install');
  flags.push('--out', '--json', '--child-timeout-s', '--scaling-rounds', '--balance', '--quiet');
  for (const flag of flags) t.match(help.stdout, `  ${flag} `, `documents ${flag}`);
});

t.test('a bad bench flag is ERR_CLI_BAD_FLAG, exit code 2, one line', async (t) => {
  const cases: [string[], RegExp][] = [
    [['--frobnicate'], /unknown option '--frobnicate'/],
    [['extra'], /too many arguments for 'bench'/],
    [['--repeats'], /option '--repeats <n>' argument missing/],
    [['--repeats', '0'], /ERR_BENCH_BAD_OPTION: repeats must be an integer in \[1, 100\], got 0/],
    [['--steps', 'many'], /ERR_BENCH_BAD_OPTION: --steps must be a non-negative integer/],
    [['--systems', 'recur,keras'], /ERR_BENCH_BAD_OPTION: systems: unknown "keras"/],
    [['--set', 'lstm-big.epochs=2'], /ERR_BENCH_BAD_OPTION: --set must look like/],
  ];
  for (const [args, message] of cases) {
    const ran = await recur(['bench', ...args], undefined, { timeoutMs: 60_000 });
    t.equal(ran.code, 2, `${args.join(' ')}: exit code 2`);
    t.match(ran.stderr, /^recur: ERR_CLI_BAD_FLAG: /, `${args.join(' ')}: coded`);
    t.match(ran.stderr, message, `${args.join(' ')}: says what is wrong`);
    t.match(ran.stderr, /hint: run `recur bench --help` for the flags\)\n$/, 'one line with the hint');
    t.equal(ran.stdout, '', 'nothing on stdout');
  }
});

t.test('the flags reach the run: one tiny recur measurement', async (t) => {
  const out = tempFolder('bench-command');
  const args = ['--workloads', 'lstm-std', '--systems', 'recur', '--threads', '1', '--repeats', '1'];
  args.push('--set', 'lstm-std.warmup=1', '--set', 'lstm-std.steps=1', '--no-install');
  args.push('--out', out, '--json', '--quiet'); // in the order of --help, as the report shows them
  const ran = await recur(['bench', ...args], undefined, { timeoutMs: 300_000 });
  t.equal(ran.code, 0, ran.stderr);
  const report = JSON.parse(readFileSync(join(out, 'bench.json'), 'utf8'));
  t.same(JSON.parse(ran.stdout), report, '--json prints the report that bench.json holds');
  t.equal(report.command, `recur bench ${args.join(' ')}`, "the report's command line");
  t.same(
    report.measurements.map((m: { kind: string; threads: number }) => [m.kind, m.threads]),
    [['recur', 1]],
    'one recur measurement at 1 thread',
  );
});
