// Data-road benchmark (not a test): `recur train` itself, from shard packs. For packs of 1×, 4×
// and 16× a base size, in the order 1×, 16×, 4×, 16×, 1× (so a drift of the machine's load
// weighs alike on the 1× and the 16× pair, which are compared by their means), written by @recur/data's writePack as
// `recur data pack` writes them, it runs the real CLI (`node packages/cli/dist/bin.js train`) in a
// child process with a small V8 heap (--max-old-space-size, default 48 MiB, below the 16× pack's
// size) on a language-model config whose data.source is the pack, for one epoch, and reports:
// samples/s (the CLI's own, from metrics.jsonl, and the steady-state one after the first steps),
// samples/s over the same steps 64–256 of every size (start-up weighs alike), the child's peak
// RSS (process.resourceUsage().maxRSS at exit: the main thread and the worker
// threads together), and the share of the training time spent filling batches (the main thread
// fills every rank's share before it commands the step, so that share is serial). The timings
// come from bench-data-probe.mjs, preloaded into the child with --import; recur has no hook for them.
//
//   TURBO_TELEMETRY_DISABLED=1 pnpm exec turbo run build --filter=@recur/cli
//   node scripts/bench-data.mjs [--base 16384] [--threads 2] [--heap-mib 48] [--json]
//
// Data: synthetic next-word windows (T = 32 word ids of a 64-word vocabulary, targets the ids
// shifted by one: 256 bytes a sample in the shards), made from the sample index on the fly, so
// the writer holds no corpus; validation and test are 2,048 samples whatever the size. Model:
// embedding 16 → LSTM 32 → dense 64, batch 64, adam, seed 1. The packs and run folders are written
// to os.tmpdir() and removed.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildVocabulary, wordTokenizer, writePack } from '@recur/data';

const { values } = parseArgs({
  options: {
    base: { type: 'string', default: '16384' },
    threads: { type: 'string', default: '2' },
    'heap-mib': { type: 'string', default: '48' },
    json: { type: 'boolean', default: false },
  },
});
const T = 32;
const V = 64;
const BATCH = 64;
const HELD_OUT = 2048;
const SAMPLE_BYTES = 2 * T * 4;
const MiB = 2 ** 20;
const WARM_STEPS = 3;
/** Steps every size times alike (the 1× epoch has 256): start-up effects weigh the same in each. */
const WINDOW = [64, 256];
const CHILD_TIMEOUT_MS = 30 * 60 * 1000; // no hang: 30 minutes a size at most
const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'packages', 'cli', 'dist', 'bin.js');
const probe = join(here, 'bench-data-probe.mjs');

/** Word id at corpus position p: a fixed walk over the words with a little hashed noise. */
function wordAt(p) {
  let h = Math.imul(p ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  return 2 + ((p * 7 + ((h >>> 0) % 4)) % (V - 2)); // ids 0 and 1 are <pad> and <unk>
}

/** `size` next-word windows of T ids, sample i at corpus position offset + i·T, made on read. */
function windows(size, offset) {
  return {
    size,
    steps: T,
    features: 1,
    ids: true,
    targetPerSample: T,
    targetKind: 'labels',
    hasLengths: false,
    read(i, into, b) {
      const start = offset + i * T;
      for (let t = 0; t < T; t++) {
        into.ids[b * T + t] = wordAt(start + t); // row b of (B, T)
        into.target[b * T + t] = wordAt(start + t + 1);
      }
      return T;
    },
  };
}

/** A pack of `size` training windows (and the held-out ones after them), as recur data pack writes. */
function writeSyntheticPack(folder, size) {
  const tokenizer = wordTokenizer();
  const vocabulary = buildVocabulary(
    Array.from({ length: V - 2 }, (_, w) => `w${w + 2}`),
    { maxSize: V },
  );
  const preprocessing = {
    task: 'language-model',
    tokenizer: tokenizer.toJSON(),
    vocabulary: vocabulary.toJSON(),
    sequenceLength: T,
    kind: 'word',
  };
  const held = size * T;
  writePack(
    folder,
    {
      train: windows(size, 0),
      validation: windows(HELD_OUT, held),
      test: windows(HELD_OUT, held + HELD_OUT * T),
    },
    preprocessing,
    { samplesPerShard: 8192, overwrite: true },
  );
}

function configOf(name, pack) {
  return {
    name,
    task: 'language-model',
    data: { source: { kind: 'shards', path: pack }, tokenizer: 'word', sequenceLength: T },
    model: { cell: 'lstm', units: 32, layers: 1, embedding: 16 },
    generate: { prompt: 'w2', steps: 8, samples: 1 },
    training: { epochs: 1, batchSize: BATCH, learningRate: 0.003, threads: Number(values.threads), seed: 1 },
  };
}

/** Runs `recur train` on `configPath` in a child with a small heap; resolves with the probe's figures. */
function recurTrain(configPath, output, probeOut) {
  const args = [`--max-old-space-size=${values['heap-mib']}`, '--import', probe, cli, 'train', configPath];
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...args, '--output', output], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        RECUR_BENCH_PROBE_OUT: probeOut,
        RECUR_BENCH_WARM_FILLS: String(WARM_STEPS * Number(values.threads)),
      },
    });
    let stderr = '';
    proc.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => proc.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(readFileSync(probeOut, 'utf8')));
      else reject(new Error(`recur train ${configPath} exited with ${code ?? signal}: ${stderr}`));
    });
  });
}

/** Samples/s over steps WINDOW[0]..WINDOW[1] from the fill end times (W fills a step, BATCH samples). */
function windowRate(fillEnds) {
  const W = Number(values.threads);
  const [from, to] = WINDOW;
  const ms = fillEnds[to * W - 1] - fillEnds[from * W - 1];
  return ((to - from) * BATCH) / (ms / 1000);
}

async function measure(root, times) {
  const size = Number(values.base) * times;
  const pack = join(root, `pack-x${times}`);
  writeSyntheticPack(pack, size);
  const configPath = join(root, `x${times}.json`);
  writeFileSync(configPath, JSON.stringify(configOf(`bench-data-x${times}`, pack)));
  const output = join(root, `run-x${times}`);
  const probed = await recurTrain(configPath, output, join(root, `probe-x${times}.json`));
  const epoch = JSON.parse(readFileSync(join(output, 'metrics.jsonl'), 'utf8').trim().split('\n')[0]);
  rmSync(pack, { recursive: true, force: true });
  return {
    times,
    samples: size,
    packMiB: (size * SAMPLE_BYTES) / MiB,
    cliSamplesPerS: epoch.samples_per_second,
    steadySamplesPerS: probed.samples / (probed.spanMs / 1000),
    windowSamplesPerS: windowRate(probed.fillEnds),
    fillShare: probed.fillMs / probed.spanMs,
    maxRssMiB: probed.maxRssKiB / 1024,
  };
}

async function main() {
  const root = mkdtempSync(join(tmpdir(), 'recur-bench-data-'));
  const rows = [];
  try {
    for (const times of [1, 16, 4, 16, 1]) rows.push(await measure(root, times));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  if (values.json) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  console.log(
    `recur train, threads(${values.threads}), heap limit ${values['heap-mib']} MiB, one epoch from a shard pack`,
  );
  console.log(
    `size | samples | pack MiB | samples/s (CLI) | samples/s (steady) | samples/s (steps ${WINDOW.join('–')}) | peak RSS MiB | filling batches`,
  );
  for (const r of rows) {
    console.log(
      `${r.times}× | ${r.samples} | ${r.packMiB.toFixed(0)} | ${r.cliSamplesPerS.toFixed(0)} | ${r.steadySamplesPerS.toFixed(0)} | ${r.windowSamplesPerS.toFixed(0)} | ${r.maxRssMiB.toFixed(0)} | ${(100 * r.fillShare).toFixed(1)}%`,
    );
  }
  const mean = (times, key) => {
    const of = rows.filter((r) => r.times === times);
    return of.reduce((sum, r) => sum + r[key], 0) / of.length;
  };
  const ratio = (key) => (mean(16, key) / mean(1, key)).toFixed(3);
  console.log(
    `16× ÷ 1× (means of the pairs): peak RSS ${ratio('maxRssMiB')}, samples/s steady ${ratio('steadySamplesPerS')}, steps ${WINDOW.join('–')} ${ratio('windowSamplesPerS')}`,
  );
}

await main();
