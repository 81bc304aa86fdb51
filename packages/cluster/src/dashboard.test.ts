// The coordinator's live page (issue 17) without a browser (packages/cli's dashboard.test.ts
// has the browser): GET /events needs the token like GET /status; dashboard.maxStreams is
// exceeded by one; the event log records joins and refused joins with their codes; the JSON
// names the checkpoint by file name, never by path; a real run fills the per-node numbers.
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DashboardStatus } from '@recur/dashboard';
import { encodeFrame } from '@recur/protocol';
import t from 'tap';
import { type NodeTimings, runNode } from './node.js';
import { joinFrame, raw } from './testing/peers.js';
import { taskCoordinator, taskNode } from './testing/task.js';

const TOKEN = 'dashboard-cluster-token';
const auth = { authorization: `Bearer ${TOKEN}` };

function get(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; destroy: () => void; body: () => Promise<string> }>(
    (resolve, reject) => {
      const req = request(url, { headers }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        const ended = new Promise<string>((r) => res.on('end', () => r(body)));
        resolve({ status: res.statusCode ?? 0, destroy: () => req.destroy(), body: () => ended });
      });
      req.on('error', reject);
      req.end();
    },
  );
}

t.test('GET /events behind the token; maxStreams exceeded by one; refused joins logged', async (t) => {
  const coordinator = await taskCoordinator(TOKEN, 1, { minNodes: 2, dashboard: { maxStreams: 1 } });
  t.teardown(() => coordinator.close());
  const base = coordinator.url.replace('ws:', 'http:');
  t.equal((await get(`${base}/events`)).status, 401, 'no token: 401');
  t.equal((await get(`${base}/events`, { cookie: 'recur_token=not-the-token' })).status, 401);
  const stream = await get(`${base}/events`, auth);
  t.equal(stream.status, 200, 'the token opens a stream');
  const second = await get(`${base}/events`, { cookie: `recur_token=${TOKEN}` });
  t.equal(second.status, 503, 'maxStreams 1: one more is refused');
  t.match(JSON.parse(await second.body()), { code: 'ERR_DASHBOARD_TOO_MANY_STREAMS' });
  stream.destroy();

  const intruder = raw(coordinator.url);
  await intruder.open;
  intruder.ws.send(encodeFrame(joinFrame('wrong-token-123', { nodeId: 'intruder' })), { binary: true });
  await intruder.closed;
  const member = raw(coordinator.url);
  await member.open;
  member.ws.send(encodeFrame(joinFrame(TOKEN, { nodeId: 'member-0' })), { binary: true });
  await member.next('welcome');
  // the JSON is rebuilt at most once per refreshMs (1 s)
  await new Promise((r) => setTimeout(r, 1100));
  const status = JSON.parse(await (await get(`${base}/status`, auth)).body()) as DashboardStatus;
  t.match(status.events, [
    { kind: 'refused', code: 'ERR_CLUSTER_UNAUTHORIZED' },
    { kind: 'join', message: /member-0 joined as rank 0/ },
  ]);
  t.match(status.workers, [{ id: 'member-0', rank: 0, threads: 1, steps: 0, attempts: 0, evictions: 0 }]);
  member.ws.close();
});

t.test('a real two-node run fills the per-node numbers; the checkpoint by name', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'recur-dashboard-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  // asked for at step 12 of 32: answered while the run goes on (the same event loop)
  let mid: Promise<string> | null = null;
  let base = '';
  const coordinator = await taskCoordinator(TOKEN, 4, {
    minNodes: 2,
    checkpoint: { path: join(dir, 'last.ckpt'), everySteps: 8 },
    dashboard: { title: 'two nodes', refreshMs: 1 },
    onStep: ({ step }) => {
      if (step === 12) mid = get(`${base}/status`, auth).then((r) => r.body());
    },
  });
  t.teardown(() => coordinator.close());
  base = coordinator.url.replace('ws:', 'http:');
  const seen: { step: number; timings: NodeTimings }[] = [];
  const onStep = (info: { step: number; timings: NodeTimings }) => seen.push(info);
  const nodes = [0, 1].map((i) =>
    runNode(taskNode(coordinator.url, TOKEN, { nodeId: `n${i}`, ...(i === 0 ? { onStep } : {}) })),
  );
  await coordinator.done;
  const [first] = await Promise.all(nodes);
  t.equal(seen.length, first.assignments, "the node's onStep once per gradient sent");
  t.same(
    seen.map((s) => s.step),
    [...seen.map((s) => s.step)].sort((a, b) => a - b),
    'in step order',
  );
  t.ok(
    seen.every((s, i) => i === 0 || s.timings.computeMs >= seen[i - 1].timings.computeMs),
    'with the timings so far (copies: they only grow)',
  );
  t.equal(seen.at(-1)?.timings.computeMs, first.timings.computeMs, "the last one has the run's compute");
  t.ok(mid !== null, 'asked during the run');
  const s = JSON.parse(await (mid as unknown as Promise<string>)) as DashboardStatus;
  t.equal(s.state, 'training', `read at step ${s.progress.step}`);
  t.match(s, { kind: 'cluster', title: 'two nodes', progress: { epochs: 4, steps: 32 } });
  t.equal(s.workers.length, 2);
  for (const w of s.workers) {
    t.ok(w.steps > 0 && w.stepsPerSecond > 0, `${w.id}: ${w.steps} steps, ${w.stepsPerSecond.toFixed(1)}/s`);
    t.ok(w.computeMs > 0, `${w.id}: ${w.computeMs.toFixed(2)} ms to answer`);
    t.ok((w.bytesInPerStep ?? 0) > 0 && (w.bytesOutPerStep ?? 0) > 0, `${w.id}: bytes per step`);
  }
  t.ok(s.loss.length >= 12 && s.throughput.length > 0, 'the loss and samples/s histories');
  t.match(s.checkpoint, { name: 'last.ckpt' }, 'the checkpoint by file name');
  t.notMatch(JSON.stringify(s), dir, 'no absolute path anywhere');
  t.ok(
    s.events.some((e) => e.kind === 'checkpoint'),
    'checkpoints in the event log',
  );
});

t.test('an eviction and a step assigned again: in the event log and the node row', async (t) => {
  let mid: Promise<string> | null = null;
  let base = '';
  const coordinator = await taskCoordinator(TOKEN, 1, {
    stepDeadlineMs: 1500,
    dashboard: { refreshMs: 1 },
    onStep: ({ step }) => {
      if (step === 3) mid = get(`${base}/status`, auth).then((r) => r.body());
    },
  });
  t.teardown(() => coordinator.close());
  base = coordinator.url.replace('ws:', 'http:');
  // joins first, so step 1 is assigned to it alone; it never answers and is evicted
  const silent = raw(coordinator.url);
  await silent.open;
  silent.ws.send(encodeFrame(joinFrame(TOKEN, { nodeId: 'silent' })), { binary: true });
  await silent.closed;
  const honest = runNode(taskNode(coordinator.url, TOKEN, { nodeId: 'honest' }));
  await coordinator.done;
  await honest;
  const s = JSON.parse(await (mid as unknown as Promise<string>)) as DashboardStatus;
  t.match(s.events, [
    { kind: 'join', message: /silent joined/ },
    { kind: 'eviction', code: 'ERR_CLUSTER_EVICTED', message: /silent .*stepDeadlineMs/ },
    { kind: 'join', message: /honest joined/ },
    { kind: 'retry', message: /step 1 assigned again \(attempt 2\)/ },
  ]);
  t.match(s.workers, [{ id: 'honest', attempts: 1, evictions: 0 }], 'the re-assigned part in its row');
});
