// One measurement of recur's cluster (@recur/cluster) on one workload: a coordinator in this
// process and N node processes on loopback, each node on threads(1). Started by measure.ts as
//   node dist/child-cluster.js '<spec as JSON>'            (the coordinator; spawns the nodes)
//   node dist/child-cluster.js node '<node spec as JSON>'   (one node)
// Every process reads the same batch from spec.dataFile (as child-recur.ts) and agrees on its
// SHA-256. A step's time is the wall time between the coordinator's onStep calls (so it includes
// sending assignments, the nodes' compute and thread reduce, the gradients on the wire, the sum
// in rank order, the optimizer and the parameters going back). Peak RSS: the largest of the
// processes (each is listed in detail). The detail also has the gradients' precision
// (spec.precision, fp32 by default), the bytes of one step's frames (per node: its assignment,
// its gradient and the parameters; encoded as the protocol does) and where a step's time went
// (ms per step: the coordinator's StepTimings and the nodes' NodeTimings, means over the steps).
// With spec.bucketBytes the nodes send their gradients in pieces while the backward goes on
// (runNode's bucketBytes, DDP's buckets); the detail names it.

import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  bytesPerMember,
  type NodeSummary,
  runNode,
  type StepTimings,
  startCoordinator,
} from '@recur/cluster';
import { ArraySource, dense, gru, lstm, sequential } from '@recur/nn';
import { RESULT_MARKER } from './measure.js';
import type { ChildResult, ChildSpec } from './types.js';

const nodeMode = process.argv[2] === 'node';
const spec = JSON.parse((nodeMode ? process.argv[3] : process.argv[2]) ?? '{}') as ChildSpec & {
  url?: string;
};
const { batch: B, timesteps: T, features: I, hidden: H, cell } = spec.workload;
const raw = readFileSync(spec.dataFile);
const floats = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
const total = spec.warmup + spec.steps;
const x = new Float32Array(total * B * T * I);
const y = new Float32Array(total * B);
for (let s = 0; s < total; s++) {
  x.set(floats.subarray(0, B * T * I), s * B * T * I);
  y.set(floats.subarray(B * T * I, B * T * I + B), s * B);
}
const precision = spec.precision ?? 'fp32';
const bucketBytes = spec.bucketBytes ?? 0;
const dataHash = createHash('sha256')
  .update(new Uint8Array(x.buffer))
  .update(new Uint8Array(y.buffer))
  .digest('hex');

function model() {
  const layer = cell === 'lstm' ? lstm({ units: H }) : gru({ units: H });
  const m = sequential([layer, dense({ units: 1 })], { inputShape: [T, I], seed: spec.seed });
  m.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 1e-3 } });
  return m;
}

const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / Math.max(1, xs.length);

/** ms per step of each phase: the coordinator's over the timed steps, the nodes' mean. */
function phases(timings: StepTimings[], summaries: NodeSummary[]) {
  const keys = Object.keys(timings[0] ?? {}) as (keyof StepTimings)[];
  const coordinator = Object.fromEntries(keys.map((k) => [k, mean(timings.map((t) => t[k]))]));
  const nodeKeys = Object.keys(summaries[0]?.timings ?? {}) as (keyof NodeSummary['timings'])[];
  const node = Object.fromEntries(
    nodeKeys.map((k) => [k, mean(summaries.map((s) => s.timings[k] / Math.max(1, s.assignments)))]),
  );
  return { coordinator, node };
}

if (nodeMode) {
  const summary = await runNode({
    url: spec.url as string,
    token: process.env.RECUR_BENCH_TOKEN ?? '',
    model: model(),
    source: new ArraySource(
      { data: x, shape: [total * B, T, I] },
      { data: y, shape: [total * B, 1] },
      {
        shuffle: false,
        seed: spec.seed,
      },
    ),
    dataHash,
    threads: 1,
    precision,
    bucketBytes,
  });
  const result = { maxRssKb: process.resourceUsage().maxRSS, summary };
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
} else {
  const nodes = spec.threads; // for the cluster, `threads` counts nodes of one thread each
  const token = randomBytes(18).toString('hex');
  const stamps: number[] = [];
  const timings: StepTimings[] = [];
  let loss = 0;
  let start = 0;
  const coordinator = await startCoordinator({
    model: model(),
    data: { size: total * B, hash: dataHash },
    batchSize: B,
    epochs: 1,
    token,
    minNodes: nodes,
    onStep: (info) => {
      const now = performance.now();
      stamps.push(now - start);
      start = now;
      loss = info.loss;
      timings.push(info.timings);
    },
  });
  const self = fileURLToPath(import.meta.url);
  const nodeResults: Promise<{ maxRssKb: number; summary: NodeSummary }>[] = [];
  for (let n = 0; n < nodes; n++) {
    const child = spawn(process.execPath, [self, 'node', JSON.stringify({ ...spec, url: coordinator.url })], {
      env: { ...process.env, RECUR_BENCH_TOKEN: token },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    nodeResults.push(
      new Promise((resolve, reject) => {
        child.on('close', (code) => {
          const line = out.split('\n').find((l) => l.startsWith(RESULT_MARKER));
          if (code !== 0 || line === undefined)
            reject(new Error(`cluster node ${n} ended with code ${code}`));
          else resolve(JSON.parse(line.slice(RESULT_MARKER.length)));
        });
      }),
    );
  }
  start = performance.now();
  await coordinator.done;
  const results = await Promise.all(nodeResults);
  const nodesKb = results.map((r) => r.maxRssKb);
  const coordinatorKb = process.resourceUsage().maxRSS;
  const result: ChildResult = {
    warmupMs: stamps.slice(0, spec.warmup),
    stepMs: stamps.slice(spec.warmup),
    loss,
    maxRssKb: Math.max(coordinatorKb, ...nodesKb),
    detail: {
      nodes,
      threadsPerNode: 1,
      coordinatorRssMB: coordinatorKb / 1024,
      nodeRssMB: nodesKb.map((k) => k / 1024),
      precision,
      bucketBytes,
      bytesPerStep: nodes * bytesPerMember(model().layout.size, Math.ceil(B / nodes), nodes, precision),
      phasesMs: phases(
        timings.slice(spec.warmup),
        results.map((r) => r.summary),
      ),
    },
  };
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
}
