// training.accumulate and training.balance reach @recur/parallel's threads(): a run with them
// trains other bits than without (the micro-batches accumulate in another order) and repeats
// bit for bit; accumulate alone on one thread trains on threads(1); the schema bounds both; a
// worker refuses balance with gradient pieces.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '@recur/nn';
import t from 'tap';
import { applyOverrides, loadConfig, parseConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import { workerRun } from './run/cluster.js';
import { trainRun } from './run/train.js';
import { config, tempFolder } from './testing/recur.js';

const quiet = { write: () => {} };
const dir = tempFolder('accumulate');

function seattle(name: string, training: Partial<Config['training']>): Config {
  const base = applyOverrides(loadConfig(config('seattle-temperature')), {
    epochs: 1,
    batchSize: 16,
    output: join(dir, name),
  });
  return { ...base, training: { ...base.training, ...training } };
}

async function trained(name: string, training: Partial<Config['training']>): Promise<Buffer> {
  const cfg = seattle(name, training);
  await trainRun(cfg, quiet);
  const { model } = await loadModel(join(cfg.output as string, 'last.ckpt'));
  return Buffer.from(model.params.buffer, model.params.byteOffset, model.params.byteLength);
}

t.test('accumulate and balance reach the threads', async (t) => {
  const plain = await trained('plain', { threads: 2 });
  const balanced = await trained('balanced', { threads: 2, accumulate: 2, balance: true });
  const again = await trained('again', { threads: 2, accumulate: 2, balance: true });
  t.notOk(balanced.equals(plain), 'balanced micro-batches train other bits than plain threads(2)');
  t.ok(balanced.equals(again), 'and repeat bit for bit');
  const calling = await trained('calling', { threads: 1 });
  const one = await trained('one', { threads: 1, accumulate: 2 });
  t.notOk(one.equals(calling), 'accumulate on one thread runs threads(1) with 2 micro-batches');
});

t.test('the schema bounds accumulate and balance', async (t) => {
  const raw = JSON.parse(JSON.stringify(loadConfig(config('seattle-temperature'))));
  for (const [training, message] of [
    [{ accumulate: 1025 }, /my\.json: training\.accumulate: .*<=1024/],
    [{ accumulate: 0 }, /training\.accumulate: .*>=1/],
    [{ balance: 'yes' }, /training\.balance: .*boolean/],
  ] as const) {
    t.throws(() => parseConfig({ ...raw, training: { ...raw.training, ...training } }, 'my.json'), {
      code: 'ERR_CLI_BAD_CONFIG',
      message,
    });
  }
});

t.test('a worker refuses balance with gradient pieces', async (t) => {
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'accumulate-test-token\n');
  const cfg = seattle('worker', { balance: true, accumulate: 2 });
  await t.rejects(workerRun(cfg, { tokenFile, connect: 'ws://127.0.0.1:9', bucketBytes: 4096, ...quiet }), {
    code: 'ERR_CLI_BAD_CONFIG',
    message: /training\.balance cannot be combined with gradient pieces/,
  });
});
