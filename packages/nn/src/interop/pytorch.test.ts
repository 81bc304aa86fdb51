// PyTorch interop (issue 3): models loaded from the PyTorch fixtures (scripts/fixtures/
// gen_nn_fixtures.py: a stacked bidirectional LSTM, a GRU, an embedding + 2-layer RNN with a
// per-step head) give PyTorch's outputs, at full length and with right-padded lengths; export then
// import round-trips bit-exactly; the naming scheme (Note [PyTorch names]); and one coded error
// per way a state dict can fail to fit.
//
// Tolerance: rtol 1e-5, atol 1e-6 against PyTorch's float64 run of the same float32 weights and
// inputs; what is left is our float32 arithmetic.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allClose } from '@recur/kernels/testing';
import t from 'tap';
import type { Model } from '../base-model.js';
import { bidirectional } from '../layers/bidirectional.js';
import { dense } from '../layers/dense.js';
import { dropout } from '../layers/dropout.js';
import { embedding } from '../layers/embedding.js';
import { gru, lstm, simpleRNN } from '../layers/recurrent.js';
import { sequential } from '../model.js';
import { encoderDecoder } from '../seq2seq.js';
import {
  encodePyTorch,
  exportPyTorch,
  importPyTorch,
  importPyTorchTensors,
  pytorchModules,
  pytorchNameMap,
} from './pytorch.js';
import { decodeSafetensors, readSafetensorsFile, type SafetensorsTensor } from './safetensors.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures');
const RTOL = 1e-5;
const ATOL = 1e-6;

interface FixtureModel {
  torch: string[];
  inputShape: number[];
  ids: boolean;
  state: string[];
}

const index = JSON.parse(await readFile(join(FIXTURES, 'pytorch.json'), 'utf8')) as {
  models: Record<string, FixtureModel>;
};
const fixture = await readSafetensorsFile(join(FIXTURES, 'pytorch.safetensors'));
const tensor = (name: string) => fixture.tensors.get(name) as SafetensorsTensor;

const builders: Record<string, (seed: number) => Model> = {
  bilstm: (seed) =>
    sequential(
      [
        bidirectional(lstm({ units: 5, returnSequences: true })),
        bidirectional(lstm({ units: 5 })),
        dense({ units: 2 }),
      ],
      { inputShape: [6, 3], seed },
    ),
  gru: (seed) => sequential([gru({ units: 6 }), dense({ units: 3 })], { inputShape: [5, 4], seed }),
  embed_rnn: (seed) =>
    sequential(
      [
        embedding({ inputDim: 10, outputDim: 4 }),
        simpleRNN({ units: 3, returnSequences: true }),
        simpleRNN({ units: 3, returnSequences: true }),
        dense({ units: 5, activation: 'tanh' }),
        dense({ units: 2 }),
      ],
      { inputShape: [7], seed },
    ),
};

/** The fixture's input for `name`, with or without its lengths. */
function input(name: string, withLengths: boolean) {
  const x = tensor(`${name}.x`);
  const values = x.data as Float64Array;
  const data = index.models[name].ids ? Int32Array.from(values) : Float32Array.from(values);
  const lengths = Int32Array.from(tensor(`${name}.lengths`).data as Float64Array);
  return { data, shape: x.shape, ...(withLengths ? { lengths } : {}) };
}

for (const name of Object.keys(builders)) {
  for (const withLengths of [false, true]) {
    t.test(`${name}${withLengths ? ' with lengths' : ''} gives PyTorch's outputs`, async (t) => {
      const model = builders[name](1);
      await importPyTorch(model, join(FIXTURES, 'pytorch.safetensors'), { prefix: `${name}.state.` });
      const got = await model.predict(input(name, withLengths));
      const expected = tensor(`${name}.${withLengths ? 'y_lengths' : 'y'}`).data as Float64Array;
      const r = allClose(got, expected, RTOL, ATOL);
      t.ok(r.ok, r.message);
    });
  }
}

t.test('the default names are the PyTorch modules state-dict names, in order', async (t) => {
  for (const name of Object.keys(builders)) {
    const names = [...pytorchNameMap(builders[name](0)).values()];
    t.same(
      names,
      index.models[name].state.map((s) => s.slice(`${name}.state.`.length)),
      name,
    );
  }
});

t.test('pytorchModules describes the modules to build in PyTorch', async (t) => {
  t.same(pytorchModules(builders.bilstm(0)), [
    {
      name: 'rnn',
      torch: 'nn.LSTM(3, 5, num_layers=2, bidirectional=True, batch_first=True)',
      layers: [0, 1],
    },
    { name: 'linear', torch: 'nn.Linear(10, 2)', layers: [2] },
  ]);
  t.same(
    pytorchModules(builders.embed_rnn(0)).map((m) => `${m.name}: ${m.torch}`),
    [
      'embedding: nn.Embedding(10, 4)',
      'rnn: nn.RNN(4, 3, num_layers=2, batch_first=True)',
      'linear: nn.Linear(3, 5), then tanh',
      'linear1: nn.Linear(5, 2)',
    ],
  );
});

t.test('stacking: dropout joins a stack, a different cell or units starts a new module', async (t) => {
  const model = sequential(
    [
      lstm({ units: 4, returnSequences: true }),
      dropout({ rate: 0.25 }),
      lstm({ units: 4, returnSequences: true }),
      lstm({ units: 3, returnSequences: true }),
      gru({ units: 3, returnSequences: true }),
      simpleRNN({ units: 3, activation: 'relu' }),
      dense({ units: 1, useBias: false }),
    ],
    { inputShape: [5, 2] },
  );
  t.same(
    pytorchModules(model).map((m) => `${m.name}: ${m.torch}`),
    [
      'rnn: nn.LSTM(2, 4, num_layers=2, dropout=0.25, batch_first=True)',
      'rnn1: nn.LSTM(4, 3, batch_first=True)',
      'rnn2: nn.GRU(3, 3, batch_first=True)',
      "rnn3: nn.RNN(3, 3, nonlinearity='relu', batch_first=True)",
      'linear: nn.Linear(3, 1, bias=False)',
    ],
  );
  const names = pytorchNameMap(model);
  t.equal(names.get('layers.2.weight_hh'), 'rnn.weight_hh_l1');
  t.equal(names.get('layers.5.bias_ih'), 'rnn3.bias_ih_l0');
});

t.test('an encoder-decoder maps each layer to a module named by its prefix', async (t) => {
  const model = encoderDecoder({
    cell: 'gru',
    units: 3,
    inputShape: [4, 2],
    outputSteps: 3,
    outputFeatures: 2,
  });
  const names = [...pytorchNameMap(model).values()];
  t.same(names.slice(0, 2), ['encoder.weight_ih_l0', 'encoder.weight_hh_l0']);
  t.ok(names.includes('decoder.bias_hh_l0'));
  t.same(names.slice(-2), ['head.weight', 'head.bias']);
});

t.test('export then import round-trips bit-exactly', async (t) => {
  const folder = await mkdtemp(join(tmpdir(), 'recur-pytorch-'));
  t.teardown(() => rm(folder, { recursive: true, force: true }));
  for (const name of Object.keys(builders)) {
    const source = builders[name](11);
    const target = builders[name](12);
    const path = join(folder, `${name}.safetensors`);
    await exportPyTorch(source, path);
    await importPyTorch(target, path);
    t.same(
      new Uint32Array(target.params.buffer, target.params.byteOffset, target.params.length),
      new Uint32Array(source.params.buffer, source.params.byteOffset, source.params.length),
      name,
    );
  }
});

t.test('names and prefix rename on export and import alike', async (t) => {
  const options = {
    prefix: 'model.',
    names: (_recur: string, torch: string) => torch.replace(/^rnn\./, 'lstm.'),
  };
  const source = builders.bilstm(3);
  const bytes = encodePyTorch(source, options);
  const file = decodeSafetensors(bytes, 'exported');
  t.equal(file.metadata.format, 'pt');
  t.ok(file.tensors.has('model.lstm.weight_ih_l1_reverse'));
  t.ok(file.tensors.has('model.linear.bias'));
  t.equal(file.tensors.get('model.lstm.weight_ih_l1')?.dtype, 'F32');
  const target = builders.bilstm(4);
  await importPyTorch(target, bytes, options);
  t.same(target.params, source.params);
});

t.test('a state dict in float64 is rounded to float32 on import', async (t) => {
  const model = builders.gru(0);
  const tensors = new Map<string, SafetensorsTensor>();
  for (const [recur, torch] of pytorchNameMap(model)) {
    const row = model.layout.row(recur)!;
    const data = Float64Array.from({ length: row.size }, (_, i) => 0.1 * (i + 1));
    tensors.set(torch, { dtype: 'F64', shape: row.shape, data });
  }
  importPyTorchTensors(model, tensors);
  t.equal(model.layout.view(model.params, 'layers.1.bias')[2], Math.fround(0.3));
});

/** The bilstm fixture's state dict, editable. */
function stateDict(): Map<string, SafetensorsTensor> {
  const prefix = 'bilstm.state.';
  return new Map(
    [...fixture.tensors]
      .filter(([name]) => name.startsWith(prefix))
      .map(([name, value]) => [name.slice(prefix.length), value]),
  );
}

t.test('bad state dicts give coded errors naming the tensor, and change nothing', async (t) => {
  const model = builders.bilstm(5);
  const before = model.params.slice();
  const missing = stateDict();
  missing.delete('rnn.bias_hh_l1_reverse');
  t.throws(() => importPyTorchTensors(model, missing), {
    code: 'ERR_NN_LAYOUT_MISMATCH',
    message: /missing tensor "rnn\.bias_hh_l1_reverse" \[20\] for layers\.1\.backward\.bias_hh/,
  });
  const shaped = stateDict();
  shaped.set('linear.weight', { dtype: 'F32', shape: [10, 2], data: new Float32Array(20) });
  t.throws(() => importPyTorchTensors(model, shaped), {
    code: 'ERR_NN_LAYOUT_MISMATCH',
    message: /"linear\.weight" \(layers\.2\.weight\) has shape \[10,2\], expected \[2,10\]/,
  });
  const extra = stateDict();
  extra.set('rnn.weight_ih_l2', { dtype: 'F32', shape: [20, 10], data: new Float32Array(200) });
  t.throws(() => importPyTorchTensors(model, extra), {
    code: 'ERR_NN_LAYOUT_MISMATCH',
    message: /1 tensor\(s\) match no parameter of the model: "rnn\.weight_ih_l2" \[20,10\]/,
  });
  const ints = stateDict();
  ints.set('linear.bias', { dtype: 'I32', shape: [2], data: new Int32Array(2) });
  t.throws(() => importPyTorchTensors(model, ints), {
    code: 'ERR_NN_BAD_WEIGHTS',
    message: /"linear\.bias" \(layers\.2\.bias\) is I32/,
  });
  t.same(model.params, before);
});

t.test('a truncated file is a coded error', async (t) => {
  const bytes = encodePyTorch(builders.gru(0));
  await t.rejects(importPyTorch(builders.gru(0), bytes.subarray(0, bytes.length - 4)), {
    code: 'ERR_NN_BAD_WEIGHTS',
  });
});

t.test('layers PyTorch cannot run and bad options are refused', async (t) => {
  const before = sequential([gru({ units: 2, resetAfter: false })], { inputShape: [3, 1] });
  t.throws(() => pytorchNameMap(before), {
    code: 'ERR_NN_BAD_MODEL',
    message: /layers\.0 \(gru, resetAfter: false\)/,
  });
  const backwards = sequential([lstm({ units: 2, goBackwards: true })], { inputShape: [3, 1] });
  t.throws(() => pytorchNameMap(backwards), { code: 'ERR_NN_BAD_MODEL', message: /goBackwards/ });
  const model = builders.gru(0);
  t.throws(() => pytorchNameMap(model, { names: () => 'same' }), {
    code: 'ERR_NN_BAD_OPTION',
    message: /"layers\.0\.weight_ih" and "layers\.0\.weight_hh" both map to "same"/,
  });
  t.throws(() => pytorchNameMap(model, { names: () => '' }), { code: 'ERR_NN_BAD_OPTION' });
  t.throws(() => pytorchNameMap(model, { prefx: 'a' } as never), {
    code: 'ERR_NN_BAD_OPTION',
    message: /unknown option "prefx"/,
  });
});
