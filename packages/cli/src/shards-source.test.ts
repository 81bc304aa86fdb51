// A language-model config trains from a shard pack (issue 14): data.source { kind: 'shards',
// path } serves the same samples as the corpus it was packed from (same data hash), with the
// pack's preprocessing; a missing pack, another task's pack, an empty path and a shards source
// in a task that has none are coded errors.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataHash, writePack } from '@recur/data';
import t from 'tap';
import { applyOverrides, loadConfig, parseConfig } from './config/load.js';
import type { Split } from './tasks/common.js';
import { prepareTask } from './tasks/index.js';
import { config, tempFolder } from './testing/recur.js';

const hashOf = (split: Split) => dataHash([{ kind: 'samples', dataset: split.dataset }]);

async function packOf(name: string, folder: string) {
  const task = await prepareTask(applyOverrides(loadConfig(config(name)), { limit: 40 }));
  writePack(
    folder,
    { train: task.train.dataset, validation: task.validation.dataset, test: task.test.dataset },
    task.preprocessing,
    { samplesPerShard: 16 },
  );
  return task;
}

function withSource(name: string, source: unknown, extra: Record<string, unknown> = {}) {
  const raw = JSON.parse(readFileSync(config(name), 'utf8'));
  return parseConfig({ ...raw, data: { ...raw.data, source, ...extra } }, name);
}

t.test('a shards source serves the packed samples with the pack preprocessing', async (t) => {
  const folder = join(tempFolder('shards-source'), 'pack');
  const original = await packOf('moby-dick-chars', folder);
  const packed = await prepareTask(withSource('moby-dick-chars', { kind: 'shards', path: folder }));
  for (const name of ['train', 'validation', 'test'] as const) {
    t.equal(packed[name].size, original[name].size, `${name}: same size`);
    t.equal(await hashOf(packed[name]), await hashOf(original[name]), `${name}: same samples`);
  }
  t.same(packed.preprocessing, original.preprocessing, 'the pack preprocessing travels in checkpoints');
});

t.test('bad shards sources are coded errors', async (t) => {
  const dir = tempFolder('shards-bad');
  await t.rejects(prepareTask(withSource('moby-dick-chars', { kind: 'shards', path: join(dir, 'none') })), {
    code: 'ERR_CLI_NOT_FOUND',
  });
  const forecast = join(dir, 'forecast');
  await packOf('seattle-temperature', forecast);
  await t.rejects(prepareTask(withSource('moby-dick-chars', { kind: 'shards', path: forecast })), {
    code: 'ERR_CLI_BAD_CONFIG',
  });
  t.throws(() => withSource('moby-dick-chars', { kind: 'shards', path: '' }), { code: 'ERR_CLI_BAD_CONFIG' });
  t.throws(() => withSource('seattle-temperature', { kind: 'shards', path: forecast }), {
    code: 'ERR_CLI_BAD_CONFIG',
  });
});
