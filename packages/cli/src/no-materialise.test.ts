// No code path of train, eval, predict, coordinator or worker materialises a split (issue 14):
// every sample read from a split goes through the observer of tasks/common.ts, which records the
// row of the buffers it lands in. A split copied whole would put its samples in rows up to N − 1;
// the road reads a batch (or a chunk of EVAL_CHUNK samples) at a time, so every row stays below
// max(batch size, EVAL_CHUNK) while the splits hold several times that many samples. The same
// holds for a language model trained from shard packs of 1× and 8× a size (the data road from
// `recur data pack`): 8× the reads, the same highest row, in train, coordinator and worker alike.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildVocabulary, nextTokenDataset, wordTokenizer, writePack } from '@recur/data';
import { loadModel } from '@recur/nn';
import t from 'tap';
import { applyOverrides, loadConfig, parseConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import { coordinatorRun, workerRun } from './run/cluster.js';
import { predictFile } from './run/predict.js';
import { trainRun } from './run/train.js';
import { EVAL_CHUNK, observeSampleReads } from './tasks/common.js';
import { prepareTask } from './tasks/index.js';
import { config, tempFolder } from './testing/recur.js';

const BATCH = 16;
const BOUND = Math.max(BATCH, EVAL_CHUNK);

/** Runs `work` while counting reads and the highest buffer row any sample landed in. */
async function observed(work: () => Promise<unknown>): Promise<{ reads: number; maxRow: number }> {
  let reads = 0;
  let maxRow = -1;
  observeSampleReads((_sample, row) => {
    reads++;
    if (row > maxRow) maxRow = row;
  });
  try {
    await work();
  } finally {
    observeSampleReads(null);
  }
  return { reads, maxRow };
}

function seattle(output: string, threads: number) {
  const base = loadConfig(config('seattle-temperature'));
  return applyOverrides(base, { epochs: 1, batchSize: BATCH, threads, output });
}

const quiet = { write: () => {} };

t.test('train (1 and 2 threads), eval and predict read a batch or a chunk at a time', async (t) => {
  const dir = tempFolder('no-materialise');
  const cfg = seattle(join(dir, 'run'), 1);
  const task = await prepareTask(cfg);
  t.ok(task.train.size > 2 * BOUND, `the training split (${task.train.size}) is larger than the bound`);
  for (const threads of [1, 2]) {
    const run = seattle(join(dir, `run-${threads}`), threads);
    const seen = await observed(() => trainRun(run, quiet));
    t.ok(seen.reads >= task.train.size, `train with ${threads} thread(s) read the training split`);
    t.ok(seen.maxRow < BOUND, `train with ${threads} thread(s): highest row ${seen.maxRow} < ${BOUND}`);
  }
  const { model } = await loadModel(join(dir, 'run-1', 'best.ckpt'));
  const evaluated = await observed(() => task.evaluate(model, task.validation));
  t.ok(evaluated.reads >= task.validation.size, 'eval read the validation split');
  t.ok(evaluated.maxRow < BOUND, `eval: highest row ${evaluated.maxRow} < ${BOUND}`);
  const csv = ['date,temp_max,temp_min,precipitation,wind'];
  for (let i = 0; i < 400; i++) {
    const day = new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10);
    csv.push(
      `${day},${10 + 5 * Math.sin(i / 20)},${5 + 3 * Math.cos(i / 20)},${i % 7 === 0 ? 2 : 0},${3 + (i % 5)}`,
    );
  }
  const input = join(dir, 'days.csv');
  writeFileSync(input, `${csv.join('\n')}\n`);
  let lines = 0;
  const predicted = await observed(async () => {
    lines = (await predictFile(model, cfg, task.preprocessing, input)).length;
  });
  t.equal(lines, 400 - 30 + 1, 'one forecast per window');
  t.ok(predicted.reads >= lines, 'predict read every window');
  t.ok(predicted.maxRow < BOUND, `predict: highest row ${predicted.maxRow} < ${BOUND}`);
});

/** A coordinator and one worker of one thread on loopback, run to the end of `cfg`. */
async function clusterRun(cfg: Config, dir: string): Promise<void> {
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'no-materialise-token\n');
  let url = '';
  let announced: () => void = () => {};
  const ready = new Promise<void>((resolve) => (announced = resolve));
  const coordinator = coordinatorRun(cfg, {
    tokenFile,
    listen: '127.0.0.1:0',
    minNodes: 1,
    write: (line) => {
      const match = /waiting for workers on (\S+)/.exec(line);
      if (match !== null) {
        url = match[1].replace(/^http/, 'ws');
        announced();
      }
    },
  });
  await Promise.race([ready, coordinator]);
  await workerRun(cfg, { tokenFile, connect: url, threads: 1, ...quiet });
  await coordinator;
}

t.test('a coordinator and a worker read a batch at a time', async (t) => {
  const dir = tempFolder('no-materialise-cluster');
  const seen = await observed(() => clusterRun(seattle(join(dir, 'cluster'), 1), dir));
  t.ok(seen.reads > 0, 'the cluster read samples');
  t.ok(seen.maxRow < BOUND, `coordinator and worker: highest row ${seen.maxRow} < ${BOUND}`);
});

const LM_T = 8;

/** A language-model pack of `windows` training windows (and 40 held-out ones each) in `folder`. */
function lmPack(folder: string, windows: number): void {
  const words = Array.from({ length: 20 }, (_, w) => `w${w}`);
  const vocabulary = buildVocabulary(words);
  const ids = (n: number, from: number) =>
    Int32Array.from({ length: n * LM_T + 1 }, (_, i) => 2 + (((from + i) * 7 + (i % 3)) % 20));
  const dataset = (n: number, from: number) => nextTokenDataset(ids(n, from), { sequenceLength: LM_T });
  const preprocessing = {
    task: 'language-model',
    tokenizer: wordTokenizer().toJSON(),
    vocabulary: vocabulary.toJSON(),
    sequenceLength: LM_T,
    kind: 'word',
  };
  const splits = { train: dataset(windows, 0), validation: dataset(40, 1), test: dataset(40, 2) };
  writePack(folder, splits, preprocessing, { samplesPerShard: 64 });
}

function lmConfig(pack: string, output: string, threads: number): Config {
  const raw = {
    name: 'no-materialise-lm',
    task: 'language-model',
    data: { source: { kind: 'shards', path: pack }, tokenizer: 'word', sequenceLength: LM_T },
    model: { units: 8, layers: 1, embedding: 4 },
    generate: { prompt: 'w2', steps: 4, samples: 1 },
    training: { epochs: 1, batchSize: BATCH, threads, seed: 1 },
  };
  return applyOverrides(parseConfig(raw, 'no-materialise-lm'), { output });
}

t.test(
  'from shard packs of 1× and 8×: train, coordinator and worker read 8× the samples, a batch at a time',
  async (t) => {
    const dir = tempFolder('no-materialise-packs');
    const base = 2 * BOUND;
    const seen: Record<string, { reads: number; maxRow: number }> = {};
    for (const times of [1, 8]) {
      const pack = join(dir, `pack-${times}`);
      lmPack(pack, base * times);
      seen[`train ${times}×`] = await observed(() =>
        trainRun(lmConfig(pack, join(dir, `train-${times}`), 2), quiet),
      );
      const clusterDir = join(dir, `cluster-${times}`);
      seen[`cluster ${times}×`] = await observed(() => clusterRun(lmConfig(pack, clusterDir, 1), dir));
    }
    for (const [what, { reads, maxRow }] of Object.entries(seen)) {
      t.ok(maxRow < BOUND, `${what}: highest row ${maxRow} < ${BOUND} (${reads} reads)`);
    }
    for (const what of ['train', 'cluster']) {
      const [one, eight] = [seen[`${what} 1×`], seen[`${what} 8×`]];
      t.ok(
        eight.reads >= one.reads + 7 * base,
        `${what}: 8× the training windows read (${one.reads} → ${eight.reads})`,
      );
    }
  },
);
