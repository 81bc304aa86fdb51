// `recur coordinator` and `recur worker` (issue 6 in the CLI): a coordinator and two workers,
// each a `recur` process on loopback, train the cluster config's smoke run to the end and the
// coordinator scores it beside the baseline; the token comes from the environment or a file,
// and a missing token is a usage error with its code.

import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { bin, config, root, tempFolder } from './testing/recur.js';

const DEADLINE_MS = 120_000;

function recurWith(args: string[], env: Record<string, string>, onStdout?: (text: string) => void) {
  const child: ChildProcess = spawn(process.execPath, [bin, ...args], {
    cwd: root,
    env: { ...process.env, RECUR_TOKEN: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), DEADLINE_MS);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    onStdout?.(stdout);
  });
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    }),
  );
}

t.test('a coordinator and two workers train the cluster config to the end', async (t) => {
  const dir = tempFolder('cluster');
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'cli-cluster-token\n');
  const cluster = config('seattle-temperature-cluster');
  const common = ['--limit', '96'];
  let workers: Promise<{ code: number | null; stdout: string }>[] = [];
  const coordinator = recurWith(
    [
      'coordinator',
      cluster,
      '--listen',
      '127.0.0.1:0',
      '--min-nodes',
      '2',
      '--epochs',
      '2',
      '--output',
      join(dir, 'run'),
      ...common,
    ],
    { RECUR_TOKEN: 'cli-cluster-token' },
    (text) => {
      const url = /waiting for workers on (ws:\/\/[^\s]+)/.exec(text)?.[1];
      if (url !== undefined && workers.length === 0) {
        const args = (i: number) => [
          'worker',
          cluster,
          '--connect',
          url,
          '--threads',
          '1',
          ...common,
          ...(i === 0 ? ['--token-file', tokenFile] : ['--bucket-bytes', '1']),
        ];
        workers = [recurWith(args(0), {}), recurWith(args(1), { RECUR_TOKEN: 'cli-cluster-token' })];
      }
    },
  );
  const c = await coordinator;
  t.equal(c.code, 0, `the coordinator ended cleanly: ${c.stderr}`);
  t.match(c.stdout, /joined as rank 0[\s\S]*joined as rank 1/, 'both workers joined');
  t.match(c.stdout, /epoch 2\/2: loss [\d.]+ \(2 nodes\)/, 'every epoch on 2 nodes');
  t.match(c.stdout, /test MAE [\d.]+ vs persistence [\d.]+/, 'scored beside the baseline');
  const ends = await Promise.all(workers);
  t.same(
    ends.map((w) => w.code),
    [0, 0],
    'both workers ended cleanly',
  );
  t.match(
    ends[0].stdout,
    /worker done: 6 assignments over 1 connection/,
    'a worker computed every step of the smoke run',
  );
  t.match(
    ends[1].stdout,
    /node: gradients in 2 pieces of at least 1 bytes/,
    '--bucket-bytes: one piece per layer',
  );
  t.notMatch(ends[0].stdout, /pieces/, 'without it: the whole gradient');
});

t.test('no token: a coded usage error, and the token is never a flag', async (t) => {
  const ran = await recurWith(
    ['worker', config('seattle-temperature-cluster'), '--connect', 'ws://127.0.0.1:1'],
    {},
  );
  t.equal(ran.code, 2);
  t.match(ran.stderr, /ERR_CLI_BAD_FLAG.*no cluster token: set RECUR_TOKEN or give --token-file/);
  const flag = await recurWith(['coordinator', config('seattle-temperature-cluster'), '--token', 'x'], {});
  t.equal(flag.code, 2, 'there is no --token flag');
});
