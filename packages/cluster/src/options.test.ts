// Coordinator and node options (issue 6): each bad value is a coded ERR_CLUSTER_BAD_OPTION that
// names the option, from an async API that rejects (never throws).

import t from 'tap';
import { startCoordinator } from './coordinator.js';
import { runNode } from './node.js';
import { TASK, taskDataHash, taskModel, taskNode, taskSource } from './testing/task.js';
import { MIN_TOKEN_LENGTH } from './wire.js';

const good = () => ({
  model: taskModel(),
  data: { size: TASK.N, hash: taskDataHash() },
  batchSize: TASK.batchSize,
  epochs: 1,
  token: 'a-long-enough-token',
});

t.test('coordinator options are checked by name', async (t) => {
  const cases: [string, object, RegExp][] = [
    ['a short token', { token: 'short' }, /token must be a string of at least 8/],
    ['a bad data hash', { data: { size: 10, hash: 'xyz' } }, /data.hash must be 64 lowercase hex/],
    ['no samples', { data: { size: 0, hash: taskDataHash() } }, /data.size must be an integer ≥ 1/],
    ['minNodes 0', { minNodes: 0 }, /minNodes must be an integer in \[1, 64\]/],
    ['maxNodes below minNodes', { minNodes: 3, maxNodes: 2 }, /minNodes must be at most maxNodes \(2\)/],
    ['a fractional batch size', { batchSize: 1.5 }, /batchSize/],
    ['a negative port', { port: -1 }, /port/],
    ['an empty checkpoint path', { checkpoint: { path: '' } }, /checkpoint.path/],
    ['half a certificate', { tls: { cert: 'x' } }, /tls must be \{ cert, key \}/],
    [
      'incrementalMarking not a boolean',
      { incrementalMarking: 'no' },
      /incrementalMarking must be true or false/,
    ],
    [
      'a data set where a number belongs, described in one line',
      { batchSize: new Float32Array(1_000_000) },
      /batchSize must be .*, got Float32Array\(1000000\)$/,
    ],
  ];
  for (const [what, change, message] of cases) {
    const started = startCoordinator({ ...good(), ...change } as Parameters<typeof startCoordinator>[0]);
    await t.rejects(started, { code: 'ERR_CLUSTER_BAD_OPTION', message }, what);
  }
  const uncompiled = { ...good(), model: { compiled: null } };
  await t.rejects(startCoordinator(uncompiled as never), {
    code: 'ERR_CLUSTER_BAD_OPTION',
    message: /compiled model/,
  });
});

t.test('node options are checked by name', async (t) => {
  const node = {
    url: 'ws://127.0.0.1:1',
    token: 'a-long-enough-token',
    model: taskModel(),
    source: taskSource(),
    dataHash: taskDataHash(),
  };
  await t.rejects(runNode({ ...node, precision: 'bf16' as 'fp16' }), {
    code: 'ERR_CLUSTER_BAD_OPTION',
    message: /precision/,
  });
  await t.rejects(runNode({ ...node, dataHash: 'nope' }), {
    code: 'ERR_CLUSTER_BAD_OPTION',
    message: /dataHash/,
  });
  await t.rejects(runNode({ ...node, incrementalMarking: 1 as unknown as boolean }), {
    code: 'ERR_CLUSTER_BAD_OPTION',
    message: /node: incrementalMarking must be true or false, got 1/,
  });
  for (const bucketBytes of [-1, 1.5, Number.NaN, '4096' as unknown as number]) {
    await t.rejects(
      runNode({ ...node, bucketBytes }),
      { code: 'ERR_CLUSTER_BAD_OPTION', message: /node: bucketBytes must be an integer ≥ 0/ },
      `bucketBytes ${String(bucketBytes)}`,
    );
  }
  for (const bad of [null, 5, 'x', ['a']]) {
    await t.rejects(runNode(bad as never), {
      code: 'ERR_CLUSTER_BAD_OPTION',
      message: /node: options must be an object/,
    });
  }
  await t.rejects(runNode({ ...node, threads: 0 }), {
    code: 'ERR_PARALLEL_BAD_OPTION',
    message: /thread count/,
  });
});

t.test('a node that cannot reach the coordinator gives up with a coded error', async (t) => {
  const node = {
    url: 'ws://127.0.0.1:1',
    token: 'a-long-enough-token',
    model: taskModel(),
    source: taskSource(),
    dataHash: taskDataHash(),
  };
  await t.rejects(
    runNode({ ...node, threads: 1, reconnectTimeoutMs: 300, backoff: { initialMs: 20, maxMs: 50 } }),
    {
      code: 'ERR_CLUSTER_CONNECT_FAILED',
      message: /no connection to ws:\/\/127.0.0.1:1 for 300 ms/,
    },
  );
});

t.test('the token: MIN_TOKEN_LENGTH characters pass, one fewer does not', async (t) => {
  t.equal(MIN_TOKEN_LENGTH, 8);
  await t.rejects(startCoordinator({ ...good(), token: 'x'.repeat(MIN_TOKEN_LENGTH - 1) }), {
    code: 'ERR_CLUSTER_BAD_OPTION',
    message: /token must be a string of at least 8 characters, got 7/,
  });
  const c = await startCoordinator({ ...good(), token: 'x'.repeat(MIN_TOKEN_LENGTH) });
  await c.close();
  await t.rejects(runNode({ ...taskNode('ws://127.0.0.1:1', 'short7!') }), {
    code: 'ERR_CLUSTER_BAD_OPTION',
    message: /node: token must be/,
  });
});
