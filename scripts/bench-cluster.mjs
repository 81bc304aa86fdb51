// Cluster benchmark for @recur/cluster (issue 6): samples/s of lstm-std (BENCHMARKS.md in the
// team's shared folder) trained by a coordinator and 1 or 2 node processes of one thread each on
// loopback, with fp32 and fp16 gradients, beside threads(1) and threads(2) in one process
// measured in the same run; and the bytes each step puts on the wire.
//
//   pnpm exec turbo run build
//   node scripts/bench-cluster.mjs [--steps 6] [--warmup 2] [--workload lstm-std|gru-std] [--json]
//                                  [--pages N]
//
// --pages N: also runs 2 nodes (fp32) with N live pages open on the coordinator — a separate
// process holding N GET /events streams with the token, reading every update as a browser
// would — and the same run without pages, alternating 5 times each; the rows are the medians
// (with --pages only threads(1) and 1 node run beside them).
//
// A step's time is the wall time between two onStep calls of the coordinator (between two fit
// onBatchEnd calls for threads); the figure is batch ÷ the median of the timed steps.
// Bytes per step = what the frames of one step weigh, encoded with @recur/protocol: per node one
// assignment and one gradient (4·P or 2·P bytes of tensor) and one parameters frame (4·P).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { runNode, startCoordinator } from '@recur/cluster';
import { fillNormal, RandomPurpose } from '@recur/kernels';
import { ArraySource, dense, gru, lstm, sequential } from '@recur/nn';
import { threads } from '@recur/parallel';
import { encodeFrame } from '@recur/protocol';

const WORKLOADS = {
  'lstm-std': { cell: lstm, B: 64, T: 50, I: 32, H: 128 },
  'gru-std': { cell: gru, B: 64, T: 50, I: 32, H: 128 },
};
const TOKEN = 'bench-cluster-token';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    steps: { type: 'string', default: '6' },
    warmup: { type: 'string', default: '2' },
    workload: { type: 'string', default: 'lstm-std' },
    json: { type: 'boolean', default: false },
    pages: { type: 'string', default: '0' },
  },
});
const steps = Number(values.steps);
const warmup = Number(values.warmup);
const w = WORKLOADS[values.workload];
if (w === undefined || !Number.isInteger(steps) || steps < 3 || !Number.isInteger(warmup) || warmup < 1) {
  console.error(`usage: --workload ${Object.keys(WORKLOADS).join('|')} --steps ≥ 3 --warmup ≥ 1`);
  process.exit(2);
}
const batches = warmup + steps;
const pages = Number(values.pages);
if (!Number.isInteger(pages) || pages < 0) {
  console.error('usage: --pages N (N ≥ 0 live pages during a 2-node run)');
  process.exit(2);
}

function model() {
  const m = sequential([w.cell({ units: w.H }), dense({ units: 1 })], { inputShape: [w.T, w.I], seed: 1 });
  m.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 1e-3 } });
  return m;
}

function data() {
  const N = w.B * batches;
  const x = new Float32Array(N * w.T * w.I);
  const y = new Float32Array(N);
  fillNormal(x, 1, RandomPurpose.sample, 0, 0, 0, 1);
  fillNormal(y, 1, RandomPurpose.sample, 0, 1, 0, 1);
  const hash = createHash('sha256')
    .update(new Uint8Array(x.buffer))
    .update(new Uint8Array(y.buffer))
    .digest('hex');
  return { x: { data: x, shape: [N, w.T, w.I] }, y: { data: y, shape: [N, 1] }, hash, N };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** A node process: `node bench-cluster.mjs node <url> <precision>`. */
async function nodeMain(url, precision) {
  const d = data();
  await runNode({
    url,
    token: TOKEN,
    model: model(),
    source: new ArraySource(d.x, d.y, { shuffle: false, seed: 1 }),
    dataHash: d.hash,
    threads: 1,
    precision,
  });
}

/** The pages process: `node bench-cluster.mjs pages <http url> <N>`; on SIGTERM prints the updates read. */
async function pagesMain(base, count) {
  let updates = 0;
  const streams = [];
  for (let i = 0; i < count; i++) {
    const res = await fetch(`${base}/events`, { headers: { authorization: `Bearer ${TOKEN}` } });
    if (res.status !== 200) throw new Error(`GET /events: ${res.status} ${await res.text()}`);
    streams.push(res);
    void (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of res.body) updates += decoder.decode(chunk).split('data: ').length - 1;
    })().catch(() => {});
  }
  process.on('SIGTERM', () => {
    process.stdout.write(`${JSON.stringify({ streams: streams.length, updates })}\n`);
    process.exit(0);
  });
}

/** Starts the pages process on the coordinator; stop() ends it and says what it read. */
function openPages(coordinator, count) {
  const child = spawn(
    process.execPath,
    [process.argv[1], 'pages', coordinator.url.replace('ws', 'http'), String(count)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return {
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      return out === '' ? { streams: 0, updates: 0 } : JSON.parse(out);
    },
  };
}

async function clusterRun(nodes, precision, pageCount = 0) {
  const d = data();
  const stamps = [];
  const coordinator = await startCoordinator({
    model: model(),
    data: { size: d.N, hash: d.hash },
    batchSize: w.B,
    epochs: 1,
    token: TOKEN,
    minNodes: nodes,
    onStep: () => stamps.push(performance.now()),
  });
  const watchers = pageCount > 0 ? openPages(coordinator, pageCount) : null;
  const children = Array.from({ length: nodes }, () =>
    spawn(process.execPath, [process.argv[1], 'node', coordinator.url, precision, ...process.argv.slice(2)], {
      stdio: 'inherit',
    }),
  );
  await coordinator.done;
  await Promise.all(children.map((c) => new Promise((resolve) => c.on('exit', resolve))));
  const read = await watchers?.stop();
  if (read !== undefined && !values.json)
    process.stderr.write(`  ${read.streams} pages read ${read.updates} updates in all\n`);
  const times = stamps.slice(warmup).map((s, i) => s - stamps[warmup - 1 + i]);
  return w.B / (median(times) / 1000);
}

async function threadsRun(world) {
  const d = data();
  const m = model();
  const stamps = [];
  let start = performance.now();
  await m.fit(d.x, d.y, {
    epochs: 1,
    batchSize: w.B,
    shuffle: false,
    strategy: threads(world),
    callbacks: {
      onBatchEnd: () => {
        const now = performance.now();
        stamps.push(now - start);
        start = now;
      },
    },
  });
  return w.B / (median(stamps.slice(warmup)) / 1000);
}

/** Bytes on the wire for one step of `nodes` nodes (frames encoded as the protocol does). */
function bytesPerStep(nodes, precision) {
  const P = model().layout.size;
  const tensor = new Float32Array(P);
  const assignment = encodeFrame({
    kind: 'assignment',
    step: 1,
    epoch: 0,
    batchIndex: 0,
    partOffset: 0,
    partTotal: nodes,
    rangeStart: 0,
    rangeEnd: w.B,
    attempt: 0,
  }).byteLength;
  const gradient = encodeFrame({
    kind: 'gradient',
    step: 1,
    attempt: 0,
    count: w.B,
    lossSum: 1,
    samples: w.B,
    precision,
    gradient: tensor,
  }).byteLength;
  const parameters = encodeFrame({ kind: 'parameters', step: 1, parameters: tensor, loss: 1 }).byteLength;
  return {
    P,
    perNode: assignment + gradient + parameters,
    total: nodes * (assignment + gradient + parameters),
  };
}

if (positionals[0] === 'node') {
  await nodeMain(positionals[1], positionals[2]);
} else if (positionals[0] === 'pages') {
  await pagesMain(positionals[1], Number(positionals[2]));
} else {
  const rows = [];
  const add = async (system, run, bytes) => {
    const samplesPerSecond = await run();
    rows.push({ system, samplesPerSecond, ...(bytes === undefined ? {} : { bytesPerStep: bytes.total }) });
    if (!values.json) process.stderr.write(`${system} done\n`);
  };
  await add('threads(1)', () => threadsRun(1));
  await add('cluster 1 node × 1 thread, fp32', () => clusterRun(1, 'fp32'), bytesPerStep(1, 'fp32'));
  if (pages === 0) {
    await add('cluster 1 node × 1 thread, fp16', () => clusterRun(1, 'fp16'), bytesPerStep(1, 'fp16'));
    await add('threads(2)', () => threadsRun(2));
    await add('cluster 2 nodes × 1 thread, fp32', () => clusterRun(2, 'fp32'), bytesPerStep(2, 'fp32'));
    await add('cluster 2 nodes × 1 thread, fp16', () => clusterRun(2, 'fp16'), bytesPerStep(2, 'fp16'));
  } else {
    // the same run without and with the pages, alternating 5 times (a shared machine drifts)
    const without = [];
    const withPages = [];
    for (let i = 0; i < 5; i++) {
      without.push(await clusterRun(2, 'fp32'));
      withPages.push(await clusterRun(2, 'fp32', pages));
    }
    const bytes = bytesPerStep(2, 'fp32').total;
    rows.push({
      system: 'cluster 2 nodes fp32, no page',
      samplesPerSecond: median(without),
      bytesPerStep: bytes,
    });
    rows.push({
      system: `cluster 2 nodes fp32, ${pages} pages`,
      samplesPerSecond: median(withPages),
      bytesPerStep: bytes,
    });
    if (!values.json)
      process.stderr.write(
        `no page: ${without.map((x) => x.toFixed(1)).join(', ')}; ${pages} pages: ${withPages.map((x) => x.toFixed(1)).join(', ')} samples/s\n`,
      );
  }
  const one = rows.find((r) => r.system.startsWith('cluster 1 node × 1 thread, fp32')).samplesPerSecond;
  if (values.json) {
    console.log(
      JSON.stringify({ node: process.version, workload: values.workload, steps, warmup, rows }, null, 2),
    );
  } else {
    console.log(
      `${values.workload}, samples/s (median of ${steps} steps after ${warmup} warm-up), loopback, node ${process.version}`,
    );
    console.log('system                              samples/s  × 1 node  bytes/step');
    for (const r of rows) {
      const bytes = r.bytesPerStep === undefined ? '' : `${(r.bytesPerStep / 1024).toFixed(0)} KiB`;
      console.log(
        `${r.system.padEnd(34)} ${r.samplesPerSecond.toFixed(1).padStart(9)}  ${(r.samplesPerSecond / one).toFixed(2).padStart(7)}×  ${bytes.padStart(10)}`,
      );
    }
  }
}
