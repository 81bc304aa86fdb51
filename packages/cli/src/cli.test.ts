// The `recur` command as a user runs it (the built bin in a child process): help, flags, error
// lines and exit codes, and the kernel backend a run names.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { wasmSimdSupported } from '@recur/kernels';
import t from 'tap';
import { config, recur, tempFolder } from './testing/recur.js';

t.test('--help lists every command, and each command documents its flags', async (t) => {
  const top = await recur(['--help']);
  t.equal(top.code, 0);
  for (const name of ['train', 'eval', 'predict', 'generate', 'summary', 'data', 'bench']) {
    t.match(top.stdout, new RegExp(`\\n  ${name} `), `recur --help lists ${name}`);
  }
  t.match(top.stdout, /Exit codes: 0 done, 1 failed, 2 bad flag or config, 130 stopped by Ctrl-C/);
  const flags: Record<string, string[]> = {
    train: ['--threads', '--epochs', '--batch-size', '--seed', '--output', '--limit', '--smoke', '--resume'],
    eval: ['--checkpoint', '--split', '--json'],
    predict: ['--input', '--output', '--checkpoint'],
    generate: ['--prompt', '--steps', '--temperature', '--top-k', '--seed', '--samples', '--checkpoint'],
    summary: ['<path>'],
    'data pack': ['--out', '--samples-per-shard', '--limit'],
  };
  for (const [command, expected] of Object.entries(flags)) {
    const help = await recur([...command.split(' '), '--help']);
    t.equal(help.code, 0, `${command} --help exits 0`);
    for (const flag of expected) t.match(help.stdout, flag, `${command} --help documents ${flag}`);
  }
});

t.test('a bad flag is one line with its code and a hint, exit code 2', async (t) => {
  const cases: [string[], RegExp][] = [
    [
      ['train', config('seattle-temperature'), '--epochs', 'zero'],
      /--epochs <n>.*'zero' is invalid. expected an integer ≥ 1/,
    ],
    [
      ['train', config('seattle-temperature'), '--threads', '0'],
      /--threads <n>.*expected an integer ≥ 1, got '0'/,
    ],
    [['train', config('seattle-temperature'), '--wings'], /unknown option '--wings'.*recur train --help/],
    [['trian'], /unknown command 'trian' \(Did you mean train\?\)/],
    [['train'], /missing required argument 'config'/],
    [['generate', 'runs/x', '--temperature', '-1'], /expected a number above 0/],
  ];
  for (const [args, message] of cases) {
    const ran = await recur(args);
    t.equal(ran.code, 2, `${args.join(' ')}: exit 2`);
    t.match(ran.stderr, /^recur: ERR_CLI_BAD_FLAG: /, 'the code comes first');
    t.match(ran.stderr, message);
    t.match(ran.stderr, /\(hint: /);
    t.equal(ran.stderr.trim().split('\n').length, 1, 'one line');
  }
});

t.test('a bad config names the JSON path; --verbose adds the stack', async (t) => {
  const folder = tempFolder('bad-config');
  const path = join(folder, 'bad.json');
  writeFileSync(
    path,
    JSON.stringify({
      name: 'bad',
      task: 'forecast',
      data: {
        source: { kind: 'dataset', name: 'seattle-weather' },
        inputs: ['temp_max'],
        target: 'temp_max',
        window: 0,
      },
    }),
  );
  const ran = await recur(['train', path]);
  t.equal(ran.code, 2);
  t.match(ran.stderr, /ERR_CLI_BAD_CONFIG: .*bad\.json: data\.window: .*>=1, got 0/);
  t.notMatch(ran.stderr, /\n\s+at /, 'no stack trace');
  const verbose = await recur(['train', path, '--verbose']);
  t.match(verbose.stderr, /\n\s+at /, '--verbose prints the stack');
  const column = join(folder, 'column.json');
  writeFileSync(
    column,
    JSON.stringify({
      name: 'column',
      task: 'forecast',
      data: {
        source: { kind: 'dataset', name: 'seattle-weather' },
        inputs: ['temp_max', 'humidity'],
        target: 'temp_max',
      },
    }),
  );
  const missing = await recur(['train', column]);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /data\.inputs\[1\]: no numeric column 'humidity' \(columns: .*temp_min/);
  const flagged = await recur(['train', config('seattle-temperature'), '--output', '']);
  t.equal(flagged.code, 2, 'an empty --output fails the schema');
  t.match(flagged.stderr, /with flags: output: /);
});

t.test('missing files and folders are exit code 1 with ERR_CLI_NOT_FOUND', async (t) => {
  const train = await recur(['train', 'no/such/config.json']);
  t.equal(train.code, 1);
  t.match(train.stderr, /ERR_CLI_NOT_FOUND: cannot read config no\/such\/config\.json/);
  const evaluated = await recur(['eval', 'no/such/run']);
  t.equal(evaluated.code, 1);
  t.match(evaluated.stderr, /ERR_CLI_NOT_FOUND: no\/such\/run is not a run folder/);
});

t.test(
  'a run names the kernel backend RECUR_KERNELS forces, and its ISA, everywhere it reports',
  async (t) => {
    const cases: [string, number, object, string][] = [
      [
        'ts',
        2,
        { backend: 'ts', isa: 'scalar', threads: 2 },
        'ts (scalar) on 2 threads (the workers use the same backend)',
      ],
    ];
    if (wasmSimdSupported()) {
      cases.push(['wasm', 1, { backend: 'wasm', isa: 'simd128', threads: 1 }, 'wasm (simd128) on 1 thread']);
    }
    for (const [forced, threads, recorded, described] of cases) {
      const run = join(tempFolder(`kernels-${forced}`), 'run');
      const args = [
        'train',
        config('seattle-temperature'),
        '--smoke',
        '--threads',
        String(threads),
        '--output',
        run,
      ];
      const ran = await recur(args, undefined, { env: { RECUR_KERNELS: forced } });
      t.equal(ran.code, 0, ran.stderr);
      t.ok(ran.stdout.split('\n').includes(`kernels: ${described}`), `${forced}: the header`);
      const metrics = readFileSync(join(run, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      t.equal(metrics.length, 1, `${forced}: still one line per epoch`);
      t.same(metrics[0].kernels, recorded, `${forced}: metrics.jsonl`);
      t.same(
        JSON.parse(readFileSync(join(run, 'results.json'), 'utf8')).kernels,
        recorded,
        `${forced}: results.json`,
      );
      const report = readFileSync(join(run, 'report.html'), 'utf8');
      t.match(report, `<td id="kernels">${described}</td>`, `${forced}: report.html`);
    }
  },
);
