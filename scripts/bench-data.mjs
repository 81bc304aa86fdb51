// Shard benchmark (not a test): packs a generated data set through @recur/data's shard writer,
// then streams it back through the shard reader, and shows that peak memory does not grow with
// the data set's size by running a small and a large size, each in its own child process so that
// each reports its own peak RSS.
//
//   TURBO_TELEMETRY_DISABLED=1 pnpm exec turbo run build --filter=@recur/data
//   node scripts/bench-data.mjs [--gb 2] [--small-gb 0.25] [--random 20000] [--json]
//
// Data: float32 x (T=64, F=16: 4 KiB a sample), a length and one float target per sample, in
// shards of 16384 samples (about 64 MiB). Bytes counted are payload bytes (x + lengths + targets).
// pack MB/s      appendBatch + close (fsync and rename of every shard, manifest), generation excluded
// stream MB/s    openShards (manifest and header checks) and read(i, into, b) of every sample in
//                order into batch buffers of 256, including each shard's SHA-256 check on first use
// random MB/s    read(i) of --random indices drawn uniformly, through a fresh reader opened with
//                verify: false (the in-order pass has just verified every checksum)
// RSS            process.memoryUsage().rss sampled every 1024 samples (peak per phase), and
//                process.resourceUsage().maxRSS (whole child process, KiB → MiB)
// The data set is written to os.tmpdir() and removed at the end. Reads are served from the page
// cache when the machine has the memory for it (this script does not drop caches): stream MB/s
// then measures the reader, not the disk.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createShardWriter, openShards } from '../packages/data/dist/shards.js';

const { values } = parseArgs({
  options: {
    gb: { type: 'string', default: '2' },
    'small-gb': { type: 'string', default: '0.25' },
    random: { type: 'string', default: '20000' },
    json: { type: 'boolean', default: false },
    child: { type: 'string' }, // internal: run one size and print its JSON
  },
});
const T = 64;
const F = 16;
const SAMPLE_BYTES = (T * F + 2) * 4; // x, length, target
const SAMPLES_PER_SHARD = 16384;
const BATCH = 256;
const MB = 1e6;
const MiB = 2 ** 20;

const positive = (name, text) => {
  const v = Number(text);
  if (!Number.isFinite(v) || v <= 0) {
    console.error(`--${name} must be a positive number, got ${text}`);
    process.exit(2);
  }
  return v;
};

/** Peak RSS sampler. */
function rssPeak() {
  let peak = 0;
  return {
    sample() {
      const r = process.memoryUsage().rss;
      if (r > peak) peak = r;
    },
    get mib() {
      return peak / MiB;
    },
  };
}

/** Fills batch-major x (B, T, F), lengths (B), target (B) for samples first.. (cheap, deterministic). */
function generate(batch, first) {
  const { x, lengths, target } = batch;
  const n = lengths.length;
  for (let b = 0; b < n; b++) {
    const i = first + b;
    const base = b * T * F;
    for (let k = 0; k < T * F; k++) x[base + k] = Math.sin(i * 0.001 + k * 0.01);
    lengths[b] = 1 + (i % T);
    target[b] = (i % 97) / 97;
  }
}

/** Packs `samples` samples into `folder`; returns seconds spent in the writer and peak RSS. */
function pack(folder, samples) {
  const spec = {
    dtype: 'float32',
    steps: T,
    features: F,
    targetDtype: 'float32',
    targetPerSample: 1,
    hasLengths: true,
  };
  const writer = createShardWriter(folder, spec, { samplesPerShard: SAMPLES_PER_SHARD });
  const full = {
    x: new Float32Array(BATCH * T * F),
    lengths: new Int32Array(BATCH),
    target: new Float32Array(BATCH),
  };
  const rss = rssPeak();
  let seconds = 0;
  for (let first = 0; first < samples; first += BATCH) {
    const n = Math.min(BATCH, samples - first);
    const batch =
      n === BATCH
        ? full
        : {
            x: full.x.subarray(0, n * T * F),
            lengths: full.lengths.subarray(0, n),
            target: full.target.subarray(0, n),
          };
    generate(batch, first);
    const t0 = process.hrtime.bigint();
    writer.appendBatch(batch);
    seconds += Number(process.hrtime.bigint() - t0) / 1e9;
    if ((first / BATCH) % 4 === 0) rss.sample();
  }
  const t0 = process.hrtime.bigint();
  const manifest = writer.close();
  seconds += Number(process.hrtime.bigint() - t0) / 1e9;
  return { seconds, shards: manifest.shards.length, rssMiB: rss.mib };
}

function buffers() {
  return {
    x: new Float32Array(BATCH * T * F),
    ids: null,
    lengths: new Int32Array(BATCH),
    target: new Float32Array(BATCH),
    sampleIndex: new Int32Array(BATCH),
  };
}

/** Reads the samples of `order` (or 0..N-1) through a fresh reader; returns seconds, peak RSS, cache. */
async function stream(folder, order, options) {
  const rss = rssPeak();
  const t0 = process.hrtime.bigint();
  const ds = await openShards(folder, options);
  const into = buffers();
  const n = order === null ? ds.size : order.length;
  let check = 0;
  for (let k = 0; k < n; k++) {
    const i = order === null ? k : order[k];
    check += ds.read(i, into, k % BATCH);
    if (k % 1024 === 0) rss.sample();
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cacheMiB = ds.cachedBytes / MiB;
  ds.close();
  if (check <= 0) throw new Error('nothing read');
  return { seconds, samples: n, rssMiB: rss.mib, cacheMiB };
}

/** One size, in this process: pack, stream in order, stream a random sample; prints JSON. */
async function runOne(gb) {
  const samples = Math.ceil((gb * 1e9) / SAMPLE_BYTES);
  const folder = mkdtempSync(join(tmpdir(), 'recur-bench-data-'));
  const cleanup = () => rmSync(folder, { recursive: true, force: true });
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    const baseMiB = process.memoryUsage().rss / MiB;
    const packed = pack(folder, samples);
    const seq = await stream(folder, null, {});
    const count = Math.min(samples, Math.floor(positive('random', values.random)));
    let state = 12345;
    const order = Array.from({ length: count }, () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state % samples;
    });
    const rnd = await stream(folder, order, { verify: false });
    const bytes = samples * SAMPLE_BYTES;
    const result = {
      gb,
      samples,
      bytes,
      shards: packed.shards,
      packMBs: bytes / MB / packed.seconds,
      streamMBs: bytes / MB / seq.seconds,
      streamSamplesPerS: samples / seq.seconds,
      randomMBs: (rnd.samples * SAMPLE_BYTES) / MB / rnd.seconds,
      randomSamplesPerS: rnd.samples / rnd.seconds,
      randomSamples: rnd.samples,
      baseRssMiB: baseMiB,
      packRssMiB: packed.rssMiB,
      streamRssMiB: seq.rssMiB,
      randomRssMiB: rnd.rssMiB,
      cacheMiB: Math.max(seq.cacheMiB, rnd.cacheMiB),
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
    };
    process.send?.(result);
  } finally {
    cleanup();
  }
}

/** Runs one size in a child process and returns its result. */
function child(gb) {
  return new Promise((resolve, reject) => {
    const proc = fork(fileURLToPath(import.meta.url), ['--child', String(gb), '--random', values.random], {
      stdio: 'inherit',
    });
    let result = null;
    proc.on('message', (m) => {
      result = m;
    });
    proc.on('error', reject);
    proc.on('exit', (code) =>
      code === 0 && result !== null
        ? resolve(result)
        : reject(new Error(`the ${gb} GB run exited with ${code}`)),
    );
  });
}

/** Fails unless os.tmpdir() has room for the largest data set plus a margin. */
function checkDisk(gb) {
  const need = gb * 1e9 * 1.02 + 256 * MiB;
  const fs = statfsSync(tmpdir());
  const free = fs.bavail * fs.bsize;
  if (free < need) {
    console.error(
      `bench-data: ${tmpdir()} has ${(free / 1e9).toFixed(2)} GB free, the ${gb} GB run needs ${(need / 1e9).toFixed(2)} GB; pass a smaller --gb or set TMPDIR`,
    );
    process.exit(2);
  }
  return free;
}

const fmt = (v, d = 0) => v.toFixed(d).padStart(9);

function report(results) {
  console.log(
    `shard benchmark: T=${T}, F=${F}, float32 x + length + target = ${SAMPLE_BYTES} B/sample, ${SAMPLES_PER_SHARD} samples/shard, node ${process.version}`,
  );
  console.log(
    '      GB    samples   shards  pack MB/s  stream MB/s  random MB/s  random smp/s  RSS pack  RSS stream  RSS random  cache MiB  maxRSS MiB',
  );
  for (const r of results) {
    console.log(
      `${fmt(r.gb, 2)}${fmt(r.samples).padStart(11)}${fmt(r.shards)}${fmt(r.packMBs).padStart(11)}${fmt(r.streamMBs).padStart(13)}${fmt(r.randomMBs).padStart(13)}${fmt(r.randomSamplesPerS).padStart(14)}${fmt(r.packRssMiB).padStart(10)}${fmt(r.streamRssMiB).padStart(12)}${fmt(r.randomRssMiB).padStart(12)}${fmt(r.cacheMiB, 1).padStart(11)}${fmt(r.maxRssMiB).padStart(12)}`,
    );
  }
  const [small, large] = results;
  const ratio = large.maxRssMiB / small.maxRssMiB;
  console.log(
    `data set ${(large.bytes / small.bytes).toFixed(1)}× larger → peak RSS (maxRSS) ${ratio.toFixed(2)}× (${small.maxRssMiB.toFixed(0)} → ${large.maxRssMiB.toFixed(0)} MiB)`,
  );
}

if (values.child !== undefined) {
  await runOne(positive('child', values.child));
} else {
  const gb = positive('gb', values.gb);
  const smallGb = positive('small-gb', values['small-gb']);
  const free = checkDisk(Math.max(gb, smallGb));
  if (!values.json)
    console.log(`${tmpdir()}: ${(free / 1e9).toFixed(1)} GB free; running ${smallGb} GB, then ${gb} GB`);
  const results = [await child(smallGb), await child(gb)];
  if (values.json) console.log(JSON.stringify(results, null, 2));
  else report(results);
}
