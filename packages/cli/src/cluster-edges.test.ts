// The cluster commands' edges (issue 16, defects 2, 6, 8, 12, 18, 19, 20, 21): the documented
// tokens pass the validator; unknown keys of the config's cluster section are errors naming the
// path; --min-nodes past the cap, half a TLS pair and a port in use are coded usage errors
// (exit 2, no stack trace); a worker whose config has another seed is refused (run hash); and
// SIGTERM stops the coordinator after the current step with a checkpoint of the step it reports.

import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { loadModel } from '@recur/nn';
import t from 'tap';
import { parseConfig } from './config/load.js';
import { checkedToken } from './run/cluster.js';
import { bin, config, root, tempFolder } from './testing/recur.js';

const DEADLINE_MS = 120_000;
const TOKEN = 'cluster-edges-token';
const clusterConfig = config('seattle-temperature-cluster');

/** `recur args` with RECUR_TOKEN; `onStdout` sees the output so far. */
function recurWith(args: string[], onStdout?: (text: string, child: ChildProcess) => void) {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: root,
    env: { ...process.env, RECUR_TOKEN: TOKEN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), DEADLINE_MS);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    onStdout?.(stdout, child);
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ended = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    }),
  );
  return Object.assign(ended, { child });
}

const noStack = (stderr: string) => !/\n\s+at /.test(stderr) && !/Unhandled/.test(stderr);

t.test('19: the documented tokens pass the token check', async (t) => {
  const docs = [
    readFileSync(join(root, 'README.md'), 'utf8'),
    readFileSync(join(root, 'packages/cli/README.md'), 'utf8'),
  ];
  for (const command of ['coordinator', 'worker']) docs.push((await recurWith([command, '--help'])).stdout);
  const tokens = docs.flatMap((text) => [...text.matchAll(/RECUR_TOKEN=([^\s`]+)/g)].map((m) => m[1]));
  t.ok(tokens.length >= 4, `the docs show ${tokens.length} tokens`);
  for (const token of tokens) t.doesNotThrow(() => checkedToken(token), `RECUR_TOKEN=${token}`);
  t.throws(() => checkedToken('s3cret'), { code: 'ERR_CLI_BAD_FLAG', message: /6 characters; at least 8/ });
});

t.test('20: unknown keys in the cluster section name their path', async (t) => {
  const base = JSON.parse(readFileSync(clusterConfig, 'utf8'));
  t.throws(() => parseConfig({ ...base, cluster: { ...base.cluster, minNode: 2 } }), {
    code: 'ERR_CLI_BAD_CONFIG',
    message: /cluster: unknown key 'minNode'/,
  });
  t.throws(() => parseConfig({ ...base, cluster: { ...base.cluster, minNodes: 65 } }), {
    code: 'ERR_CLI_BAD_CONFIG',
    message: /cluster\.minNodes: /,
  });
  t.throws(() => parseConfig({ ...base, cluster: { ...base.cluster, bucketBytes: -1 } }), {
    code: 'ERR_CLI_BAD_CONFIG',
    message: /cluster\.bucketBytes: /,
  });
  t.doesNotThrow(
    () => parseConfig({ ...base, cluster: { ...base.cluster, bucketBytes: 0 } }),
    'bucketBytes 0: off',
  );
});

t.test('6, 8, 21: usage errors of the coordinator are coded, exit 2, no stack', async (t) => {
  const dir = tempFolder('cluster-edges');
  const common = ['coordinator', clusterConfig, '--limit', '96', '--output', join(dir, 'run')];
  const tooMany = await recurWith([...common, '--listen', '127.0.0.1:0', '--min-nodes', '65']);
  t.equal(tooMany.code, 2, '--min-nodes 65');
  t.match(
    tooMany.stderr,
    /ERR_CLUSTER_BAD_OPTION: coordinator: minNodes must be an integer in \[1, 64\], got 65/,
  );
  for (const half of [
    ['--tls-cert', 'cert.pem'],
    ['--tls-key', 'key.pem'],
  ]) {
    const ran = await recurWith([...common, '--listen', '127.0.0.1:0', ...half]);
    t.equal(ran.code, 2, `${half[0]} alone`);
    t.match(ran.stderr, /ERR_CLI_BAD_FLAG: --tls-(cert|key) needs --tls-(key|cert) too/);
  }
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  const port = (busy.address() as { port: number }).port;
  const inUse = await recurWith([...common, '--listen', `127.0.0.1:${port}`]);
  busy.close();
  t.equal(inUse.code, 2, 'a port in use');
  t.match(
    inUse.stderr,
    new RegExp(
      `ERR_CLUSTER_LISTEN_FAILED: coordinator: cannot listen on 127.0.0.1:${port}: the port is in use`,
    ),
  );
  for (const ran of [tooMany, inUse]) t.ok(noStack(ran.stderr), 'one line, no stack trace');
});

t.test(
  '2, 12, 18: another seed is refused; SIGTERM stops with the checkpoint of the step it names',
  async (t) => {
    const dir = tempFolder('cluster-sigterm');
    const otherSeed = join(dir, 'other-seed.json');
    const base = JSON.parse(readFileSync(clusterConfig, 'utf8'));
    writeFileSync(otherSeed, JSON.stringify({ ...base, training: { ...base.training, seed: 2 } }));
    const run = join(dir, 'run');
    let worker: ReturnType<typeof recurWith> | null = null;
    let refused: ReturnType<typeof recurWith> | null = null;
    let signalled = false;
    const args = ['--limit', '96'];
    const coordinator = recurWith(
      [
        'coordinator',
        clusterConfig,
        '--listen',
        '127.0.0.1:0',
        '--min-nodes',
        '1',
        '--epochs',
        '200',
        '--checkpoint-every',
        '2',
        '--output',
        run,
        ...args,
      ],
      (text, child) => {
        const url = /waiting for workers on (ws:\/\/[^\s]+)/.exec(text)?.[1];
        if (url !== undefined && refused === null) {
          refused = recurWith(['worker', otherSeed, '--connect', url, '--threads', '1', ...args]);
          void refused.then(() => {
            worker = recurWith(['worker', clusterConfig, '--connect', url, '--threads', '1', ...args]);
          });
        }
        if (!signalled && /epoch 3\/200/.test(text)) {
          signalled = true;
          child.kill('SIGTERM');
        }
      },
    );
    const c = await coordinator;
    const r = await (refused as unknown as ReturnType<typeof recurWith>);
    t.equal(r.code, 1, 'the worker with another seed exits 1');
    t.match(r.stderr, /ERR_CLUSTER_REFUSED: .*ERR_CLUSTER_RUN_MISMATCH/);
    t.ok(signalled, 'SIGTERM was sent after epoch 3');
    t.equal(c.code, 130, `stopped as by Ctrl-C: ${c.stderr}`);
    const step = Number(/stopped at step (\d+); checkpoint written/.exec(c.stderr)?.[1]);
    t.ok(step >= 9, `stopped at step ${step}, after epoch 3 (3 steps an epoch)`);
    const saved = await loadModel(join(run, 'last.ckpt'));
    t.equal(saved.model.compiled?.step, step, 'last.ckpt holds the step the message names');
    const w = worker as unknown as ReturnType<typeof recurWith>;
    w.child.kill('SIGKILL'); // it waits reconnectTimeoutMs for a resumed coordinator
    await w;
  },
);
