// Data-road benchmark (not a test): training itself, not only the reader. For shard sets of 1×,
// 4× and 16× a base size (then 1× again, to show the noise), each in its own child process with a
// small V8 heap (--max-old-space-size, default 48 MiB, below the 16× set's size), it trains an
// LSTM with @recur/nn's fit and @recur/parallel's threads(W) from the streaming shard reader
// (openShards → batchSource, the one data road) for one epoch, and reports samples/s, the
// child's peak RSS, and the share of the step time spent filling the batch buffers (the main
// thread fills every rank's buffers before it commands the step, so this share is serial).
//
//   TURBO_TELEMETRY_DISABLED=1 pnpm exec turbo run build --filter=@recur/parallel --filter=@recur/data
//   node scripts/bench-data.mjs [--base 4096] [--threads 2] [--heap-mib 48] [--cache-mib 4] [--json]
//
// Data: float32 x (T=32, F=16: 2 KiB a sample), a length and one float target per sample,
// generated on the fly and packed with writeDatasetShards (8192 samples a shard). Model: LSTM(32)
// → dense(1), mse, adam, batch 64, one epoch, shuffled; samples/s and the filling share count
// the steps after the first WARM_STEPS (thread start-up excluded). The reader's block cache is capped at
// --cache-mib (16 KiB blocks): that cap, the batch buffers and the epoch's order (4 bytes a
// sample) are all the memory the data takes. The sets are written to os.tmpdir() and removed.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { batchSource, openShards, writeDatasetShards } from '@recur/data';
import { dense, lstm, sequential } from '@recur/nn';
import { threads } from '@recur/parallel';

const { values } = parseArgs({
  options: {
    base: { type: 'string', default: '4096' },
    threads: { type: 'string', default: '2' },
    'heap-mib': { type: 'string', default: '48' },
    'cache-mib': { type: 'string', default: '4' },
    json: { type: 'boolean', default: false },
    child: { type: 'string' }, // internal: the shard folder to train from
  },
});
const T = 32;
const F = 16;
const BATCH = 64;
const SAMPLE_BYTES = (T * F + 2) * 4;
const MiB = 2 ** 20;
const WARM_STEPS = 3;

/** A synthetic data set made on the fly: x = sines of the sample index, target = their mean. */
function synthetic(size) {
  return {
    size,
    steps: T,
    features: F,
    ids: false,
    targetPerSample: 1,
    targetKind: 'float',
    hasLengths: true,
    read(i, into, b) {
      const length = 1 + (i % T);
      let sum = 0;
      for (let k = 0; k < T * F; k++) {
        const v = Math.sin(i * 0.37 + k * 0.05);
        into.x[b * T * F + k] = v;
        if (k < length * F) sum += v;
      }
      into.target[b] = sum / (length * F);
      return length;
    },
  };
}

/** In the child: one epoch of fit(threads) from the shard set in `folder`; sends its figures. */
async function train(folder) {
  const data = await openShards(folder, {
    cacheBytes: Number(values['cache-mib']) * MiB,
    blockBytes: 16 << 10,
  });
  const source = batchSource(data, { seed: 1 });
  // Steady state: the clock and the counters start after WARM_STEPS steps (pool start, first compile).
  const clock = { fillMs: 0, filled: 0, start: 0, fillAtStart: 0, filledAtStart: 0, end: 0 };
  const fill = source.fill.bind(source);
  source.fill = (...args) => {
    const t0 = performance.now();
    const n = fill(...args);
    clock.fillMs += performance.now() - t0;
    clock.filled += n;
    return n;
  };
  const onBatchEnd = (batch) => {
    clock.end = performance.now();
    if (batch !== WARM_STEPS - 1) return;
    Object.assign(clock, { start: clock.end, fillAtStart: clock.fillMs, filledAtStart: clock.filled });
  };
  const model = sequential([lstm({ units: 32 }), dense({ units: 1 })], { inputShape: [T, F], seed: 1 });
  model.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 0.003 } });
  const strategy = threads(Number(values.threads));
  const history = await model.fit(source, {
    epochs: 1,
    batchSize: BATCH,
    strategy,
    callbacks: { onBatchEnd },
  });
  await strategy.close();
  const ms = clock.end - clock.start;
  process.send({
    samples: data.size,
    bytes: data.size * SAMPLE_BYTES,
    samplesPerS: (clock.filled - clock.filledAtStart) / (ms / 1000),
    fillShare: (clock.fillMs - clock.fillAtStart) / ms,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    heapLimitMiB: Number(values['heap-mib']),
    cacheMiB: data.cachedBytes / MiB,
    loss: history.history.loss[0],
  });
  data.close();
}

/** Trains from `folder` in a child with a small heap; resolves with its figures. */
function child(folder) {
  return new Promise((resolve, reject) => {
    const args = ['--child', folder, '--threads', values.threads, '--cache-mib', values['cache-mib']];
    const proc = fork(fileURLToPath(import.meta.url), args, {
      execArgv: [`--max-old-space-size=${values['heap-mib']}`],
    });
    let result = null;
    const timer = setTimeout(() => proc.kill(), 30 * 60 * 1000); // no hang: 30 minutes a size at most
    proc.on('message', (m) => {
      result = m;
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      if (result !== null) resolve(result);
      else reject(new Error(`the child for ${folder} exited with ${code} without a result`));
    });
  });
}

async function main() {
  const base = Number(values.base);
  const root = mkdtempSync(join(tmpdir(), 'recur-bench-data-'));
  const rows = [];
  try {
    for (const times of [1, 4, 16, 1]) {
      const folder = join(root, `x${times}`);
      writeDatasetShards(synthetic(base * times), folder, { samplesPerShard: 8192, overwrite: true });
      rows.push({ times, ...(await child(folder)) });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  if (values.json) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  console.log(
    `threads(${values.threads}), heap limit ${values['heap-mib']} MiB, block cache ${values['cache-mib']} MiB`,
  );
  console.log('size | samples | data MiB | samples/s | peak RSS MiB | filling batches');
  for (const r of rows) {
    console.log(
      `${r.times}× | ${r.samples} | ${(r.bytes / MiB).toFixed(0)} | ${r.samplesPerS.toFixed(0)} | ${r.maxRssMiB.toFixed(0)} | ${(100 * r.fillShare).toFixed(1)}%`,
    );
  }
}

if (values.child !== undefined) await train(values.child);
else await main();
