// The exchange alone (issue 16): what one optimizer step of a cluster costs besides computing.
// A coordinator (@recur/cluster, in this process) and 1, 2 or 3 client processes that speak the
// protocol as a node does but answer each assignment at once with a fixed gradient sum (no
// model runs): a step's wall time is then the assignment, the gradients' encode, transfer,
// decode and checks, the sum and the optimizer with its finiteness guard, and the parameters'
// encode, transfer, decode and copy — the cost a real step adds to its compute.
//
//   pnpm exec turbo run build
//   node scripts/bench-exchange.mjs [--clients 1,2,3] [--precisions fp32,fp16,ws] [--steps 300]
//                                   [--repeats 3] [--scavenge off|on] [--json]
//
// The model is lstm-std's (P = 83,073; BENCHMARKS.md in the team's shared folder); the clients
// install the native protocol kernels and mark without incremental marking, as runNode does.
// `--precisions ws` adds the transport's floor: a plain ws server and clients moving the same
// bytes in the same pattern (a small assignment out, 4·P bytes back from each client, 4·P bytes
// to each), with no protocol, checks or optimizer: what ws and the sockets cost by themselves.
// The coordinator runs with scavengeEachStep: false unless --scavenge on: in a real step its
// young-generation collection after the broadcast (@recur/cluster's Note [a scavenge a step])
// overlaps the nodes' compute, which these clients do not have, so here it would be added to
// every step whole (0.5–3 ms on a machine where it pays off in real steps).
// With --repeats R every configuration runs R times in turn (a shared machine drifts); the
// figures are medians over the repeats of: the
// median and the 10th percentile of the step times after 10 warm-up steps, and the CPU ms per
// step of the coordinator and of the busiest client (process.cpuUsage, all threads).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import {
  bytesPerMember,
  installProtocolKernels,
  NO_RUN_HASH,
  startCoordinator,
  useAtomicMarking,
} from '@recur/cluster';
import { dense, lstm, sequential } from '@recur/nn';
import { decodeFrame, encodeFrame, maxFrameBytes, PROTOCOL_VERSION } from '@recur/protocol';

// ws as @recur/cluster resolves it (the copy the coordinator and runNode use; not a dependency here)
const { WebSocket, WebSocketServer } = createRequire(import.meta.resolve('@recur/cluster'))('ws');

const TOKEN = 'bench-exchange-token';
const DATA_HASH = 'd'.repeat(64);
const WARMUP = 10;
const B = 64;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    clients: { type: 'string', default: '1,2,3' },
    scavenge: { type: 'string', default: 'off' },
    precisions: { type: 'string', default: 'fp32,fp16' },
    steps: { type: 'string', default: '300' },
    repeats: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});

function model() {
  const m = sequential([lstm({ units: 128 }), dense({ units: 1 })], { inputShape: [50, 32], seed: 1 });
  m.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 1e-3 } });
  return m;
}

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** A client: `bench-exchange.mjs client <url> <precision>`; prints its CPU ms per step. */
function clientMain(url, precision) {
  installProtocolKernels();
  useAtomicMarking(); // as runNode does
  const m = model();
  const P = m.layout.size;
  const gradient = Float32Array.from({ length: P }, (_, i) => Math.sin(i) * 1e-2); // (P) sums
  const limits = { maxFrameBytes: maxFrameBytes(P), parameterCount: P };
  const ws = new WebSocket(url, {
    generateMask: (mask) => mask.fill(0),
    maxPayload: 2 * limits.maxFrameBytes,
  });
  let answered = 0;
  let cpuAtWarmup = 0;
  ws.on('open', () => {
    const join = {
      protocolVersion: PROTOCOL_VERSION,
      token: TOKEN,
      nodeId: `client-${process.pid}`,
      threads: 1,
    };
    const hashes = { layoutHash: m.layout.hash(), dataHash: DATA_HASH, runHash: NO_RUN_HASH };
    ws.send(encodeFrame({ kind: 'join', ...join, ...hashes }));
  });
  ws.on('message', (data) => {
    const frame = decodeFrame(data, limits);
    if (frame.kind === 'assignment') {
      if (++answered === WARMUP) cpuAtWarmup = cpuMs();
      const samples = frame.rangeEnd - frame.rangeStart;
      const round = { step: frame.step, attempt: frame.attempt };
      ws.send(
        encodeFrame({
          kind: 'gradient',
          ...round,
          count: samples,
          lossSum: samples,
          samples,
          precision,
          gradient,
        }),
      );
    } else if (frame.kind === 'parameters') m.params.set(frame.parameters);
    else if (frame.kind === 'end') {
      process.stdout.write(
        `${JSON.stringify({ cpuPerStepMs: (cpuMs() - cpuAtWarmup) / (answered - WARMUP) })}\n`,
      );
      ws.close();
    }
  });
}

/** A plain ws client (`bench-exchange.mjs ws-client <url> <P>`): answers each small message with 4·P bytes. */
function wsClientMain(url, P) {
  useAtomicMarking();
  const gradient = Buffer.alloc(4 * Number(P), 1);
  const ws = new WebSocket(url, { generateMask: (mask) => mask.fill(0), maxPayload: 16 * gradient.length });
  let answered = 0;
  let cpuAtWarmup = 0;
  ws.on('message', (data) => {
    if (data.length > 64) return; // the parameters
    if (++answered === WARMUP) cpuAtWarmup = cpuMs();
    ws.send(gradient);
  });
  ws.on('close', () => {
    process.stdout.write(
      `${JSON.stringify({ cpuPerStepMs: (cpuMs() - cpuAtWarmup) / (answered - WARMUP) })}\n`,
    );
  });
}

/** Spawns `clients` client processes of this script with `args`; resolves with their reports. */
function spawnClients(clients, args) {
  return Array.from({ length: clients }, () => {
    const child = spawn(process.execPath, [process.argv[1], ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    return new Promise((resolve) => child.on('exit', () => resolve(JSON.parse(out))));
  });
}

/** The figures of one run from the step stamps, the CPU at each stamp and the clients' reports. */
function figures(stamps, cpu, reports) {
  const times = stamps.slice(WARMUP).map((s, i) => s - stamps[WARMUP - 1 + i]);
  const sorted = [...times].sort((a, b) => a - b);
  return {
    stepMs: median(times),
    p10Ms: sorted[Math.floor(sorted.length / 10)],
    coordinatorCpuMs: (cpu.at(-1) - cpu[WARMUP - 1]) / (cpu.length - WARMUP),
    clientCpuMs: Math.max(...reports.map((r) => r.cpuPerStepMs)),
  };
}

/** The transport's floor: a plain ws server here moving the bytes of `steps` steps. */
async function runWs(clients, steps) {
  useAtomicMarking();
  const P = model().layout.size;
  const parameters = Buffer.alloc(4 * P, 2);
  const assignment = Buffer.alloc(40, 3);
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 16 * 4 * P });
  await new Promise((resolve) => server.on('listening', resolve));
  const sockets = [];
  const stamps = [];
  const cpu = [];
  let answers = 0;
  const next = () => {
    for (const s of sockets) s.send(assignment);
  };
  server.on('connection', (socket) => {
    sockets.push(socket);
    socket.on('message', () => {
      if (++answers < clients) return;
      answers = 0;
      stamps.push(performance.now());
      cpu.push(cpuMs());
      for (const s of sockets) s.send(parameters);
      if (stamps.length < steps) next();
      else for (const s of sockets) s.close();
    });
    if (sockets.length === clients) next();
  });
  const { port } = server.address();
  const reports = await Promise.all(
    spawnClients(clients, ['ws-client', `ws://127.0.0.1:${port}`, String(P)]),
  );
  server.close();
  return figures(stamps, cpu, reports);
}

/** One run: the coordinator here, `clients` client processes; step times and CPU per step. */
async function run(clients, precision, steps) {
  if (precision === 'ws') return runWs(clients, steps);
  const stamps = [];
  const cpu = [];
  const coordinator = await startCoordinator({
    model: model(),
    data: { size: B * steps, hash: DATA_HASH },
    batchSize: B,
    epochs: 1,
    token: TOKEN,
    minNodes: clients,
    host: '127.0.0.1',
    scavengeEachStep: values.scavenge === 'on',
    onStep: () => {
      stamps.push(performance.now());
      cpu.push(cpuMs());
    },
  });
  const children = spawnClients(clients, ['client', coordinator.url, precision]);
  await coordinator.done;
  return figures(stamps, cpu, await Promise.all(children));
}

async function main() {
  const clientCounts = values.clients.split(',').map(Number);
  const precisions = values.precisions.split(',');
  const steps = Number(values.steps);
  const repeats = Number(values.repeats);
  const ok =
    clientCounts.every((n) => Number.isInteger(n) && n >= 1 && n <= 8) &&
    precisions.every((p) => p === 'fp32' || p === 'fp16' || p === 'ws') &&
    Number.isInteger(steps) &&
    steps > WARMUP + 10 &&
    Number.isInteger(repeats) &&
    repeats >= 1 &&
    (values.scavenge === 'on' || values.scavenge === 'off');
  if (!ok) {
    console.error(
      'usage: --clients 1..8 list --precisions fp32,fp16,ws --steps > 20 --repeats ≥ 1 --scavenge off|on',
    );
    process.exit(2);
  }
  const configs = clientCounts.flatMap((clients) => precisions.map((precision) => ({ clients, precision })));
  const runs = configs.map(() => []);
  for (let r = 0; r < repeats; r++) {
    for (const [i, c] of configs.entries()) runs[i].push(await run(c.clients, c.precision, steps));
  }
  const P = model().layout.size;
  const rows = configs.map((c, i) => ({
    ...c,
    bytesPerStep:
      c.precision === 'ws'
        ? c.clients * (40 + 8 * P)
        : c.clients * bytesPerMember(P, Math.ceil(B / c.clients), c.clients, c.precision),
    ...Object.fromEntries(Object.keys(runs[i][0]).map((k) => [k, median(runs[i].map((x) => x[k]))])),
  }));
  if (values.json) {
    console.log(JSON.stringify({ node: process.version, P, steps, repeats, rows }, null, 2));
    return;
  }
  console.log(
    `exchange only, P = ${P}, ${steps} steps, median of ${repeats} repeats, loopback, node ${process.version}${values.scavenge === 'on' ? ', the coordinator scavenging each step' : ''}`,
  );
  console.log(
    'clients  precision  step ms (median, p10)  CPU ms per step: coordinator, busiest client  bytes/step',
  );
  for (const r of rows) {
    const step = `${r.stepMs.toFixed(2).padStart(7)} ${r.p10Ms.toFixed(2).padStart(6)}`;
    const cpu = `${r.coordinatorCpuMs.toFixed(2).padStart(7)} ${r.clientCpuMs.toFixed(2).padStart(6)}`;
    console.log(
      `${String(r.clients).padStart(7)}  ${r.precision.padEnd(9)}  ${step.padEnd(21)}  ${cpu.padEnd(43)}  ${(r.bytesPerStep / 1024).toFixed(0).padStart(6)} KiB`,
    );
  }
}

if (positionals[0] === 'client') clientMain(positionals[1], positionals[2]);
else if (positionals[0] === 'ws-client') wsClientMain(positionals[1], positionals[2]);
else await main();
