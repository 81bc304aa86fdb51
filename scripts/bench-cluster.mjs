// Cluster benchmark for @recur/cluster (issues 6 and 16): samples/s of lstm-std (BENCHMARKS.md
// in the team's shared folder) trained by a coordinator and 1, 2 or 3 node processes of one
// thread each, with fp32 and fp16 gradients, beside threads(1) and threads(2) in one process
// measured in the same run; the bytes each step puts on the wire; and where a step's time goes.
//
//   pnpm exec turbo run build
//   node scripts/bench-cluster.mjs [--steps 6] [--warmup 2] [--workload lstm-std|gru-std|lstm-stack|lstm-big]
//                                  [--nodes 1,2,3] [--repeats 1] [--rate-mbit 100] [--pages N]
//                                  [--bucket-bytes N] [--accumulate A] [--scavenge on|off] [--json]
//
// lstm-stack is lstm-std with two LSTM(128) layers (the second returns the last step); lstm-big
// is the standard large workload (B 256, T 100, I 64, H 256), where a step's compute (about 40× lstm-std's) dwarfs the
// exchange, so its "× 1 node" shows how far the nodes' compute itself scales. With
// --bucket-bytes N every cluster run is followed by the same run whose nodes send their gradients
// in pieces of at least N bytes as the backward finishes them (runNode's bucketBytes, DDP's
// buckets), so that both are measured in one run on the same machine.
//
// --accumulate A: every node's threads and the threads(1), threads(2) rows split their share of a
// step into A micro-batches (@recur/parallel's threads(W, { accumulate: A }); a node's
// threadsOptions), the same for every node count (default 1).
//
// --scavenge off: the coordinator and every node run with scavengeEachStep: false (no young-
// generation collection after each step; @recur/cluster's Note [a scavenge a step]), to measure
// what the default's collection saves against a run of the same build.
//
// --pages N: each repeat also runs the first node count over 1 (2 by default) in fp32 with N live
// pages open on the coordinator — a separate process holding N GET /events streams with the token,
// reading every update as a browser would — beside the same run without pages; with --repeats
// the systems alternate (a shared machine drifts) and the rows are medians.
//
// On loopback by default. --rate-mbit R (root and iproute2) puts the coordinator and each node
// on hosts in network namespaces of their own, every link limited to R Mbit/s on both ends
// (the cluster tests' helper: netem where the kernel has it, else tbf); threads() then runs in
// the coordinator's namespace, which changes nothing for it.
//
// A step's time is the wall time between two onStep calls of the coordinator (between two fit
// onBatchEnd calls for threads); the figure is batch ÷ the median of the timed steps. With
// --repeats R every system runs R times, in turn (so a change of the machine's load falls on
// all of them): samples/s is the median over the repeats, "× 1 node" the median of each
// repeat's ratio to the first node count's fp32 run of the same repeat.
// Bytes per step = what the frames of one step weigh, encoded with @recur/protocol: per node one
// assignment and one gradient (4·P or 2·P bytes of tensor) and one parameters frame (4·P).
// Phases (ms per step, means over the timed steps): on the coordinator the wait for the first
// and the last gradient after the assignments, the gradients' decoding, the sum and update,
// the parameters' encode and send; on the nodes (mean over nodes, over the timed steps as on
// the coordinator, from runNode's onStep) their compute and reduce, the gradient's encode and
// send, the decoding of the coordinator's frames and the parameters' copy into the model.
// Last, the critical path of a step from absolute times stamped by the coordinator and the nodes
// (scripts/cluster-timeline.mjs): when the nodes start, their compute, send, the gradients'
// arrival, the update and the broadcast.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { bytesPerMember, runNode, startCoordinator } from '@recur/cluster';
import { fillNormal, RandomPurpose } from '@recur/kernels';
import { ArraySource, dense, gru, lstm, sequential } from '@recur/nn';
import { ThreadGroup, threads } from '@recur/parallel';
import { absoluteNow, nodeStamp, stepTimeline, TIMELINE_COLUMNS } from './cluster-timeline.mjs';
import { median, timedFit } from './workloads.mjs';

const WORKLOADS = {
  'lstm-std': { cell: lstm, B: 64, T: 50, I: 32, H: 128 },
  'gru-std': { cell: gru, B: 64, T: 50, I: 32, H: 128 },
  'lstm-stack': { cell: lstm, B: 64, T: 50, I: 32, H: 128, layers: 2 },
  'lstm-big': { cell: lstm, B: 256, T: 100, I: 64, H: 256 },
};
const TOKEN = 'bench-cluster-token';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    steps: { type: 'string', default: '6' },
    warmup: { type: 'string', default: '2' },
    workload: { type: 'string', default: 'lstm-std' },
    nodes: { type: 'string', default: '1,2,3' },
    repeats: { type: 'string', default: '1' },
    'rate-mbit': { type: 'string' },
    pages: { type: 'string', default: '0' },
    'bucket-bytes': { type: 'string', default: '0' },
    accumulate: { type: 'string', default: '1' },
    scavenge: { type: 'string', default: 'on' },
    inside: { type: 'string' },
    json: { type: 'boolean', default: false },
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
const nodeCounts = values.nodes.split(',').map(Number);
const repeats = Number(values.repeats);
if (!Number.isInteger(repeats) || repeats < 1 || repeats > 20) {
  console.error('usage: --repeats an integer in [1, 20]');
  process.exit(2);
}
if (!nodeCounts.every((n) => Number.isInteger(n) && n >= 1 && n <= 8)) {
  console.error('usage: --nodes a comma-separated list of counts in [1, 8]');
  process.exit(2);
}
const bucketBytes = Number(values['bucket-bytes']);
if (!Number.isInteger(bucketBytes) || bucketBytes < 0) {
  console.error('usage: --bucket-bytes a whole number of bytes (0: no buckets)');
  process.exit(2);
}
const accumulate = Number(values.accumulate);
if (!Number.isInteger(accumulate) || accumulate < 1 || accumulate > 1024) {
  console.error('usage: --accumulate an integer in [1, 1024] (micro-batches a rank)');
  process.exit(2);
}
if (values.scavenge !== 'on' && values.scavenge !== 'off') {
  console.error('usage: --scavenge on|off (a young-generation collection after each step)');
  process.exit(2);
}
const scavengeEachStep = values.scavenge === 'on';
/** threads(W)'s options for the threads rows and every node */
const threadsOptions = accumulate > 1 ? { accumulate } : {};
/** the namespaces' name prefix when this process runs inside the coordinator's (--rate-mbit) */
const hostsPrefix = values.inside ?? null;
const pages = Number(values.pages);
if (!Number.isInteger(pages) || pages < 0 || pages > 64) {
  console.error('usage: --pages N (0 ≤ N ≤ 64 live pages during a run)');
  process.exit(2);
}

function model() {
  const stack = Array.from({ length: (w.layers ?? 1) - 1 }, () =>
    w.cell({ units: w.H, returnSequences: true }),
  );
  const m = sequential([...stack, w.cell({ units: w.H }), dense({ units: 1 })], {
    inputShape: [w.T, w.I],
    seed: 1,
  });
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

/** A node process: `node bench-cluster.mjs node <url> <precision> <bucketBytes>`; prints its summary. */
async function nodeMain(url, precision, pieceBytes) {
  const d = data();
  // CPU time at each assignment: the group's sums() is called once per step (bench-only probe)
  const cpuAt = [];
  for (const method of ['sums', 'sumsInBuckets']) {
    const original = ThreadGroup.prototype[method];
    ThreadGroup.prototype[method] = function (...args) {
      cpuAt.push(cpuMs());
      return original.apply(this, args);
    };
  }
  // the node's timings after its warm-up steps (the first step's compute is about twice the
  // others' and its first encode and decode build protobufjs's code): phases over timed steps
  let sent = 0;
  let warm = null;
  const stamps = [];
  const onStep = ({ timings }) => {
    stamps.push(nodeStamp(timings));
    sent += 1;
    if (sent === warmup) warm = timings;
  };
  const summary = await runNode({
    url,
    token: TOKEN,
    model: model(),
    source: new ArraySource(d.x, d.y, { shuffle: false, seed: 1 }),
    dataHash: d.hash,
    threads: 1,
    threadsOptions,
    precision,
    bucketBytes: pieceBytes,
    scavengeEachStep,
    onStep,
  });
  const timed = Object.fromEntries(
    Object.entries(summary.timings).map(([key, ms]) => [key, ms - (warm?.[key] ?? 0)]),
  );
  const timedSteps = summary.assignments - (warm === null ? 0 : warmup);
  process.stdout.write(
    `${JSON.stringify({ ...summary, timings: timed, timedSteps, cpuPerStepMs: perStep(cpuAt), stamps })}\n`,
  );
}

/** This process's CPU time so far (all its threads), ms. */
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** The mean CPU ms per timed step from CPU times stamped once per step. */
const perStep = (stamps) => (stamps.at(-1) - stamps[warmup - 1]) / (stamps.length - warmup);

const mean = (xs) => xs.reduce((a, x) => a + x, 0) / Math.max(1, xs.length);

/** ms per step of each phase: the coordinator's timed steps, the nodes' means over their steps. */
function phases(timings, summaries) {
  const coordinator = {};
  for (const key of Object.keys(timings[0] ?? {})) coordinator[key] = mean(timings.map((t) => t[key]));
  const node = {};
  for (const key of Object.keys(summaries[0]?.timings ?? {}))
    node[key] = mean(summaries.map((s) => s.timings[key] / Math.max(1, s.timedSteps)));
  return { coordinator, node };
}

/** A node process's command (with this process's node flags): on loopback, or on host k. */
function nodeCommand(k, url, precision, pieceBytes) {
  const [, port] = url.match(/:(\d+)$/);
  const to = hostsPrefix === null ? url : `ws://10.231.${k}.1:${port}`;
  const own = [process.argv[1], 'node', to, precision, String(pieceBytes)];
  const args = [...process.execArgv, ...own, ...process.argv.slice(2)];
  if (hostsPrefix === null) return [process.execPath, args];
  return ['ip', ['netns', 'exec', `${hostsPrefix}w${k}`, process.execPath, ...args]];
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

async function clusterRun(nodes, precision, pageCount = 0, pieceBytes = 0) {
  const d = data();
  const stamps = [];
  const at = []; // absolute, for the timeline
  const timings = [];
  const cpuAt = [];
  const coordinator = await startCoordinator({
    model: model(),
    data: { size: d.N, hash: d.hash },
    batchSize: w.B,
    epochs: 1,
    token: TOKEN,
    minNodes: nodes,
    host: hostsPrefix === null ? '127.0.0.1' : '0.0.0.0',
    scavengeEachStep,
    onStep: (info) => {
      stamps.push(performance.now());
      at.push(absoluteNow());
      cpuAt.push(cpuMs());
      timings.push(info.timings);
    },
  });
  const watchers = pageCount > 0 ? openPages(coordinator, pageCount) : null;
  const summaries = [];
  const children = Array.from({ length: nodes }, (_, k) => {
    const [command, args] = nodeCommand(k + 1, coordinator.url, precision, pieceBytes);
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    return new Promise((resolve) =>
      child.on('exit', () => {
        summaries.push(JSON.parse(out.trim().split('\n').at(-1)));
        resolve();
      }),
    );
  });
  await coordinator.done;
  await Promise.all(children);
  const read = await watchers?.stop();
  if (read !== undefined && !values.json)
    process.stderr.write(`  ${read.streams} pages read ${read.updates} updates in all\n`);
  const times = stamps.slice(warmup).map((s, i) => s - stamps[warmup - 1 + i]);
  const cpu = { coordinator: perStep(cpuAt), node: Math.max(...summaries.map((s) => s.cpuPerStepMs)) };
  return {
    samplesPerSecond: w.B / (median(times) / 1000),
    phases: phases(timings.slice(warmup), summaries),
    timeline: stepTimeline(
      { at, timings },
      summaries.map((s) => s.stamps),
      warmup,
    ),
    cpuPerStepMs: cpu,
    // every coordinator CPU ms counted as on the critical path (an upper bound on the step)
    cpuBoundSamplesPerSecond: w.B / ((cpu.coordinator + cpu.node) / 1000),
  };
}

async function threadsRun(world) {
  const cpuAt = [];
  const stamps = await timedFit(model(), data(), w, threads(world, threadsOptions), () =>
    cpuAt.push(cpuMs()),
  );
  return { samplesPerSecond: w.B / (median(stamps.slice(warmup)) / 1000), cpuPerStepMs: perStep(cpuAt) };
}

/** Bytes on the wire for one step of `nodes` nodes (frames encoded as the protocol does). */
function bytesPerStep(nodes, precision) {
  return { total: nodes * bytesPerMember(model().layout.size, Math.ceil(w.B / nodes), nodes, precision) };
}

/** --rate-mbit: makes the hosts, runs this script inside the coordinator's, deletes them. */
async function onHosts(rateMbit) {
  const { Hosts } = await import('../packages/cluster/dist/testing/netns.js');
  const prefix = `rb${process.pid % 100_000}`;
  const hosts = Hosts.make(prefix, Math.max(...nodeCounts), { delayMs: 0, lossPercent: 0, rateMbit });
  if (typeof hosts === 'string') {
    console.error(`bench-cluster: ${hosts}`);
    process.exit(2);
  }
  try {
    const args = [process.argv[1], ...process.argv.slice(2), '--inside', prefix];
    const child = spawn('ip', ['netns', 'exec', hosts.ns(0), process.execPath, ...args], {
      stdio: 'inherit',
    });
    const code = await new Promise((resolve) => child.on('exit', resolve));
    if (!values.json) console.log(`links: ${hosts.shaping}`);
    process.exitCode = code;
  } finally {
    hosts.destroy();
  }
}

const fmt = (x) => x.toFixed(1).padStart(5);

function printTable(rows) {
  const where = hostsPrefix === null ? 'loopback' : `namespaced hosts, ${values['rate-mbit']} Mbit/s links`;
  console.log(
    `${values.workload}, samples/s (median of ${steps} steps after ${warmup} warm-up; median of ${repeats} repeat${repeats > 1 ? 's' : ''}), ${where}, node ${process.version}${bucketBytes > 0 ? `, buckets of ≥ ${bucketBytes} bytes` : ''}${accumulate > 1 ? `, ${accumulate} micro-batches a rank` : ''}${scavengeEachStep ? '' : ', no scavenge a step'}`,
  );
  console.log('system                              samples/s  × 1 node  bytes/step');
  for (const r of rows) {
    const bytes = r.bytesPerStep === undefined ? '' : `${(r.bytesPerStep / 1024).toFixed(0)} KiB`;
    console.log(
      `${r.system.padEnd(34)} ${r.samplesPerSecond.toFixed(1).padStart(9)}  ${r.ratio.toFixed(2).padStart(7)}×  ${bytes.padStart(10)}`,
    );
  }
  console.log(
    '\nCPU ms per step (all threads of a process): threads | cluster coordinator + the busiest node = a step without waiting → samples/s, × 1 node',
  );
  for (const r of rows) {
    const c = r.cpuPerStepMs;
    if (typeof c === 'number') console.log(`${r.system.padEnd(34)} ${fmt(c)}`);
    else {
      const bound = `${r.cpuBoundSamplesPerSecond.toFixed(1).padStart(9)}  ${r.cpuBoundRatio.toFixed(2)}×`;
      console.log(`${r.system.padEnd(34)} ${fmt(c.coordinator)} + ${fmt(c.node)} → ${bound}`);
    }
  }
  console.log(
    '\nwall ms per step: coordinator (first gradient, last gradient, decode, update, broadcast) | node (compute, send, decode, apply)',
  );
  for (const r of rows.filter((x) => x.phases !== undefined)) {
    const c = r.phases.coordinator;
    const n = r.phases.node;
    console.log(
      `${r.system.padEnd(34)} ${fmt(c.firstGradientMs)} ${fmt(c.lastGradientMs)} ${fmt(c.decodeMs)} ${fmt(c.updateMs)} ${fmt(c.broadcastMs)} | ${fmt(n.computeMs)} ${fmt(n.sendMs)} ${fmt(n.decodeMs)} ${fmt(n.applyMs)}`,
    );
  }
  console.log(
    '\ncritical path of a step, ms (medians over the timed steps; scripts/cluster-timeline.mjs says what each part is):',
  );
  console.log(`${''.padEnd(34)} ${TIMELINE_COLUMNS.map(([, h]) => h.padStart(11)).join(' ')}`);
  for (const r of rows.filter((x) => x.timeline !== undefined)) {
    const cells = TIMELINE_COLUMNS.map(([k]) => r.timeline[k].toFixed(2).padStart(11));
    console.log(`${r.system.padEnd(34)} ${cells.join(' ')}`);
  }
}

/** Every system once, in turn: [{ system, samplesPerSecond, phases?, bytesPerStep? }]. */
async function oneRepeat() {
  const runs = [];
  const add = async (system, run, bytes) => {
    runs.push({ system, ...(await run()), ...(bytes === undefined ? {} : { bytesPerStep: bytes.total }) });
    if (!values.json) process.stderr.write(`${system} done\n`);
  };
  const label = (n, precision) => `cluster ${n} node${n > 1 ? 's' : ''} × 1 thread, ${precision}`;
  await add('threads(1)', () => threadsRun(1));
  await add('threads(2)', () => threadsRun(2));
  for (const n of nodeCounts) {
    for (const precision of ['fp32', 'fp16']) {
      await add(label(n, precision), () => clusterRun(n, precision), bytesPerStep(n, precision));
      if (bucketBytes > 0)
        await add(
          `${label(n, precision)}, buckets`,
          () => clusterRun(n, precision, 0, bucketBytes),
          bytesPerStep(n, precision),
        );
    }
  }
  if (pages > 0) {
    const n = nodeCounts.find((k) => k > 1) ?? 2;
    await add(
      `${label(n, 'fp32')}, ${pages} pages`,
      () => clusterRun(n, 'fp32', pages),
      bytesPerStep(n, 'fp32'),
    );
  }
  const base = runs.find((r) => r.system === label(nodeCounts[0], 'fp32'));
  for (const r of runs) {
    r.ratio = r.samplesPerSecond / base.samplesPerSecond;
    if (r.cpuBoundSamplesPerSecond !== undefined)
      r.cpuBoundRatio = r.cpuBoundSamplesPerSecond / base.cpuBoundSamplesPerSecond;
  }
  return runs;
}

/** The repeats of one system as one row: medians of samples/s and ratio, mean phases. */
function combine(runs) {
  const row = {
    ...runs[0],
    samplesPerSecond: median(runs.map((r) => r.samplesPerSecond)),
    ratio: median(runs.map((r) => r.ratio)),
    repeats: runs.map((r) => ({ samplesPerSecond: r.samplesPerSecond, ratio: r.ratio })),
  };
  if (typeof runs[0].cpuPerStepMs === 'number') row.cpuPerStepMs = median(runs.map((r) => r.cpuPerStepMs));
  else {
    row.cpuPerStepMs = {
      coordinator: median(runs.map((r) => r.cpuPerStepMs.coordinator)),
      node: median(runs.map((r) => r.cpuPerStepMs.node)),
    };
    row.cpuBoundSamplesPerSecond = median(runs.map((r) => r.cpuBoundSamplesPerSecond));
    row.cpuBoundRatio = median(runs.map((r) => r.cpuBoundRatio));
  }
  if (runs[0].phases !== undefined) {
    const average = (side) =>
      Object.fromEntries(
        Object.keys(runs[0].phases[side]).map((k) => [k, mean(runs.map((r) => r.phases[side][k]))]),
      );
    row.phases = { coordinator: average('coordinator'), node: average('node') };
  }
  const timelines = runs.map((r) => r.timeline).filter((t) => t !== undefined && t !== null);
  if (timelines.length > 0)
    row.timeline = Object.fromEntries(
      Object.keys(timelines[0]).map((k) => [k, mean(timelines.map((t) => t[k]))]),
    );
  return row;
}

async function main() {
  const all = [];
  for (let r = 0; r < repeats; r++) all.push(await oneRepeat());
  const rows = all[0].map((_, i) => combine(all.map((runs) => runs[i])));
  if (values.json) {
    const where = hostsPrefix === null ? 'loopback' : { rateMbit: Number(values['rate-mbit']) };
    const result = {
      node: process.version,
      workload: values.workload,
      steps,
      warmup,
      repeats,
      where,
      scavengeEachStep,
      rows,
    };
    console.log(JSON.stringify(result, null, 2));
  } else printTable(rows);
}

if (positionals[0] === 'node') await nodeMain(positionals[1], positionals[2], Number(positionals[3]));
else if (positionals[0] === 'pages') await pagesMain(positionals[1], Number(positionals[2]));
else if (values['rate-mbit'] !== undefined && hostsPrefix === null)
  await onHosts(Number(values['rate-mbit']));
else await main();
