// Machines against threads (issue 6), with real processes on loopback: 2 node processes × 1
// thread train the parameters of 1 process × 2 threads; kill -9 of a node mid-run → the run
// continues and finishes, and the restarted node rejoins; kill -9 of the coordinator → its
// restart resumes from the last checkpoint, the nodes reconnect, and the run finishes with no
// more than one checkpoint interval lost. Also wss with an openssl certificate, fp16 gradients,
// and the status endpoints.

import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { relativeError as relative } from '@recur/kernels/testing';
import { loadModel } from '@recur/nn';
import { threads } from '@recur/parallel';
import t from 'tap';
import { type Child, lineWhere, child as spawnChild } from './testing/children.js';
import { TASK, taskCoordinator, taskData, taskModel } from './testing/task.js';

const TOKEN = 'test-token-0123456789';
/** nothing here may take longer: a hang fails the test instead of stalling the suite */
const child = (script: string, spec: object): Child =>
  spawnChild(script, spec, { token: TOKEN, deadlineMs: 60_000 });

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

t.test('2 node processes × 1 thread train the parameters of 1 process × 2 threads', async (t) => {
  const coordinator = await taskCoordinator(TOKEN, 3, {
    heartbeatTimeoutMs: 2_000,
    minNodes: 2,
  });
  const nodes = [0, 1].map((i) => child('node-run.mjs', { url: coordinator.url, nodeId: `node-${i}` }));
  const summary = await coordinator.done;
  const ends = await Promise.all(nodes.map((n) => n.ended));
  t.same(
    ends.map((e) => e.ok),
    [true, true],
    'both nodes ended cleanly',
  );
  for (const e of ends) {
    const { computeMs, sendMs, decodeMs } = (e as unknown as { timings: Record<string, number> }).timings;
    t.ok(computeMs > 0 && sendMs > 0 && decodeMs > 0, `the node's timings: ${JSON.stringify(e)}`);
  }
  t.equal(summary.steps, 3 * (TASK.N / TASK.batchSize));
  const reference = taskModel();
  const { x, y } = taskData();
  await reference.fit(x, y, { epochs: 3, batchSize: TASK.batchSize, seed: 5, strategy: threads(2) });
  const r = relative(
    (coordinator as unknown as { o: { model: { params: Float32Array } } }).o.model.params,
    reference.params,
  );
  t.ok(r <= 1e-6, `relative difference ${r.toExponential(2)} ≤ 1e-6`);
});

t.test('kill -9 of a node mid-run: the run goes on and finishes; the restarted node rejoins', async (t) => {
  const epochs = 250; // 2000 steps: with the pacing below, long enough for a process to start
  const pause = new Int32Array(new SharedArrayBuffer(4));
  let killedAt = 0;
  let rejoined = false;
  let alone = 0; // steps computed by the survivor alone, between the kill and the rejoin
  let together = 0; // steps with two members after the rejoin
  const nodes: Child[] = [];
  const coordinator = await taskCoordinator(TOKEN, epochs, {
    heartbeatTimeoutMs: 2_000,
    log: (line) => {
      if (/node-1-again joined/.test(line)) rejoined = true;
    },
    onStep: ({ step, members }) => {
      if (step === 40) {
        killedAt = step;
        nodes[1].process.kill('SIGKILL');
        nodes.push(child('node-run.mjs', { url: coordinator.url, nodeId: 'node-1-again' }));
      }
      if (killedAt > 0 && !rejoined && members === 1) {
        alone++;
        // Pace the survivor's steps (1 ms each) until the restarted process has joined: with
        // native kernels a step takes well under a millisecond, and the run could end before a
        // new process has started. At most the rest of the run, about 2 s.
        Atomics.wait(pause, 0, 0, 1);
      }
      if (rejoined && members === 2) together++;
    },
  });
  nodes.push(child('node-run.mjs', { url: coordinator.url, nodeId: 'node-0' }));
  nodes.push(child('node-run.mjs', { url: coordinator.url, nodeId: 'node-1' }));
  const summary = await coordinator.done;
  t.equal(summary.steps, epochs * 8, 'every step of the run');
  t.equal(killedAt, 40, 'a node was killed at step 40');
  t.ok(alone > 0, `the survivor went on alone for ${alone} steps`);
  t.ok(together > 0, `the restarted node rejoined and shared ${together} steps`);
  const ends = await Promise.all([nodes[0], nodes[2]].map((n) => n.ended));
  t.same(
    ends.map((e) => e.ok),
    [true, true],
    `the survivor and the restarted node ended cleanly: ${JSON.stringify(ends)}`,
  );
  t.ok(Number.isFinite(summary.loss), `final loss ${summary.loss}`);
});

t.test(
  'kill -9 of the coordinator: the restart resumes from its checkpoint and the run finishes',
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'recur-cluster-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    const checkpoint = join(dir, 'run.ckpt');
    const port = await freePort();
    const spec = { port, epochs: 30, checkpoint, everySteps: 20 };
    const first = child('coordinator-run.mjs', spec);
    const listening = await lineWhere(first, (j) => 'listening' in j);
    const node = child('node-run.mjs', {
      url: listening.listening,
      nodeId: 'survivor',
      reconnectTimeoutMs: 30_000,
    });
    const last = await lineWhere(first, (j) => typeof j.step === 'number' && (j.step as number) >= 50);
    first.process.kill('SIGKILL');
    await first.ended;
    const killedAt = last.step as number;
    const { model: saved } = await loadModel(checkpoint);
    const savedStep = saved.compiled?.step ?? 0;
    t.ok(
      savedStep >= killedAt - 20 && savedStep <= killedAt,
      `checkpoint at step ${savedStep}, killed after ${killedAt}`,
    );
    const second = child('coordinator-run.mjs', { ...spec, resume: true });
    const again = await lineWhere(second, (j) => 'listening' in j);
    t.equal(again.from, savedStep, 'resumed from the checkpoint step');
    const ended = await lineWhere(second, (j) => j.ended === true);
    t.equal(ended.steps, 30 * 8, 'the run finishes every step');
    const nodeEnd = await node.ended;
    t.equal(nodeEnd.ok, true, 'the node reconnected and ended cleanly');
    t.ok((nodeEnd.connections as number) >= 2, `the node connected ${nodeEnd.connections} times`);
    await second.ended;
  },
);

t.test('wss with an openssl certificate, fp16 gradients, and the status endpoints', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'recur-tls-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  const subject = ['-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'];
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', ...subject, '-keyout', key, '-out', cert],
    {
      stdio: 'ignore',
    },
  );
  let firstJoined: () => void = () => {};
  const joined = new Promise<void>((resolve) => (firstJoined = resolve));
  // minNodes 2: the run waits after the first join, so the status is read in a known state
  const coordinator = await taskCoordinator(TOKEN, 4, {
    heartbeatTimeoutMs: 2_000,
    minNodes: 2,
    tls: { cert: await readFile(cert), key: await readFile(key) },
    log: (line) => (/joined/.test(line) ? firstJoined() : undefined),
  });
  t.match(coordinator.url, /^wss:\/\//);
  const spec = { url: coordinator.url, precision: 'fp16', ca: cert };
  const nodes = [child('node-run.mjs', { ...spec, nodeId: 'tls-node-0' })];
  await joined;
  const base = coordinator.url.replace('wss:', 'https:');
  const ca = await readFile(cert);
  t.match(
    JSON.parse(await fetchTls(`${base}/status`, ca, { authorization: `Bearer ${TOKEN}` })),
    {
      schemaVersion: 1,
      kind: 'cluster',
      state: 'waiting',
      progress: { step: 0, epochs: 4 },
      workers: [{ id: 'tls-node-0', threads: 1 }],
      events: [{ kind: 'join' }],
    },
    "GET /status: the live page's JSON",
  );
  t.match(
    await fetchTls(`${base}/`, ca, { cookie: `recur_token=${TOKEN}` }),
    /<h1>recur coordinator: waiting<\/h1>[\s\S]*tls-node-0/,
    'GET / shows the members',
  );
  nodes.push(child('node-run.mjs', { ...spec, nodeId: 'tls-node-1' }));
  const summary = await coordinator.done;
  t.same(
    (await Promise.all(nodes.map((n) => n.ended))).map((e) => e.ok),
    [true, true],
    'both nodes trained over wss with fp16 gradients',
  );
  t.equal(summary.steps, 32);
  const untrained = await taskModel().evaluate(taskData().x, taskData().y);
  t.ok(summary.loss < 0.5 * untrained.loss, `the loss fell: ${untrained.loss} → ${summary.loss}`);
  t.match(
    coordinator.status(),
    { state: 'ended', step: 32, loss: [{ step: 1 }] },
    'the status after the run',
  );
});

function fetchTls(url: string, ca: Buffer, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, { ca: [ca], headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    })
      .on('error', reject)
      .end();
  });
}
