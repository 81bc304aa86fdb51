// recur's interleaved scaling measurement end to end (run.ts, Note [interleaved scaling]): real
// child processes and real worker threads on the smallest counts. What a run reports is checked,
// never how fast it was.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { formatReport } from './format.js';
import { runBenchmarks } from './run.js';

t.test(
  'one child alternates threads(1) and threads(2) for every round; speedups within rounds',
  async (t) => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'recur-bench-scaling-'));
    t.teardown(() => rmSync(cacheDir, { recursive: true, force: true }));
    const report = await runBenchmarks({
      workloads: ['gru-std'],
      systems: ['recur'],
      threads: [2, 1],
      repeats: 1,
      warmup: 1,
      steps: 2,
      scalingRounds: 2,
      install: false,
      cacheDir,
    });
    t.equal(report.settings.scalingRounds, 2);
    t.equal(report.scaling.length, 1, 'one scaling entry per workload');
    const s = report.scaling[0]!;
    t.equal(s.ok, true, s.error?.message ?? 'the child succeeded');
    t.same(s.threads, [1, 2], 'thread counts in ascending order: the first is the base');
    t.equal(s.steps, 3, 'at least SCALING_MIN_STEPS timed steps a fit (2 were asked for)');
    t.equal(s.roundsStepMs.length, 2, 'two rounds');
    for (const row of s.roundsStepMs) {
      t.equal(row.length, 2, 'a median step per thread count');
      t.ok(
        row.every((ms) => ms > 0),
        `positive step times: ${row.join(', ')}`,
      );
    }
    t.equal(s.speedup[0], 1, 'the base against itself');
    const ratios = s.roundsStepMs.map(([one, two]) => one! / two!).sort((a, b) => a - b);
    t.equal(s.speedup[1], (ratios[0]! + ratios[1]!) / 2, 'the median of the rounds’ own ratios');
    t.match(formatReport(report), /recur threads\(W\) ÷ threads\(1\), fits alternated in one process/);
    const off = await runBenchmarks({
      workloads: ['gru-std'],
      systems: ['recur'],
      threads: [1, 2],
      repeats: 1,
      warmup: 1,
      steps: 1,
      scalingRounds: 0,
      balance: 16,
      install: false,
      cacheDir,
    });
    t.same(off.scaling, [], 'scalingRounds 0: not measured');
    const [one, two] = off.measurements;
    t.same(one?.detail?.threadsOptions, {}, 'balance: threads(1) runs plain');
    t.same(
      two?.detail?.threadsOptions,
      { accumulate: 2, balance: true },
      'threads(2): 64 ÷ 2 ÷ 16 = 2 a rank',
    );
    t.ok(Number.isFinite(two?.detail?.stolenPerStep), 'with the micro-batches it moved');
    t.match(formatReport(off), /threads\(W\) for W ≥ 2 balanced micro-batches of about 16 samples/, 'noted');
  },
);
