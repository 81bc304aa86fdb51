// The coordinator's edges (issue 16, defects 4, 5, 8, 9, 18, 21): a cap on connections that have
// not joined (maxPendingConnections, exceeded by one); the status behind the token unless
// publicStatus; a port in use as a coded error; a node facing a server that never completes the
// handshake or never welcomes it gives up with a coded error within reconnectTimeoutMs; stop()
// ends at a step boundary with the checkpoint holding the step it reports; minNodes past the
// members' cap is refused at start.

import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel, type Model } from '@recur/nn';
import t from 'tap';
import { WebSocket, WebSocketServer } from 'ws';
import type { Coordinator } from './coordinator.js';
import { runNode } from './node.js';
import { CLUSTER_LIMITS } from './options.js';
import { raw } from './testing/peers.js';
import { taskCoordinator, taskNode } from './testing/task.js';

const TOKEN = 'limits-test-token';
const nodeOptions = (url: string) => taskNode(url, TOKEN);

/** An upgrade attempt's outcome: 'open', or the HTTP status and body it was refused with. */
function tryUpgrade(url: string): Promise<{ ws: WebSocket; outcome: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.on('open', () => resolve({ ws, outcome: 'open' }));
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ ws, outcome: `${res.statusCode} ${body}` }));
    });
    ws.on('error', () => {});
  });
}

t.test('4: connections that have not joined are capped (maxPendingConnections)', async (t) => {
  t.equal(CLUSTER_LIMITS.maxPendingConnections, 16, 'the default');
  const coordinator = await taskCoordinator(TOKEN, 1, { maxPendingConnections: 2, joinTimeoutMs: 5_000 });
  t.teardown(() => coordinator.close());
  const held = [await tryUpgrade(coordinator.url), await tryUpgrade(coordinator.url)];
  t.same(
    held.map((h) => h.outcome),
    ['open', 'open'],
    'up to the limit',
  );
  const over = await tryUpgrade(coordinator.url);
  t.match(over.outcome, /^503 ERR_CLUSTER_TOO_MANY_PENDING: 2 connections have not joined/, 'one past it');
  held[0].ws.close();
  await new Promise((r) => held[0].ws.once('close', r));
  const again = await tryUpgrade(coordinator.url);
  t.equal(again.outcome, 'open', 'a slot freed by a closed connection is usable again');
  for (const h of [held[1], again]) h.ws.terminate();
  await t.rejects(taskCoordinator(TOKEN, 1, { maxPendingConnections: 0 }), {
    code: 'ERR_CLUSTER_BAD_OPTION',
    message: /maxPendingConnections/,
  });
});

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

t.test('5: GET /status and GET / need the token unless publicStatus', async (t) => {
  const coordinator = await taskCoordinator(TOKEN, 1);
  t.teardown(() => coordinator.close());
  const base = coordinator.url.replace('ws:', 'http:');
  for (const path of ['/status', '/']) {
    const none = await get(`${base}${path}`);
    t.equal(none.status, 401, `${path} without a token`);
    t.match(JSON.parse(none.body), { code: 'ERR_CLUSTER_UNAUTHORIZED' });
    t.equal(
      (await get(`${base}${path}`, { authorization: 'Bearer wrong-token' })).status,
      401,
      'a wrong one',
    );
    t.equal((await get(`${base}${path}`, { cookie: 'recur_token=wrong-token' })).status, 401);
    t.equal((await get(`${base}${path}`, { authorization: `Bearer ${TOKEN}` })).status, 200, 'the header');
    t.equal((await get(`${base}${path}`, { cookie: `a=b; recur_token=${TOKEN}` })).status, 200, 'the cookie');
  }
  t.match(JSON.parse((await get(`${base}/status`, { authorization: `Bearer ${TOKEN}` })).body), {
    state: 'waiting',
  });
  const open = await taskCoordinator(TOKEN, 1, { publicStatus: true });
  t.teardown(() => open.close());
  t.equal((await get(`${open.url.replace('ws:', 'http:')}/status`)).status, 200, 'publicStatus: anyone');
});

t.test('8: a port in use is a coded error', async (t) => {
  const first = await taskCoordinator(TOKEN, 1);
  t.teardown(() => first.close());
  const port = Number(new URL(first.url).port);
  await t.rejects(taskCoordinator(TOKEN, 1, { port }), {
    code: 'ERR_CLUSTER_LISTEN_FAILED',
    message: new RegExp(`cannot listen on 127.0.0.1:${port}: the port is in use \\(EADDRINUSE\\)`),
  });
});

t.test('9: a server that never completes the handshake, or never welcomes', async (t) => {
  const sockets: Socket[] = [];
  const silent = createServer((socket) => sockets.push(socket)); // accepts TCP, says nothing
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });
  const timing = { handshakeTimeoutMs: 150, reconnectTimeoutMs: 600, backoff: { initialMs: 20, maxMs: 50 } };
  const port = (silent.address() as { port: number }).port;
  const started = performance.now();
  await t.rejects(runNode({ ...nodeOptions(`ws://127.0.0.1:${port}`), ...timing }), {
    code: 'ERR_CLUSTER_CONNECT_FAILED',
    message: /for 600 ms \(reconnectTimeoutMs\)/,
  });
  t.ok(performance.now() - started < 5_000, 'within the timeouts');
  t.ok(sockets.length >= 2, `it tried again (${sockets.length} connections)`);

  const mute = new WebSocketServer({ host: '127.0.0.1', port: 0 }); // upgrades, never welcomes
  await new Promise((r) => mute.once('listening', r));
  t.teardown(() => mute.close());
  let upgrades = 0;
  mute.on('connection', () => upgrades++);
  await t.rejects(
    runNode({ ...nodeOptions(`ws://127.0.0.1:${(mute.address() as { port: number }).port}`), ...timing }),
    { code: 'ERR_CLUSTER_CONNECT_FAILED' },
  );
  t.ok(upgrades >= 2, `no welcome: it tried again (${upgrades} connections)`);
});

t.test('18: stop() ends at a step boundary; the checkpoint holds the step it reports', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'recur-stop-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'last.ckpt');
  let stopRequested: () => void = () => {};
  const third = new Promise<void>((r) => (stopRequested = r));
  const coordinator: Coordinator = await taskCoordinator(TOKEN, 20, {
    checkpoint: { path, everySteps: 5 },
    onStep: ({ step }) => (step === 3 ? stopRequested() : undefined),
  });
  const node = runNode({ ...nodeOptions(coordinator.url), reconnectTimeoutMs: 300 });
  await third;
  const summary = await coordinator.stop();
  t.equal(summary.stopped, true);
  const saved = (await loadModel(path)).model;
  t.equal(saved.compiled?.step, summary.steps, `the checkpoint holds step ${summary.steps}`);
  const params = (coordinator as unknown as { o: { model: Model } }).o.model.params;
  t.same(Array.from(saved.params), Array.from(params), 'and the parameters of that step');
  await t.rejects(
    node,
    { code: 'ERR_CLUSTER_CONNECT_FAILED' },
    'the node waited for a restart, then gave up',
  );
  const c = raw(coordinator.url);
  t.equal(await c.closed, 1006, 'the coordinator no longer listens');
});

t.test('21: minNodes or maxNodes past the cap of members is refused at start', async (t) => {
  t.equal(CLUSTER_LIMITS.maxNodes, 64);
  const cases: [object, RegExp][] = [
    [{ minNodes: 65 }, /minNodes must be an integer in \[1, 64\], got 65/],
    [{ maxNodes: 65 }, /maxNodes must be an integer in \[1, 64\], got 65/],
    [{ minNodes: 3, maxNodes: 2 }, /minNodes must be at most maxNodes \(2\), got 3/],
  ];
  for (const [change, message] of cases)
    await t.rejects(taskCoordinator(TOKEN, 1, change), { code: 'ERR_CLUSTER_BAD_OPTION', message });
});
