// @recur/bench's cheap parts (issue 8): medians, rates, summaries and ratios, the table and JSON
// formatting, the HTML page, option and flag validation with coded errors, the child result line.
// Nothing here runs a benchmark: speed is never asserted by a test.

import t from 'tap';
import { parseBenchArgs, runCli } from './cli.js';
import { formatJson, formatNumber, formatRatio, formatReport, renderTable } from './format.js';
import { chartSpecs, renderHtml } from './html.js';
import { parseChildOutput, RESULT_MARKER } from './measure.js';
import { BENCH_LIMITS, resolveOptions } from './options.js';
import { CLUSTER_NOTE, planSystems, runBenchmarks, workloadData } from './run.js';
import { interleavedCpuBound, interleavedSpeedup, median, rates, ratios, summarise } from './stats.js';
import type { BenchReport, Measurement, SystemId } from './types.js';
import { flopPerStep, WORKLOADS } from './workloads.js';

const code = 'ERR_BENCH_BAD_OPTION';

t.test('median: odd, even, unsorted, empty', (t) => {
  t.equal(median([3, 1, 2]), 2);
  t.equal(median([4, 1, 3, 2]), 2.5);
  t.equal(median([5]), 5);
  t.ok(Number.isNaN(median([])));
  const xs = [3, 1, 2];
  median(xs);
  t.same(xs, [3, 1, 2], 'the input is not sorted in place');
  t.end();
});

t.test('work per step and rates follow BENCHMARKS.md', (t) => {
  const std = WORKLOADS['lstm-std']!;
  t.equal(flopPerStep(std), 3 * 2 * 64 * 50 * (32 + 128) * 512);
  t.equal((flopPerStep(std) / 1e9).toFixed(2), '1.57', 'lstm-std is about 1.57 GFLOP per step');
  t.equal(flopPerStep(WORKLOADS['gru-std']!), (flopPerStep(std) * 3) / 4, 'GRU has 3H gates, LSTM 4H');
  const r = rates([500, 500], 64, 1e9);
  t.equal(r.samplesPerSecond, 128, 'batch × steps ÷ seconds: 128 sequences in 1 s');
  t.equal(r.gflops, 2);
  t.end();
});

function m(
  id: string,
  kind: Measurement['kind'],
  threads: number,
  workload: string,
  sps: number,
  extra = {},
): Measurement {
  return {
    id,
    kind,
    threads,
    label: id,
    workload,
    repeat: 0,
    ok: true,
    warmup: 1,
    steps: 2,
    stepMs: [10, 12],
    samplesPerSecond: sps,
    gflops: sps / 10,
    peakRssMB: 100,
    loss: 0.5,
    wallMs: 1000,
    ...extra,
  };
}

t.test('summaries: medians over the good repeats, scaling against 1 thread, ratios to each peer', (t) => {
  const ms = [
    m('recur-1', 'recur', 1, 'lstm-std', 100),
    m('recur-1', 'recur', 1, 'lstm-std', 300),
    m('recur-1', 'recur', 1, 'lstm-std', 200),
    m('recur-2', 'recur', 2, 'lstm-std', 380),
    m('recur-2', 'recur', 2, 'lstm-std', Number.NaN, {
      ok: false,
      error: { code: 'ERR_BENCH_CHILD_FAILED', message: 'x' },
    }),
    m('tfjs-wasm', 'tfjs-wasm', 1, 'lstm-std', 50),
    m('torch-1', 'torch', 1, 'lstm-std', 1000),
    m('torch-2', 'torch', 2, 'lstm-std', 1500),
    m('cluster-1', 'cluster', 1, 'lstm-std', 150),
    m('cluster-2', 'cluster', 2, 'lstm-std', 270),
    m('cluster-1-fp16', 'cluster', 1, 'lstm-std', 100, { precision: 'fp16' }),
    m('cluster-2-fp16', 'cluster', 2, 'lstm-std', 190, { precision: 'fp16' }),
    m('cluster-1-b65536', 'cluster', 1, 'lstm-std', 140, { bucketBytes: 65536 }),
    m('cluster-2-b65536', 'cluster', 2, 'lstm-std', 280, { bucketBytes: 65536 }),
  ];
  const s = summarise(ms);
  t.same(
    s.map((x) => [x.id, x.runs, x.failed, x.samplesPerSecond, x.scaling]),
    [
      ['recur-1', 3, 0, 200, 1],
      ['recur-2', 1, 1, 380, 1.9],
      ['tfjs-wasm', 1, 0, 50, null],
      ['torch-1', 1, 0, 1000, 1],
      ['torch-2', 1, 0, 1500, 1.5],
      ['cluster-1', 1, 0, 150, 1],
      ['cluster-2', 1, 0, 270, 1.8],
      ['cluster-1-fp16', 1, 0, 100, 1],
      ['cluster-2-fp16', 1, 0, 190, 1.9],
      ['cluster-1-b65536', 1, 0, 140, 1],
      ['cluster-2-b65536', 1, 0, 280, 2],
    ],
    'the cluster scales against 1 node of the same precision and bucket size',
  );
  const r = ratios(s);
  t.same(
    r.map((x) => [x.recur, x.peer, x.ratio]),
    [
      ['recur-1', 'tfjs-wasm', 4],
      ['recur-1', 'torch-1', 0.2],
      ['recur-1', 'torch-2', 200 / 1500],
      ['recur-2', 'tfjs-wasm', 7.6],
      ['recur-2', 'torch-1', 0.38],
      ['recur-2', 'torch-2', 380 / 1500],
    ],
  );
  t.end();
});

t.test('table and number formatting', (t) => {
  t.equal(
    renderTable(
      ['system', 'samples/s'],
      [
        ['recur', '1,234'],
        ['tfjs wasm', '97.0'],
      ],
    ),
    'system     samples/s\n---------  ---------\nrecur          1,234\ntfjs wasm       97.0',
  );
  t.equal(formatNumber(2165.4), '2,165');
  t.equal(formatNumber(97.34), '97.3');
  t.equal(formatNumber(3.214), '3.21');
  t.equal(formatNumber(0.08512), '0.085');
  t.equal(formatNumber(Number.NaN), '—');
  t.equal(formatNumber(null), '—');
  t.equal(formatRatio(12.345), '12.3×');
  t.equal(formatRatio(undefined), '—');
  t.end();
});

function sampleReport(): BenchReport {
  const ms = [
    m('recur-1', 'recur', 1, 'lstm-std', 230, {
      allReduce: { params: 83073, bytes: 664584, GBs: 3, memcpyGBs: 60 },
    }),
    m('recur-2', 'recur', 2, 'lstm-std', 440, {
      detail: {
        kernels: 'native avx512',
        phasesMs: { compute: 8, wait: 0.5, reduce: 0.25, update: 0.125, rest: 1 },
      },
    }),
    m('recur-wasm-1', 'recur-wasm', 1, 'lstm-std', 46),
    m('tfjs-cpu', 'tfjs-cpu', 1, 'lstm-std', 20),
    m('torch-2', 'torch', 2, 'lstm-std', 2200, { ok: false, samplesPerSecond: Number.NaN }),
  ];
  const summaries = summarise(ms);
  const w = WORKLOADS['lstm-std']!;
  return {
    format: 'recur-bench/1',
    startedAt: '2025-01-01T00:00:00.000Z',
    finishedAt: '2025-01-01T00:01:00.000Z',
    command: 'node scripts/bench.mjs --workloads lstm-std',
    environment: { node: 'v20.0.0', cores: 2, cpu: 'test cpu <b>', platform: 'linux-x64' },
    settings: {
      workloads: ['lstm-std'],
      systems: ['recur', 'tfjs-cpu', 'torch'],
      threads: [1, 2],
      clusterNodes: [1, 2],
      clusterPrecisions: ['fp32'],
      clusterBucketBytes: [0],
      seed: 1,
      counts: { 'lstm-std': { repeats: 1, warmup: 1, steps: 2 } },
      scalingRounds: 3,
      balance: 0,
    },
    workloads: { 'lstm-std': { ...w, flopPerStep: flopPerStep(w) } },
    peers: [],
    measurements: ms,
    summaries,
    ratios: ratios(summaries),
    scaling: [
      {
        workload: 'lstm-std',
        threads: [1, 2],
        steps: 5,
        ok: true,
        roundsStepMs: [
          [20, 10],
          [30, 16],
          [18, 9.5],
        ],
        speedup: interleavedSpeedup([
          [20, 10],
          [30, 16],
          [18, 9.5],
        ]),
        // CPU ms per step: 2 · 12 / 14 = 1.714, 2 · 12 / 13 = 1.846, 2 · 12 / 16 = 1.5
        roundsCpuMs: [
          [12, 14],
          [12, 13],
          [12, 16],
        ],
        cpuBound: interleavedCpuBound(
          [
            [12, 14],
            [12, 13],
            [12, 16],
          ],
          [1, 2],
        ),
      },
    ],
    notes: [CLUSTER_NOTE],
  };
}

t.test('the text report: systems, ratios to every peer, all-reduce, notes', (t) => {
  const text = formatReport(sampleReport());
  t.match(text, /lstm-std: LSTM \[B 64, T 50, I 32\] → H 128 → Dense\(1\), 1\.57 GFLOP\/step/);
  t.match(text, /recur-2 +440 +44\.0 +11\.0 +1\.91× +100 +1\n/);
  t.match(text, /recur ÷ peer +tfjs-cpu +torch-2\n/);
  t.match(text, /recur-1 +11\.5× +—\n/, 'a peer without a good run shows a dash');
  t.match(text, /torch-2 .* 0 \(1 failed\)/);
  t.match(text, /lstm-std +1 +83073 +0\.665 +3\.00 +60\.0 +0\.050×/);
  t.match(text, /cluster: recur cluster N nodes = a coordinator and N node processes/);
  t.match(text, /recur-wasm-1 +2\.30× +—\n/, 'the wasm kernels get their ratios too');
  t.match(
    text,
    /lstm-std +recur-2 +native avx512 +11\.0 +8\.00 +0\.500 +0\.250 +0\.125 +1\.00\n/,
    'phases per step',
  );
  t.match(text, /recur threads\(W\) ÷ threads\(1\), fits alternated in one process/);
  t.match(
    text,
    /lstm-std +1\.00× +1\.89× +1\.71× +3 +5\n/,
    'the interleaved speedup (the median of 2, 1.875, 1.89) and its CPU bound (of 1.714, 1.846, 1.5)',
  );
  t.end();
});

t.test('interleaved speedup: the median over rounds of each round’s own ratio', (t) => {
  t.same(interleavedSpeedup([]), []);
  t.same(interleavedSpeedup([[10, 5, 4]]), [1, 2, 2.5]);
  // a drift between rounds (the second round twice as slow) changes no round's ratio
  t.same(
    interleavedSpeedup([
      [10, 5],
      [20, 10],
      [10, 6],
    ]),
    [1, 2],
  );
  t.end();
});

t.test(
  'interleaved CPU bound: W × the base CPU per step ÷ the CPU per step at W, median over rounds',
  (t) => {
    t.same(interleavedCpuBound([], [1, 2]), [Number.NaN, Number.NaN], 'no rounds: no bound');
    t.same(interleavedCpuBound([[10, 10, 10]], [1, 2, 4]), [1, 2, 4], 'the same CPU for the same work: W');
    t.same(interleavedCpuBound([[10, 12.5]], [1, 2]), [1, 1.6], 'a quarter more CPU at W = 2: 1.6');
    t.same(interleavedCpuBound([[10, 5]], [2, 4]), [1, 4], 'from a base of 2 threads');
    t.end();
  },
);

t.test('planSystems: recur-wasm at every thread count, after recur', (t) => {
  const ids = planSystems(['recur', 'recur-wasm', 'torch'], [1, 2], []).map((s) => `${s.id}:${s.kind}`);
  t.same(ids, [
    'recur-1:recur',
    'recur-2:recur',
    'recur-wasm-1:recur-wasm',
    'recur-wasm-2:recur-wasm',
    'torch-1:torch',
    'torch-2:torch',
  ]);
  t.end();
});

t.test('JSON: non-finite numbers become null, the rest round-trips', (t) => {
  const report = sampleReport();
  const back = JSON.parse(formatJson(report));
  t.equal(back.format, 'recur-bench/1');
  t.equal(back.measurements.find((x: { id: string }) => x.id === 'torch-2').samplesPerSecond, null);
  t.equal(back.summaries[0].samplesPerSecond, 230);
  t.same(back.ratios, report.ratios);
  t.end();
});

t.test('HTML: charts rendered to SVG, text escaped', async (t) => {
  const report = sampleReport();
  t.same(Object.keys(chartSpecs(report)), ['speed', 'ratios', 'scaling']);
  const html = await renderHtml(report);
  t.match(html, /^<!doctype html>/);
  t.equal((html.match(/<svg /g) ?? []).length, 3, 'three charts');
  t.match(html, /test cpu &lt;b&gt;/);
  t.notMatch(html, /<script/, 'a static page');
});

t.test('options: defaults and every bad value coded, naming the option', async (t) => {
  const o = resolveOptions();
  t.same(o.workloads, ['lstm-std', 'gru-std', 'lstm-big']);
  t.same(o.systems, ['recur', 'recur-wasm', 'tfjs-cpu', 'tfjs-wasm', 'torch', 'cluster']);
  t.same(o.clusterNodes, [1, 2]);
  t.same(o.clusterPrecisions, ['fp32']);
  t.same(
    o.counts['lstm-std'],
    { repeats: 3, warmup: 10, steps: 5 },
    'ten warm-up steps on the small workloads',
  );
  t.same(o.counts['lstm-big'], { repeats: 2, warmup: 1, steps: 1 }, 'lstm-big is lighter by default');
  t.equal(o.install, true);
  t.equal(o.scalingRounds, 9, 'nine rounds of the interleaved scaling');
  t.same(o.clusterBucketBytes, [0], 'whole gradients by default');
  t.equal(resolveOptions({ scalingRounds: 0 }).scalingRounds, 0, '0 turns it off');
  t.equal(o.balance, 0, 'plain threads(W) by default');
  t.equal(resolveOptions({ balance: BENCH_LIMITS.maxBalance }).balance, 65_536, 'balance up to its limit');
  const per = resolveOptions({ steps: 4, perWorkload: { 'lstm-big': { steps: 1, repeats: 2 } } });
  t.same(per.counts['lstm-big'], { repeats: 2, warmup: 1, steps: 1 }, 'perWorkload over the run-wide steps');
  t.same(
    resolveOptions({ steps: 3 }).counts['lstm-big'],
    { repeats: 2, warmup: 1, steps: 3 },
    'run-wide over defaults',
  );
  t.same(per.counts['lstm-std'], { repeats: 3, warmup: 10, steps: 4 });
  const bad: [unknown, RegExp][] = [
    [{ workloads: ['lstm-huge'] }, /workloads: unknown "lstm-huge"; choose from lstm-std, gru-std, lstm-big/],
    [{ workloads: [] }, /workloads must be a non-empty array/],
    [{ systems: ['keras'] }, /systems: unknown "keras"/],
    [{ systems: ['recur', 'recur'] }, /systems lists an entry twice/],
    [{ threads: [1, 1] }, /threads lists a count twice/],
    [{ threads: [0] }, /threads\[0\] must be an integer in \[1, 256\], got 0/],
    [{ threads: [BENCH_LIMITS.maxThreads + 1] }, /threads\[0\] must be an integer in \[1, 256\], got 257/],
    [{ repeats: BENCH_LIMITS.maxRepeats + 1 }, /repeats must be an integer in \[1, 100\], got 101/],
    [{ warmup: 0 }, /warmup must be an integer in \[1, 100\]/],
    [{ steps: BENCH_LIMITS.maxSteps + 1 }, /steps must be an integer in \[1, 10000\]/],
    [{ steps: 1.5 }, /steps must be an integer/],
    [
      { perWorkload: { 'lstm-big': { steps: 0 } } },
      /perWorkload\.lstm-big\.steps must be an integer in \[1, 10000\], got 0/,
    ],
    [{ perWorkload: { nope: {} } }, /perWorkload: unknown workload "nope"/],
    [{ perWorkload: { 'lstm-std': { epochs: 1 } } }, /perWorkload\.lstm-std: unknown key "epochs"/],
    [{ clusterNodes: [2, 2] }, /clusterNodes lists a count twice/],
    [{ clusterNodes: [0] }, /clusterNodes\[0\] must be an integer in \[1, 256\]/],
    [{ clusterPrecisions: ['fp8'] }, /clusterPrecisions: unknown "fp8"; choose from fp32, fp16/],
    [{ clusterPrecisions: ['fp16', 'fp16'] }, /clusterPrecisions lists an entry twice/],
    [{ clusterBucketBytes: [] }, /clusterBucketBytes must be a non-empty array of byte counts/],
    [{ clusterBucketBytes: [0, 0] }, /clusterBucketBytes lists a count twice/],
    [{ clusterBucketBytes: [-1] }, /clusterBucketBytes\[0\] must be an integer in \[0, 1073741824\], got -1/],
    [
      { clusterBucketBytes: [BENCH_LIMITS.maxBucketBytes + 1] },
      /clusterBucketBytes\[0\] must be an integer in \[0, 1073741824\], got 1073741825/,
    ],
    [{ install: 'yes' }, /install must be true or false/],
    [{ cacheDir: '' }, /cacheDir must be a non-empty string/],
    [{ childTimeoutMs: 0 }, /childTimeoutMs must be an integer/],
    [
      { scalingRounds: BENCH_LIMITS.maxScalingRounds + 1 },
      /scalingRounds must be an integer in \[0, 100\], got 101/,
    ],
    [{ scalingRounds: -1 }, /scalingRounds must be an integer in \[0, 100\], got -1/],
    [{ balance: BENCH_LIMITS.maxBalance + 1 }, /balance must be an integer in \[0, 65536\], got 65537/],
    [{ balance: 1.5 }, /balance must be an integer in \[0, 65536\], got 1.5/],
    [{ onProgress: 1 }, /onProgress must be a function/],
    [{ stepz: 1 }, /unknown option "stepz"/],
  ];
  for (const [options, message] of bad) {
    t.throws(() => resolveOptions(options as never), { code, message }, JSON.stringify(options));
  }
  await t.rejects(runBenchmarks({ repeats: 0 }), { code }, 'runBenchmarks rejects, it does not throw');
});

t.test('flags: parsed into options, bad ones coded; the CLI answers 2', async (t) => {
  const plan = parseBenchArgs([
    '--workloads',
    'lstm-std,lstm-big',
    '--threads',
    '1,2',
    '--repeats',
    '2',
    '--set',
    'lstm-big.steps=1',
    '--set',
    'lstm-big.repeats=1',
    '--no-install',
    '--json',
    '--scaling-rounds',
    '7',
    '--cluster-bucket-bytes',
    '0,65536',
    '--balance',
    '8',
  ]);
  t.same(plan.options, {
    workloads: ['lstm-std', 'lstm-big'],
    threads: [1, 2],
    repeats: 2,
    scalingRounds: 7,
    clusterBucketBytes: [0, 65536],
    balance: 8,
    install: false,
    perWorkload: { 'lstm-big': { steps: 1, repeats: 1 } },
  });
  t.equal(plan.json, true);
  t.match(plan.outDir, /\.cache\/bench-results$/);
  t.throws(() => parseBenchArgs(['--steps', 'many']), {
    code,
    message: /--steps must be a non-negative integer/,
  });
  t.throws(() => parseBenchArgs(['--set', 'lstm-big.epochs=2']), { code, message: /--set must look like/ });
  t.throws(() => parseBenchArgs(['--frobnicate']), {
    code,
    message: /Unknown option '--frobnicate'.*--help/,
  });
  t.throws(() => parseBenchArgs(['extra']), { code, message: /unexpected argument "extra"/ });
  t.throws(() => parseBenchArgs(['--systems', 'recur,keras']), { code, message: /systems: unknown "keras"/ });
  const err: string[] = [];
  const out: string[] = [];
  const io = { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s) };
  t.equal(await runCli(['--repeats', '0'], io), 2);
  t.match(err.join(''), /^ERR_BENCH_BAD_OPTION: repeats must be an integer in \[1, 100\], got 0/);
  t.equal(await runCli(['--help'], io, 'recur bench'), 0);
  t.match(out.join(''), /^usage: recur bench \[options\]/);
});

t.test('the child result line', (t) => {
  const good = { stepMs: [10, 11], warmupMs: [30], loss: 0.4, maxRssKb: 2048 };
  const stdout = `noise\n${RESULT_MARKER}${JSON.stringify(good)}\n`;
  t.same(parseChildOutput(stdout, 'w s'), good);
  const failed = { code: 'ERR_BENCH_CHILD_FAILED' };
  t.throws(() => parseChildOutput('nothing\n', 'lstm-std x'), {
    ...failed,
    message: /lstm-std x: the child printed no/,
  });
  t.throws(() => parseChildOutput(`${RESULT_MARKER}{oops\n`, 'w'), { ...failed, message: /not JSON/ });
  t.throws(
    () => parseChildOutput(`${RESULT_MARKER}${JSON.stringify({ ...good, stepMs: [] })}\n`, 'w'),
    failed,
  );
  t.throws(
    () => parseChildOutput(`${RESULT_MARKER}${JSON.stringify({ ...good, stepMs: [-1] })}\n`, 'w'),
    failed,
  );
  const scaling = { ...good, stepMs: [], rounds: [[20, 10.5]] };
  t.same(parseChildOutput(`${RESULT_MARKER}${JSON.stringify(scaling)}\n`, 'w'), scaling, 'rounds, no steps');
  for (const rounds of [[], [[]], [[20, 0]], [20]]) {
    t.throws(
      () => parseChildOutput(`${RESULT_MARKER}${JSON.stringify({ ...scaling, rounds })}\n`, 'w'),
      { ...failed, message: /lacks positive stepMs \(or rounds\)/ },
      JSON.stringify(rounds),
    );
  }
  t.end();
});

t.test('the plan: recur at every W, tfjs, PyTorch at every W; the data is seeded', (t) => {
  const peers = [
    { name: 'tfjs' as const, available: true, version: '4.22.0', note: '' },
    { name: 'torch' as const, available: true, version: '1.13.0a0', note: '' },
  ];
  const plan: SystemId[] = planSystems(
    ['recur', 'tfjs-cpu', 'tfjs-wasm', 'torch', 'cluster'],
    [1, 2],
    peers,
    [1, 2],
  );
  t.same(
    plan.map((s) => [s.id, s.label]),
    [
      ['recur-1', 'recur threads(1)'],
      ['recur-2', 'recur threads(2)'],
      ['tfjs-cpu', 'tfjs 4.22.0 cpu'],
      ['tfjs-wasm', 'tfjs 4.22.0 wasm'],
      ['torch-1', 'PyTorch 1.13.0 1 thread'],
      ['torch-2', 'PyTorch 1.13.0 2 threads'],
      ['cluster-1', 'recur cluster 1 node × 1 thread'],
      ['cluster-2', 'recur cluster 2 nodes × 1 thread'],
    ],
  );
  t.same(
    planSystems(['cluster'], [1], peers, [1, 3], ['fp32', 'fp16']).map((s) => [s.id, s.precision]),
    [
      ['cluster-1', 'fp32'],
      ['cluster-3', 'fp32'],
      ['cluster-1-fp16', 'fp16'],
      ['cluster-3-fp16', 'fp16'],
    ],
    'each precision at each node count',
  );
  t.same(
    planSystems(['cluster'], [1], peers, [1, 2], ['fp32'], [0, 262144]).map((s) => [
      s.id,
      s.label,
      s.bucketBytes,
    ]),
    [
      ['cluster-1', 'recur cluster 1 node × 1 thread', undefined],
      ['cluster-2', 'recur cluster 2 nodes × 1 thread', undefined],
      ['cluster-1-b262144', 'recur cluster 1 node × 1 thread, buckets ≥ 262144 B', 262144],
      ['cluster-2-b262144', 'recur cluster 2 nodes × 1 thread, buckets ≥ 262144 B', 262144],
    ],
    'each bucket size: whole gradients (0) and pieces',
  );
  const w = WORKLOADS['lstm-std']!;
  const a = workloadData(w, 1);
  t.equal(a.length, 64 * 50 * 32 + 64);
  t.same(workloadData(w, 1), a, 'same seed, same data');
  t.not(workloadData(w, 2)[0], a[0], 'another seed, other data');
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  t.ok(Math.abs(mean) < 0.02, `random normal: mean ${mean}`);
  t.end();
});
