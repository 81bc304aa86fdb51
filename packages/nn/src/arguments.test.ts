// The interop and checkpoint functions refuse arguments of the wrong kind with coded errors, not
// TypeErrors from deep inside: a model that is not one (null, a number, a plain object), a state
// dict that is not a Map, bytes that are not a Uint8Array, options that are not an object.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import {
  checkpointOf,
  decodeCheckpoint,
  decodeSafetensors,
  dense,
  encodeCheckpoint,
  encodePyTorch,
  encodeSafetensors,
  exportKeras,
  exportPyTorch,
  importKeras,
  importPyTorch,
  importPyTorchTensors,
  lstm,
  pytorchModules,
  pytorchNameMap,
  sequential,
} from './index.js';

const NOT_MODELS: unknown[] = [null, undefined, 1, 'model', 10n, [], {}, { layers: [] }];
const describeArg = (v: unknown) => (typeof v === 'bigint' ? `${v}n` : (JSON.stringify(v) ?? String(v)));

t.test('functions that take a model refuse anything else with ERR_NN_BAD_OPTION', async (t) => {
  const model = sequential([lstm({ units: 2 }), dense({ units: 1 })], { inputShape: [3, 1], seed: 1 });
  const dir = await mkdtemp(join(tmpdir(), 'recur-arguments-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const calls: [string, (m: never) => unknown][] = [
    ['exportKeras', (m) => exportKeras(m)],
    ['importKeras', (m) => importKeras(m, [null, null])],
    ['pytorchModules', (m) => pytorchModules(m)],
    ['pytorchNameMap', (m) => pytorchNameMap(m)],
    ['encodePyTorch', (m) => encodePyTorch(m)],
    ['exportPyTorch', (m) => exportPyTorch(m, join(dir, 'x.safetensors'))],
    ['importPyTorch', (m) => importPyTorch(m, encodePyTorch(model))],
    [
      'importPyTorchTensors',
      (m) => importPyTorchTensors(m, decodeSafetensors(encodePyTorch(model), 'x').tensors),
    ],
    ['checkpointOf', (m) => checkpointOf(m, null)],
  ];
  for (const [name, call] of calls) {
    await t.resolves((async () => call(model as never))(), `${name}: a model is fine`);
    for (const bad of NOT_MODELS) {
      await t.rejects(
        (async () => call(bad as never))(),
        { code: 'ERR_NN_BAD_OPTION', message: new RegExp(`^${name}: the model must be a recur model`) },
        `${name}(${describeArg(bad)})`,
      );
    }
  }
});

t.test('state dicts, bytes, contents and options of the wrong kind', (t) => {
  const model = sequential([dense({ units: 1 })], { inputShape: [2], seed: 1 });
  for (const bad of [null, {}, [['w', 1]], 'tensors']) {
    t.throws(() => importPyTorchTensors(model, bad as never), {
      code: 'ERR_NN_BAD_WEIGHTS',
      message: /importPyTorchTensors: tensors must be a Map/,
    });
    t.throws(() => encodeSafetensors(bad as never), {
      code: 'ERR_NN_BAD_WEIGHTS',
      message: /tensors must be a Map/,
    });
  }
  for (const bad of [null, 'bytes', [1, 2], new Float32Array(4)]) {
    t.throws(() => decodeSafetensors(bad as never, 'x.safetensors'), {
      code: 'ERR_NN_BAD_WEIGHTS',
      message: /^x\.safetensors: expected the file's bytes \(a Uint8Array\)/,
    });
    t.throws(() => decodeCheckpoint(bad as never, 'x.ckpt'), {
      code: 'ERR_NN_BAD_CHECKPOINT',
      message: /^x\.ckpt: expected the file's bytes \(a Uint8Array\)/,
    });
  }
  for (const bad of [null, 1, 'content', []]) {
    t.throws(() => encodeCheckpoint(bad as never), {
      code: 'ERR_NN_BAD_OPTION',
      message: /cannot write checkpoint: the content must be an object/,
    });
  }
  const content = checkpointOf(model, null);
  for (const bad of [null, 7, 'big']) {
    t.throws(() => encodeCheckpoint(content, bad as never), {
      code: 'ERR_NN_BAD_OPTION',
      message: /options must be an object \{ maxHeaderBytes\? \}/,
    });
  }
  t.ok(encodeCheckpoint(content) instanceof Uint8Array, 'good arguments still work');
  t.end();
});
