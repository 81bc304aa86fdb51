// A cluster across hosts (issue 16): a coordinator and three workers, each in its own network
// namespace made here, joined by veth pairs shaped with tc (netem: 20 ms delay, 1% loss, a rate
// limit; where the kernel has no netem, tbf's rate limit alone, said in the output). The run
// equals threads(3) bit for bit; a worker partitioned for longer than the heartbeat is evicted,
// rejoins and the run completes; the coordinator's host cut off and restored: every worker
// reconnects and the run completes. Needs root and iproute2; skipped, with the reason printed,
// only where the namespaces cannot be made. Every namespace is deleted at the end, also on
// failure. Only addresses of the veth pairs made here (10.231.k.0/24) are used.
import { createHash } from 'node:crypto';
import t, { type Test } from 'tap';
import { type Child, lineWhere, child as spawnChild } from './testing/children.js';
import { Hosts } from './testing/netns.js';
import { reference } from './testing/peers.js';
import { TASK } from './testing/task.js';

const TOKEN = 'netns-test-token-0123';
const WORKERS = 3;
const STEPS_PER_EPOCH = TASK.N / TASK.batchSize;
const hosts = Hosts.make(`rc${process.pid % 100_000}`, WORKERS, {
  delayMs: 20,
  lossPercent: 1,
  rateMbit: 50,
});

if (typeof hosts === 'string') {
  t.comment(hosts);
  t.test('a cluster across network namespaces', { skip: hosts }, () => {});
} else {
  t.teardown(() => hosts.destroy());
  t.comment(`links: ${hosts.shaping}`);
  netnsTests(hosts);
}

const sha256 = (a: Float32Array) =>
  createHash('sha256')
    .update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
    .digest('hex');

function netnsTests(hosts: Hosts) {
  const children: Child[] = [];
  t.teardown(() => {
    for (const c of children) c.process.kill('SIGKILL');
  });
  const spawn = (k: number, script: string, spec: object) => {
    const c = spawnChild(script, spec, { token: TOKEN, prefix: hosts.exec(k), deadlineMs: 150_000 });
    children.push(c);
    return c;
  };
  /** A coordinator on its host, listening on every address, and the workers on theirs. */
  async function cluster(port: number, spec: object) {
    const coordinator = spawn(0, 'coordinator-run.mjs', { host: '0.0.0.0', port, ...spec });
    await lineWhere(coordinator, (j) => 'listening' in j);
    const workers = Array.from({ length: WORKERS }, (_, i) =>
      spawn(i + 1, 'node-run.mjs', {
        url: `ws://${hosts.coordinatorAddress(i + 1)}:${port}`,
        nodeId: `host-${i + 1}`,
        reconnectTimeoutMs: 30_000,
      }),
    );
    return { coordinator, workers };
  }
  const log = (pattern: RegExp) => (j: Record<string, unknown>) =>
    typeof j.log === 'string' && pattern.test(j.log);
  let stepsPerSecond = 20; // measured by the first test

  t.test('three workers on their own hosts train bit for bit the parameters of threads(3)', async (t) => {
    const epochs = 3;
    const { coordinator, workers } = await cluster(7071, { epochs, minNodes: WORKERS });
    const first = await lineWhere(coordinator, (j) => j.step === 1);
    const started = performance.now();
    const end = await lineWhere(coordinator, (j) => j.ended === true);
    stepsPerSecond = (epochs * STEPS_PER_EPOCH - 1) / ((performance.now() - started) / 1000);
    t.equal(
      end.steps,
      epochs * STEPS_PER_EPOCH,
      `every step (${stepsPerSecond.toFixed(0)} steps/s, loss ${first.loss} first)`,
    );
    t.equal(
      end.paramsSha256,
      sha256(await reference(WORKERS, epochs)),
      'the parameters of threads(3), bit for bit',
    );
    const ends = await Promise.all(workers.map((w) => w.ended));
    t.same(
      ends.map((e) => e.ok),
      [true, true, true],
      'every worker ended cleanly',
    );
  });

  /** Epochs for a run of about `seconds` at the measured speed (to span a partition). */
  const epochsFor = (seconds: number) =>
    Math.max(20, Math.ceil((stepsPerSecond * seconds) / STEPS_PER_EPOCH));

  /**
   * A run long enough to span the cut; after step 10 host `k`'s links (0: the coordinator's, all
   * of them) are cut until the coordinator has evicted who was behind them, then restored.
   * Waits for them to rejoin; returns the workers' connection counts once the run has completed
   * every step.
   */
  async function cutAndRestore(t: Test, port: number, k: number) {
    const epochs = epochsFor(25);
    const { coordinator, workers } = await cluster(port, { epochs, minNodes: 2, heartbeatTimeoutMs: 1_000 });
    await lineWhere(coordinator, (j) => typeof j.step === 'number' && j.step >= 10);
    hosts.cut(k);
    const who = k === 0 ? '' : `node host-${k} \\(rank \\d\\) `;
    for (let n = 0; n < (k === 0 ? WORKERS : 1); n++)
      await lineWhere(coordinator, log(new RegExp(`${who}removed: no frame for 1000 ms`)));
    await new Promise((r) => setTimeout(r, 500)); // longer than the heartbeat timeout, by more
    hosts.restore(k);
    const joined = new RegExp(`node host-${k === 0 ? '\\d' : k} joined`);
    for (let n = 0; n < (k === 0 ? WORKERS : 1); n++) await lineWhere(coordinator, log(joined));
    const end = await lineWhere(coordinator, (j) => j.ended === true);
    t.equal(end.steps, epochs * STEPS_PER_EPOCH, 'the run completed every step');
    const ends = await Promise.all(workers.map((w) => w.ended));
    t.same(
      ends.map((e) => e.ok),
      [true, true, true],
      'every worker ended cleanly',
    );
    return ends.map((e) => e.connections as number);
  }

  t.test(
    'a worker partitioned longer than the heartbeat is evicted, rejoins, and the run completes',
    async (t) => {
      const connections = await cutAndRestore(t, 7072, 3);
      t.ok(connections[2] >= 2, `the partitioned worker reconnected (${connections[2]} connections)`);
    },
  );

  t.test(
    "the coordinator's host cut off and restored: every worker reconnects, the run completes",
    async (t) => {
      const connections = await cutAndRestore(t, 7073, 0);
      t.ok(
        connections.every((c) => c >= 2),
        `every worker reconnected (${connections.join(', ')} connections)`,
      );
    },
  );
}
