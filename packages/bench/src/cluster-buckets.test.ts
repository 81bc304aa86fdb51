// The bench suite's cluster system with DDP's buckets (clusterBucketBytes), end to end: a real
// coordinator and node processes on loopback, once with whole gradients and once in pieces.
// What a run reports is checked, never how fast it was.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { formatReport } from './format.js';
import { runBenchmarks } from './run.js';

t.test('cluster systems at each bucket size: pieces train the same loss as whole gradients', async (t) => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'recur-bench-buckets-'));
  t.teardown(() => rmSync(cacheDir, { recursive: true, force: true }));
  const report = await runBenchmarks({
    workloads: ['gru-std'],
    systems: ['cluster'],
    clusterNodes: [2],
    clusterBucketBytes: [0, 65536],
    repeats: 1,
    warmup: 1,
    steps: 2,
    install: false,
    cacheDir,
  });
  t.same(report.settings.clusterBucketBytes, [0, 65536]);
  const [whole, pieces] = report.measurements;
  t.equal(whole?.ok, true, whole?.error?.message ?? 'whole gradients ran');
  t.equal(pieces?.ok, true, pieces?.error?.message ?? 'buckets ran');
  t.equal(whole?.bucketBytes, undefined);
  t.equal(pieces?.bucketBytes, 65536);
  t.equal(pieces?.detail?.bucketBytes, 65536, 'the child ran its nodes with the bucket size');
  t.equal(whole?.detail?.bucketBytes, 0);
  t.equal(pieces?.loss, whole?.loss, 'the same last loss, bit for bit: buckets change no number');
  t.match(formatReport(report), /recur cluster 2 nodes × 1 thread, buckets ≥ 65536 B/);
});
