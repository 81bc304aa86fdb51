/// <reference lib="dom" />
// The live page (issue 17) in a real headless Chromium (testing/browser.ts): the coordinator's
// during a real two-node run on loopback (`recur coordinator` + two `recur worker` processes),
// behind the token; and `recur train --serve`'s. Each: the numbers change without a reload
// (pushed over /events), the charts are drawn (SVG marks, and a screenshot with many colours),
// and with JavaScript off the page is plain tables.
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DashboardStatus } from '@recur/dashboard';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import t, { type Test } from 'tap';
import { launchChromium } from './testing/browser.js';
import { bin, config, root, tempFolder } from './testing/recur.js';

const TOKEN = 'dashboard-test-token';
const DEADLINE_MS = 240_000;
const WAIT = { timeout: 90_000 };

interface Child {
  child: ChildProcess;
  output: () => string;
  ended: Promise<number | null>;
}

/** `recur args` in a child process (SIGKILLed after DEADLINE_MS). */
function start(args: string[], env: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: root,
    env: { ...process.env, RECUR_TOKEN: TOKEN, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), DEADLINE_MS);
  const ended = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve(code);
    }),
  );
  return { child, output: () => text, ended };
}

/** Resolves with the first match of `pattern` in the child's output. */
async function waitFor(c: Child, pattern: RegExp): Promise<string> {
  const until = performance.now() + WAIT.timeout;
  while (performance.now() < until) {
    const m = pattern.exec(c.output());
    if (m !== null) return m[1];
    if (c.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no ${pattern} in: ${c.output()}`);
}

async function stop(c: Child): Promise<void> {
  if (c.child.exitCode === null) c.child.kill('SIGTERM');
  await c.ended;
}

/** Distinct colours in a PNG, counted by the browser itself (a blank area has one or two). */
function colours(page: Page, png: Buffer): Promise<number> {
  return page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.width;
    canvas.height = img.height;
    const g = canvas.getContext('2d') as CanvasRenderingContext2D;
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, canvas.width, canvas.height).data;
    const seen = new Set<number>();
    for (let i = 0; i < d.length; i += 4) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    return seen.size;
  }, png.toString('base64'));
}

const cellText = (page: Page, id: string) => page.locator(`#p-${id} td`).textContent();

/** Loads the live page and checks it updates by itself and draws its charts. */
async function checkLivePage(t: Test, context: BrowserContext, url: string, shots: string, charts: string[]) {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.evaluate(() => ((window as unknown as { marker: number }).marker = 17));
  await page.waitForFunction(() => Number(document.getElementById('live')?.dataset.updates) >= 1, null, WAIT);
  const first = { step: await cellText(page, 'step'), eta: await cellText(page, 'eta') };
  await page.waitForFunction(
    (before) => document.querySelector('#p-step td')?.textContent !== before,
    first.step,
    WAIT,
  );
  const second = { step: await cellText(page, 'step'), eta: await cellText(page, 'eta') };
  t.not(second.step, first.step, `the step moved on: "${first.step}" → "${second.step}"`);
  t.match(second.eta, /\d+ (s|min|h)/, `an ETA: ${second.eta}`);
  t.equal(
    await page.evaluate(() => (window as unknown as { marker: number }).marker),
    17,
    'updated in place (pushed over /events), not reloaded',
  );
  await page.evaluate('es.close()'); // the page's EventSource: no swap during the screenshots
  for (const id of charts) {
    const figure = page.locator(`#chart-${id}`);
    await figure.locator('svg').waitFor(WAIT);
    const marks = await figure.locator('g.role-mark path').count();
    t.ok(marks > 0, `chart ${id}: ${marks} marks drawn`);
    const png = await figure.screenshot({ path: join(shots, `${id}.png`) });
    const n = await colours(page, png);
    t.ok(n > 20, `chart ${id}: its screenshot has ${n} colours (axes, labels, lines)`);
  }
  t.same(errors, [], 'no page errors');
  return page;
}

/** With JavaScript off: the same page as plain tables, no updates. */
async function checkWithoutScript(t: Test, context: BrowserContext, url: string, rows: number) {
  const page = await context.newPage();
  await page.goto(url);
  t.match(await page.locator('#progress table').textContent(), /epoch\d+ of \d+step\d+ of \d+/);
  t.equal(await page.locator('#workers tbody tr').count(), rows, 'the workers table');
  t.ok((await page.locator('#events tbody tr').count()) > 0, 'the event log');
  t.equal(await page.locator('#live').getAttribute('data-updates'), '0', 'no script ran');
  await page.close();
}

let browser: Browser;
t.before(async () => {
  browser = await launchChromium();
});
t.teardown(() => browser?.close());

t.test("the coordinator's page during a two-node run", async (t) => {
  const dir = tempFolder('dashboard-cluster');
  const cluster = config('seattle-temperature-cluster');
  const common = ['--limit', '512'];
  const coordinator = start([
    'coordinator',
    cluster,
    '--listen',
    '127.0.0.1:0',
    '--min-nodes',
    '2',
    '--epochs',
    '2000',
    '--batch-size',
    '16',
    '--output',
    join(dir, 'run'),
    ...common,
  ]);
  const workers: Child[] = [];
  t.teardown(async () => {
    await stop(coordinator);
    await Promise.all(workers.map(stop));
  });
  const url = await waitFor(coordinator, /live page: (http:\/\/\S+)/);
  const ws = url.replace('http', 'ws').replace(/\/$/, '');
  for (const _ of [0, 1])
    workers.push(start(['worker', cluster, '--connect', ws, '--threads', '1', ...common]));

  for (const path of ['', 'status', 'events']) {
    const res = await fetch(`${url}${path}`);
    t.equal(res.status, 401, `GET /${path} without the token: 401`);
    t.match(await res.json(), { code: 'ERR_CLUSTER_UNAUTHORIZED' });
  }
  const status = await fetch(`${url}status`, { headers: { authorization: `Bearer ${TOKEN}` } });
  t.match(await status.json(), { schemaVersion: 1, kind: 'cluster', title: 'seattle-temperature-cluster' });

  const host = new URL(url);
  const context = await browser.newContext();
  await context.addCookies([{ name: 'recur_token', value: TOKEN, domain: host.hostname, path: '/' }]);
  const page = await checkLivePage(t, context, url, dir, ['throughput', 'loss', 'lr']);
  t.equal(await page.locator('#workers tbody tr').count(), 2, 'two nodes');
  t.match(await page.locator('#p-kernels td').textContent(), /\w+ \(\w+\) on 1 thread/);
  t.match(await page.locator('#events').textContent(), /join[\s\S]*join/, 'both joins in the log');
  const json = (await (
    await fetch(`${url}status`, { headers: { authorization: `Bearer ${TOKEN}` } })
  ).json()) as DashboardStatus;
  for (const w of json.workers) {
    t.ok(w.stepsPerSecond > 0 && w.computeMs > 0, `${w.id}: ${w.stepsPerSecond.toFixed(1)} steps/s`);
    t.ok((w.bytesInPerStep ?? 0) > 0 && (w.bytesOutPerStep ?? 0) > 0, `${w.id}: bytes per step in and out`);
  }
  const noScript = await browser.newContext({ javaScriptEnabled: false });
  await noScript.addCookies([{ name: 'recur_token', value: TOKEN, domain: host.hostname, path: '/' }]);
  await checkWithoutScript(t, noScript, url, 2);
  await context.close();
  await noScript.close();
});

t.test("recur train --serve: the local run's page", async (t) => {
  const dir = tempFolder('dashboard-local');
  const args = ['train', config('seattle-temperature-week'), '--output', join(dir, 'run')];
  const refused = start([...args, '--serve', '0.0.0.0:0', '--smoke']);
  t.equal(await refused.ended, 2, 'a non-loopback --serve is a usage error');
  t.match(refused.output(), /ERR_DASHBOARD_NOT_LOOPBACK/);

  const train = start([
    ...args,
    '--epochs',
    '100000', // still training when the page checks end, however fast the machine (Ctrl-C ends it)
    '--limit',
    '512',
    '--batch-size',
    '16',
    '--serve',
    '127.0.0.1:0',
  ]);
  t.teardown(() => stop(train));
  const url = await waitFor(train, /live page: (http:\/\/\S+) /);
  const context = await browser.newContext();
  await checkLivePage(t, context, url, dir, ['throughput', 'loss', 'validation']);
  const noScript = await browser.newContext({ javaScriptEnabled: false });
  await checkWithoutScript(t, noScript, url, 1);
  await noScript.close();
  const json = await (await fetch(`${url}status`)).json();
  t.match(json, { schemaVersion: 1, kind: 'local', checkpoint: { name: 'last.ckpt' } });
  t.notMatch(JSON.stringify(json), dir, 'no absolute path in the JSON');
  writeFileSync(join(dir, 'status.json'), JSON.stringify(json, null, 2));
  await context.close();
  train.child.kill('SIGINT');
  t.equal(await train.ended, 130, 'Ctrl-C stops it as without --serve');
});
