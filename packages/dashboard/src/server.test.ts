// The dashboard's HTTP side on real loopback sockets: GET /status is the documented JSON
// (schemaVersion 1), GET / the page, GET /events pushes rendered updates; maxStreams exceeded
// by one is refused with its code and frees up when a stream closes; a client that never reads
// does not hold the others back (its updates are skipped); bad options and non-loopback
// hosts are coded errors.
import { request } from 'node:http';
import t from 'tap';
import { serveDashboard } from './listen.js';
import { type DashboardStatus, EventLog, SCHEMA_VERSION, smooth } from './schema.js';
import { Dashboard } from './server.js';

let step = 0;
function snapshot(): DashboardStatus {
  step += 1;
  const loss = Array.from({ length: step + 2 }, (_, i) => ({ step: i + 1, loss: 1 / (i + 1) }));
  return {
    schemaVersion: SCHEMA_VERSION,
    kind: 'local',
    title: 'a test run',
    state: 'training',
    progress: {
      epoch: 0,
      epochs: 2,
      batch: step,
      batchesPerEpoch: 100,
      step,
      steps: 200,
      elapsedSeconds: step,
      etaSeconds: 200 - step,
    },
    samplesPerSecond: 100,
    throughput: loss.map((l) => ({ seconds: l.step, samplesPerSecond: 100 + l.step })),
    loss,
    validation: [],
    learningRate: { current: 0.01, history: [] },
    workers: [],
    events: [],
    kernels: null,
    checkpoint: null,
  };
}

/** Opens GET path; resolves with the status and, for a stream, the response to read on. */
function open(url: string, paused = false) {
  return new Promise<{ status: number; body: () => Promise<string>; destroy: () => void; data: string[] }>(
    (resolve, reject) => {
      const req = request(url, (res) => {
        if (paused) res.pause();
        const data: string[] = [];
        res.on('data', (d: Buffer) => data.push(d.toString()));
        const ended = new Promise<string>((r) => res.on('end', () => r(data.join(''))));
        resolve({ status: res.statusCode ?? 0, body: () => ended, destroy: () => req.destroy(), data });
      });
      req.on('error', reject);
      req.end();
    },
  );
}

const until = async (check: () => boolean, ms = 60_000) => {
  const end = performance.now() + ms;
  while (!check()) {
    if (performance.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
};

t.test('GET /status, GET / and GET /events; maxStreams exceeded by one', async (t) => {
  const served = await serveDashboard('127.0.0.1', 0, { snapshot, maxStreams: 2, refreshMs: 200 });
  t.teardown(() => served.close());
  const status = await open(`${served.url}status`);
  t.equal(status.status, 200);
  t.match(JSON.parse(await status.body()), { schemaVersion: 1, kind: 'local', progress: { epochs: 2 } });
  const page = await open(served.url);
  t.match(await page.body(), /<h1>recur train: training<\/h1>[\s\S]*<figure id="chart-loss">[\s\S]*<svg/);
  t.equal((await open(`${served.url}nothing`)).status, 404);

  const a = await open(`${served.url}events`);
  const b = await open(`${served.url}events`);
  t.same([a.status, b.status], [200, 200], 'maxStreams (2) streams open');
  const third = await open(`${served.url}events`);
  t.equal(third.status, 503, 'one more is refused');
  t.match(JSON.parse(await third.body()), { code: 'ERR_DASHBOARD_TOO_MANY_STREAMS' });
  await until(() => a.data.join('').split('data: ').length > 2);
  t.match(a.data.join(''), /data: \{"html":".*p-step/, 'rendered updates are pushed');
  a.destroy();
  await until(() => served.dashboard.openStreams === 1);
  const again = await open(`${served.url}events`);
  t.equal(again.status, 200, 'a closed stream frees its place');
  b.destroy();
  again.destroy();
});

t.test('a stream that never reads does not hold the others', async (t) => {
  const served = await serveDashboard('127.0.0.1', 0, { snapshot, refreshMs: 100, maxQueuedBytes: 1 });
  t.teardown(() => served.close());
  const stalled = await open(`${served.url}events`, true);
  const reader = await open(`${served.url}events`);
  await until(() => reader.data.join('').split('data: ').length > 4);
  t.ok(
    reader.data.join('').split('data: ').length > 4,
    'the reading stream got 4 updates while the other read nothing',
  );
  reader.destroy();
  stalled.destroy();
});

t.test('options and hosts', async (t) => {
  t.throws(() => new Dashboard({ snapshot, maxStreams: 0 }), { code: 'ERR_DASHBOARD_BAD_OPTION' });
  t.throws(() => new Dashboard({ snapshot, refreshMs: 1.5 }), { code: 'ERR_DASHBOARD_BAD_OPTION' });
  await t.rejects(serveDashboard('0.0.0.0', 0, { snapshot }), { code: 'ERR_DASHBOARD_NOT_LOOPBACK' });
  const first = await serveDashboard('127.0.0.1', 0, { snapshot });
  t.teardown(() => first.close());
  const port = Number(new URL(first.url).port);
  await t.rejects(serveDashboard('127.0.0.1', port, { snapshot }), { code: 'ERR_DASHBOARD_LISTEN_FAILED' });
});

t.test('the event log and smoothing', async (t) => {
  const log = new EventLog(3);
  for (const kind of ['join', 'checkpoint', 'checkpoint', 'leave', 'eviction'] as const) log.add(kind, kind);
  t.same(
    log.events.map((e) => e.kind),
    ['checkpoint', 'leave', 'eviction'],
    'consecutive checkpoints collapse; the oldest go past the limit',
  );
  t.same(smooth([2, 2, 2]), [2, 2, 2], 'debiased: a constant stays constant');
});
