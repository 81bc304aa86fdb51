// Every public constructor and option rejects bad values with a coded error whose message names
// the option and, where there is a list, the accepted values (issue 3, "Validation"). One case per
// test; each asserts the code and the message.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { NnErrorCode, type NnErrorCodeValue, RecurError } from './errors.js';
import { exportPyTorch, importPyTorch } from './interop/pytorch.js';
import type { Layer } from './layer.js';
import { bidirectional } from './layers/bidirectional.js';
import { dense } from './layers/dense.js';
import { dropout } from './layers/dropout.js';
import { embedding } from './layers/embedding.js';
import { gru, lstm, type RecurrentOptions, simpleRNN } from './layers/recurrent.js';
import { sequential } from './model.js';
import { loadModel } from './persistence.js';
import { encoderDecoder } from './seq2seq.js';
import type { FitOptions } from './training/fit.js';

// biome-ignore lint/suspicious/noExplicitAny: bad options on purpose, as a JavaScript caller could pass them
type Any = any;

function throwsCoded(t: Test, run: () => unknown, code: NnErrorCodeValue, message: RegExp): void {
  try {
    run();
    t.fail(`expected ${code}, nothing was thrown`);
  } catch (error) {
    t.ok(error instanceof RecurError, `a RecurError (got ${String(error)})`);
    t.match(error, { code, message });
  }
}

async function rejectsCoded(t: Test, run: () => Promise<unknown>, code: NnErrorCodeValue, message: RegExp) {
  await t.rejects(run(), { name: 'RecurError', code, message });
}

const BAD_OPTION = NnErrorCode.BAD_OPTION;
const BAD_MODEL = NnErrorCode.BAD_MODEL;
const BAD_DATA = NnErrorCode.BAD_DATA;

const layerCases: [string, () => unknown, RegExp][] = [
  ['lstm units 0', () => lstm({ units: 0 }), /^lstm: units must be a positive integer, got 0$/],
  ['gru units 2.5', () => gru({ units: 2.5 }), /^gru: units must be a positive integer, got 2\.5$/],
  [
    'lstm without options',
    () => (lstm as Any)(),
    /^lstm: options must be an object with at least \{ units \}/,
  ],
  [
    'an unknown lstm option',
    () => lstm({ units: 4, unit: 3 } as Any as RecurrentOptions),
    /^lstm: unknown option 'unit' \(known: units, returnSequences, .*inputShape\)$/,
  ],
  [
    'activation on lstm',
    () => lstm({ units: 4, activation: 'relu' }),
    /^lstm: activation is a simpleRNN option/,
  ],
  [
    'simpleRNN activation sigmoid',
    () => simpleRNN({ units: 4, activation: 'sigmoid' as Any }),
    /^simpleRNN: activation must be one of 'tanh', 'relu', got 'sigmoid'$/,
  ],
  ['resetAfter on lstm', () => lstm({ units: 4, resetAfter: false }), /^lstm: resetAfter is a gru option/],
  [
    'gru resetAfter a string',
    () => gru({ units: 4, resetAfter: 'no' as Any }),
    /^gru: resetAfter must be true or false, got 'no'$/,
  ],
  [
    'an unknown initializer',
    () => lstm({ units: 4, kernelInitializer: 'heNormal' as Any }),
    /^lstm: kernelInitializer must be one of 'glorotUniform', 'orthogonal', 'zeros', 'ones', 'uniformFanIn', got 'heNormal'$/,
  ],
  [
    'lstm inputShape of one number',
    () => lstm({ units: 4, inputShape: [10] as Any }),
    /^lstm: inputShape must be \[steps, features\], got \[10\]$/,
  ],
  [
    "dense activation 'softmax'",
    () => dense({ units: 3, activation: 'softmax' as Any }),
    /^dense: activation must be one of 'linear', 'tanh', 'sigmoid', 'relu', 'hardSigmoid', got 'softmax'$/,
  ],
  [
    'dense without options',
    () => (dense as Any)(),
    /^dense: options must be an object with at least \{ units \}$/,
  ],
  [
    'dense inputShape [0]',
    () => dense({ units: 3, inputShape: [0] }),
    /^dense: inputShape\[0\] must be a positive integer, got 0$/,
  ],
  [
    'dense inputShape of three numbers',
    () => dense({ units: 3, inputShape: [2, 3, 4] }),
    /^dense: inputShape must be \[features\] or \[steps, features\], got \[2, 3, 4\]$/,
  ],
  ['dropout rate 1', () => dropout({ rate: 1 }), /^dropout: rate must be a number in \[0, 1\), got 1$/],
  [
    'dropout rate -0.1',
    () => dropout({ rate: -0.1 }),
    /^dropout: rate must be a number in \[0, 1\), got -0\.1$/,
  ],
  ['dropout without options', () => (dropout as Any)(), /^dropout: options must be an object \{ rate \}$/],
  [
    'embedding inputDim 0',
    () => embedding({ inputDim: 0, outputDim: 4 }),
    /^embedding: inputDim must be a positive integer, got 0$/,
  ],
  [
    'embedding maskZero a number',
    () => embedding({ inputDim: 5, outputDim: 4, maskZero: 1 as Any }),
    /^embedding: maskZero must be true or false, got 1$/,
  ],
  [
    'embedding inputShape of two numbers',
    () => embedding({ inputDim: 5, outputDim: 4, inputShape: [3, 4] as Any }),
    /^embedding: inputShape must be \[steps\], got \[3, 4\]$/,
  ],
  [
    "bidirectional mergeMode 'max'",
    () => bidirectional(lstm({ units: 4 }), { mergeMode: 'max' as Any }),
    /^bidirectional: mergeMode must be one of 'concat', 'sum', 'mul', 'ave', got 'max'$/,
  ],
  [
    'bidirectional around a dense layer',
    () => bidirectional(dense({ units: 4 }) as Any),
    /^bidirectional: wraps a simpleRNN, lstm or gru layer$/,
  ],
  [
    'bidirectional around a goBackwards layer',
    () => bidirectional(lstm({ units: 4, goBackwards: true })),
    /^bidirectional: the wrapped layer must not set goBackwards, stateful or returnState$/,
  ],
  [
    'bidirectional options null',
    () => bidirectional(lstm({ units: 4 }), null as Any),
    /^bidirectional: options must be an object \{ mergeMode\? \}$/,
  ],
];

for (const [name, run, message] of layerCases) {
  t.test(`${name} is rejected with ${BAD_OPTION}`, async (t) => throwsCoded(t, run, BAD_OPTION, message));
}

const modelCases: [string, () => unknown, NnErrorCodeValue, RegExp][] = [
  [
    'sequential with no layers',
    () => sequential([]),
    BAD_MODEL,
    /^sequential: give a non-empty array of layers$/,
  ],
  [
    'sequential without an inputShape',
    () => sequential([lstm({ units: 4 }), dense({ units: 1 })]),
    BAD_MODEL,
    /^sequential: give inputShape, on the model or on its first layer$/,
  ],
  [
    'dense then lstm',
    () => sequential([dense({ units: 4 }), lstm({ units: 4 })], { inputShape: [3] }),
    BAD_MODEL,
    /^layers\.1 \(lstm\): needs a sequence of floats \[steps, features\] as input, got a vector of 4$/,
  ],
  [
    'an embedding after a recurrent layer',
    () =>
      sequential([lstm({ units: 4, returnSequences: true }), embedding({ inputDim: 3, outputDim: 2 })], {
        inputShape: [5, 2],
      }),
    BAD_MODEL,
    /^layers\.1 \(embedding\): needs token ids \[steps\] as input, got a sequence \[5, 4\]$/,
  ],
  [
    'returnState inside sequential',
    () => sequential([lstm({ units: 4, returnState: true }), dense({ units: 1 })], { inputShape: [5, 2] }),
    BAD_MODEL,
    /^sequential: layers\.0 \(lstm\) sets returnState, which a sequential model cannot return \(as in Keras\); drop it and read the final states with model\.finalStates\(0\) after predict, or use encoderDecoder for seq2seq$/,
  ],
  [
    'an unknown sequential option',
    () => sequential([dense({ units: 1 })], { inputShape: [3], seeds: 1 } as Any),
    BAD_OPTION,
    /^sequential: unknown option 'seeds' \(known: inputShape, seed\)$/,
  ],
  [
    'a negative seed',
    () => sequential([dense({ units: 1 })], { inputShape: [3], seed: -1 }),
    BAD_OPTION,
    /^sequential: seed must be a non-negative integer, got -1$/,
  ],
];

for (const [name, run, code, message] of modelCases) {
  t.test(`${name} is rejected with ${code}`, async (t) => throwsCoded(t, run, code, message));
}

const T = 5;
const classifier = (): ReturnType<typeof sequential> => {
  const layers: Layer[] = [lstm({ units: 4 }), dense({ units: 3 })];
  return sequential(layers, { inputShape: [T, 2], seed: 1 });
};
const x = { data: new Float32Array(4 * T * 2), shape: [4, T, 2] };
const labels = { data: Int32Array.from([0, 1, 2, 1]), shape: [4] };
const compiled = () => {
  const model = classifier();
  model.compile({ loss: 'sparseCategoricalCrossentropy' });
  return model;
};

t.test('compile with an unknown loss is rejected', async (t) =>
  throwsCoded(
    t,
    () => classifier().compile({ loss: 'hinge' as Any }),
    BAD_OPTION,
    /^compile: loss must be one of 'mse', 'mae', 'categoricalCrossentropy', 'sparseCategoricalCrossentropy', 'binaryCrossentropy', got 'hinge'$/,
  ),
);

t.test('compile with an unknown option is rejected', async (t) =>
  throwsCoded(
    t,
    () => classifier().compile({ loss: 'mse', lr: 0.1 } as Any),
    BAD_OPTION,
    /^compile: unknown option 'lr' \(known: loss, optimizer, /,
  ),
);

t.test('fit before compile rejects', async (t) =>
  rejectsCoded(
    t,
    () => classifier().fit(x, labels),
    NnErrorCode.NOT_READY,
    /^fit: call model\.compile\(\{ loss, optimizer \}\) first$/,
  ),
);

t.test('evaluate before compile is rejected', async (t) =>
  rejectsCoded(
    t,
    () => classifier().evaluate(x, labels),
    NnErrorCode.NOT_READY,
    /^evaluate: call model\.compile\(\{ loss \}\) first$/,
  ),
);

t.test('fit with x of the wrong shape rejects', async (t) =>
  rejectsCoded(
    t,
    () => compiled().fit({ data: new Float32Array(4 * T * 3), shape: [4, T, 3] }, labels),
    BAD_DATA,
    /^x: expected shape \[N, 5, 2\], got \[4, 5, 3\]$/,
  ),
);

t.test('fit with data shorter than its shape rejects', async (t) =>
  rejectsCoded(
    t,
    () => compiled().fit({ data: new Float32Array(7), shape: [4, T, 2] }, labels),
    BAD_DATA,
    /^x: shape \[4, 5, 2\] needs 40 values, data has 7$/,
  ),
);

t.test('fit with a label out of range rejects', async (t) =>
  rejectsCoded(
    t,
    () => compiled().fit(x, { data: Int32Array.from([0, 1, 3, 1]), shape: [4] }),
    BAD_DATA,
    /^y: sample 2 has 3 where an integer in \[0, 3\) is needed$/,
  ),
);

t.test('fit with NaN in x rejects', async (t) => {
  const data = new Float32Array(4 * T * 2);
  data[T * 2 + 3] = Number.NaN;
  await rejectsCoded(
    t,
    () => compiled().fit({ data, shape: [4, T, 2] }, labels),
    BAD_DATA,
    /^x: sample 1 has NaN where a finite number is needed$/,
  );
});

t.test('fit with x and y of different sample counts rejects', async (t) =>
  rejectsCoded(
    t,
    () => compiled().fit(x, { data: Int32Array.from([0, 1]), shape: [2] }),
    BAD_DATA,
    /^x has 4 samples but y has 2$/,
  ),
);

t.test('fit with a length beyond the steps rejects', async (t) =>
  rejectsCoded(
    t,
    () => compiled().fit({ ...x, lengths: [5, 6, 1, 2] }, labels),
    BAD_DATA,
    /^x\.lengths: sample 1 has length 6, expected an integer in \[1, 5\]$/,
  ),
);

t.test('fit with an id outside the vocabulary rejects', async (t) => {
  const model = sequential(
    [embedding({ inputDim: 4, outputDim: 2 }), gru({ units: 3 }), dense({ units: 1 })],
    { inputShape: [3] },
  );
  model.compile({ loss: 'mse' });
  const ids = { data: Int32Array.from([1, 2, 3, 0, 4, 1]), shape: [2, 3] };
  const y = { data: new Float32Array(2), shape: [2, 1] };
  await rejectsCoded(
    t,
    () => model.fit(ids, y),
    BAD_DATA,
    /^x: sample 1 has 4 where an integer in \[0, 4\) is needed$/,
  );
});

const fitCases: [string, FitOptions, RegExp][] = [
  ['batchSize 0', { batchSize: 0 }, /^fit: batchSize must be a positive integer, got 0$/],
  ['epochs 1.5', { epochs: 1.5 }, /^fit: epochs must be a positive integer, got 1\.5$/],
  ['validationSplit 1', { validationSplit: 1 }, /^fit: validationSplit must be a number in \[0, 1\), got 1$/],
  [
    'a validationSplit that leaves no validation samples',
    { validationSplit: 0.1 },
    /^fit: validationSplit 0\.1 of 4 samples leaves an empty part$/,
  ],
  [
    'an unknown fit option',
    { batch_size: 4 } as Any,
    /^fit: unknown option 'batch_size' \(known: batchSize, epochs, /,
  ],
  ["shuffle 'no'", { shuffle: 'no' } as Any, /^fit: shuffle must be true or false, got 'no'$/],
  ['shuffle 0', { shuffle: 0 } as Any, /^fit: shuffle must be true or false, got 0$/],
  ["resume 'yes'", { resume: 'yes' } as Any, /^fit: resume must be true or false, got 'yes'$/],
  [
    'a signal that is not an AbortSignal',
    { signal: { aborted: false } } as Any,
    /^fit: signal must be an AbortSignal \(new AbortController\(\)\.signal\), got \{ aborted: false \}$/,
  ],
  [
    'an AbortController instead of its signal',
    { signal: new AbortController() } as Any,
    /^fit: signal must be an AbortSignal \(new AbortController\(\)\.signal\), got /,
  ],
  [
    'callbacks that are a function',
    { callbacks: () => {} } as Any,
    /^fit: callbacks must be a callback object \{ onEpochEnd\?, onBatchEnd\?, … \} \(or a list of them\), got /,
  ],
  [
    'an unknown callback',
    { callbacks: { onTrainStart: () => {} } } as Any,
    /^fit: unknown callback 'onTrainStart' in callbacks \(known: onTrainBegin, onEpochBegin, onBatchEnd, onEpochEnd, onTrainEnd\)$/,
  ],
  [
    'a callback that is not a function',
    { callbacks: { onEpochEnd: 'log' } } as Any,
    /^fit: callbacks\.onEpochEnd must be a function \(epoch, logs, run\) => void \| Promise<void>, got 'log'$/,
  ],
  [
    'a list of callbacks with a number in it',
    { callbacks: [{}, 3] } as Any,
    /^fit: callbacks\[1\] must be a callback object .*, got 3$/,
  ],
  ['verbose 3', { verbose: 3 } as Any, /^fit: verbose must be 0, 1 or 2, got 3$/],
  [
    'a log that is no stream',
    { log: 'out.txt' } as Any,
    /^fit: log must be a stream with write\(text\) \(process\.stdout, a file stream\), got 'out\.txt'$/,
  ],
  [
    'a strategy without step',
    { strategy: { name: 'mine' } } as Any,
    /^fit: strategy must be a TrainingStrategy: an object with step\(model, source, epoch, batchIndex, batchSize\) \(e\.g\. threads\(4\) from @recur\/parallel\), got \{ name: 'mine' \}$/,
  ],
  [
    "strategy 'threads'",
    { strategy: 'threads' } as Any,
    /^fit: strategy must be a TrainingStrategy: an object with step.*, got 'threads'$/,
  ],
  [
    'a strategy whose close is not a function',
    { strategy: { name: 'mine', step: async () => ({ sum: 0, count: 1 }), close: true } } as Any,
    /^fit: strategy\.close must be a function \(\) => Promise<void>, got true$/,
  ],
  [
    'a checkpoint with an empty path',
    { checkpoint: { path: '' } },
    /^fit: checkpoint must be \{ path: string, preprocessing\? \}, got \{ path: '' \}$/,
  ],
  [
    'a checkpoint with an unknown key',
    { checkpoint: { path: 'a.ckpt', every: 2 } } as Any,
    /^fit: checkpoint: unknown option 'every' \(known: path, preprocessing\)$/,
  ],
  [
    'validationData that is not a pair',
    { validationData: [x] } as Any,
    /^fit: validationData must be \[x, y\], two arrays \{ data, shape \} like fit's own, got /,
  ],
  [
    'both validationData and validationSplit',
    { validationData: [x, labels], validationSplit: 0.5 },
    /^fit: give validationData or validationSplit, not both$/,
  ],
];

for (const [name, options, message] of fitCases) {
  t.test(`fit with ${name} rejects`, async (t) =>
    rejectsCoded(t, () => compiled().fit(x, labels, options), BAD_OPTION, message),
  );
}

t.test('predict with batchSize 0 rejects', async (t) =>
  rejectsCoded(
    t,
    () => classifier().predict(x, { batchSize: 0 }),
    BAD_OPTION,
    /^predict: batchSize must be a positive integer, got 0$/,
  ),
);

t.test('sequential rejects an inputShape with a zero, negative or fractional size', async (t) => {
  for (const inputShape of [[0, 3], [4, 1.5], [-1]]) {
    const layers = () => (inputShape.length === 2 ? [lstm({ units: 2 })] : [dense({ units: 2 })]);
    throwsCoded(t, () => sequential(layers(), { inputShape }), BAD_OPTION, /inputShape/);
  }
});

t.test('sequential options null is a coded error', async (t) =>
  throwsCoded(t, () => sequential([dense({ units: 1 })], null as Any), BAD_OPTION, /^sequential: /),
);

t.test('dropout rate NaN says NaN', async (t) =>
  throwsCoded(
    t,
    () => dropout({ rate: Number.NaN }),
    BAD_OPTION,
    /^dropout: rate must be a number in \[0, 1\), got NaN$/,
  ),
);

t.test('fit with validationData of the wrong shape rejects, naming validationData', async (t) =>
  rejectsCoded(
    t,
    () =>
      compiled().fit(x, labels, {
        validationData: [{ data: new Float32Array(6), shape: [1, 3, 2] }, labels],
      }),
    BAD_DATA,
    /^fit: validationData x: expected shape \[N, 5, 2\], got \[1, 3, 2\]$/,
  ),
);

t.test('a strategy whose step resolves to something else than { sum, count } rejects', async (t) => {
  let closed = 0;
  const strategy = {
    name: 'broken',
    step: async () => undefined as Any,
    close: async () => {
      closed++;
    },
  };
  await rejectsCoded(
    t,
    () => compiled().fit(x, labels, { strategy }),
    BAD_OPTION,
    /^fit: strategy 'broken' step resolved to undefined; it must resolve to \{ sum, count \}$/,
  );
  t.equal(closed, 1, 'the strategy is closed all the same');
});

t.test('fit, save, loadModel and importPyTorch reject (never throw) on bad paths', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'recur-validation-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const model = compiled();
  const calls: [string, () => Promise<unknown>, NnErrorCodeValue, RegExp][] = [
    [
      'save(5)',
      () => model.save(5 as Any),
      BAD_OPTION,
      /^save: path must be a non-empty string \(a file path\), got 5$/,
    ],
    ["save('')", () => model.save(''), BAD_OPTION, /^save: path must be a non-empty string/],
    [
      'save with an unknown option',
      () => model.save(join(dir, 'm.ckpt'), { preprocess: {} } as Any),
      BAD_OPTION,
      /^save: unknown option 'preprocess' \(known: preprocessing\)$/,
    ],
    [
      'save into a missing folder',
      () => model.save(join(dir, 'no', 'm.ckpt')),
      NnErrorCode.NOT_FOUND,
      /^cannot write .*m\.ckpt: its folder .*no does not exist; create it first$/,
    ],
    [
      'loadModel of a missing file',
      () => loadModel(join(dir, 'missing.ckpt')),
      NnErrorCode.NOT_FOUND,
      /^checkpoint: no file at .*missing\.ckpt; check the path$/,
    ],
    [
      'loadModel of a folder',
      () => loadModel(dir),
      NnErrorCode.NOT_FOUND,
      /^checkpoint: .* is a folder, not a file; give the file's path$/,
    ],
    [
      'loadModel(undefined)',
      () => (loadModel as Any)(),
      BAD_OPTION,
      /^loadModel: path must be a non-empty string/,
    ],
    [
      'importPyTorch of a missing file',
      () => importPyTorch(model, join(dir, 'missing.safetensors')),
      NnErrorCode.NOT_FOUND,
      /^safetensors file: no file at .*missing\.safetensors; check the path$/,
    ],
    [
      'importPyTorch(model, 5)',
      () => importPyTorch(model, 5 as Any),
      BAD_OPTION,
      /^importPyTorch: source must be a file path \(string\) or the file's bytes \(Uint8Array\), got 5$/,
    ],
    [
      'exportPyTorch into a missing folder',
      () => exportPyTorch(model, join(dir, 'no', 'm.safetensors')),
      NnErrorCode.NOT_FOUND,
      /its folder .*no does not exist/,
    ],
    [
      'fit with a checkpoint into a missing folder',
      () => model.fit(x, labels, { checkpoint: { path: join(dir, 'no', 'm.ckpt') } }),
      NnErrorCode.NOT_FOUND,
      /^cannot write .*m\.ckpt: its folder/,
    ],
  ];
  for (const [name, run, code, message] of calls) {
    let promise: Promise<unknown> | undefined;
    t.doesNotThrow(() => {
      promise = run();
    }, `${name}: no synchronous throw`);
    await t.rejects(promise as Promise<unknown>, { name: 'RecurError', code, message }, name);
  }
  t.same(await readdir(dir), [], 'nothing was written');
});

// ---- initial and final states (states.ts) ----

const stateModel = () => sequential([lstm({ units: 2 }), dense({ units: 1 })], { inputShape: [T, 2] });

const stateCases: [string, () => unknown, RegExp][] = [
  [
    'a layer index out of range',
    () => stateModel().setInitialState(2, { h: [0, 0] }),
    /^setInitialState: layerIndex must be an integer in \[0, 2\), got 2 \(recurrent layers: 0\)$/,
  ],
  [
    'a dense layer',
    () => stateModel().setInitialState(1, { h: [0] }),
    /^setInitialState: layer 1 \(dense\) has no state \(recurrent layers: 0\)$/,
  ],
  [
    'h of the wrong width',
    () => stateModel().setInitialState(0, { h: [0, 0, 0] }),
    /^setInitialState: state\.h has 3 values; expected H = 2 \(every sample\) or a multiple of 2 \(one row per sample\)$/,
  ],
  [
    'h with a shape that does not fit',
    () => stateModel().setInitialState(0, { h: { data: [0, 0, 0, 0], shape: [4, 1] } }),
    /^setInitialState: state\.h must have shape \[2\] or \[N, 2\] matching its 4 values, got shape \[4, 1\]$/,
  ],
  [
    'h that is a string',
    () => stateModel().setInitialState(0, { h: 'zeros' as Any }),
    /^setInitialState: state\.h must be numbers \(an array or typed array of H = 2, or of N·H\), or \{ data, shape: \[N, 2\] \}, got 'zeros'$/,
  ],
  [
    'a NaN in h',
    () => stateModel().setInitialState(0, { h: [0, Number.NaN] }),
    /^setInitialState: state\.h\[1\] is NaN; states must be finite numbers$/,
  ],
  [
    'h and c with different rows',
    () => stateModel().setInitialState(0, { h: [0, 0, 1, 1], c: [0, 0] }),
    /^setInitialState: state\.h has 2 rows but state\.c has 1; give both alike$/,
  ],
  [
    'c on a gru',
    () =>
      sequential([gru({ units: 2 })], { inputShape: [T, 2] }).setInitialState(0, { h: [0, 0], c: [0, 0] }),
    /^setInitialState: state\.c is an lstm cell state; a gru has only h$/,
  ],
  [
    'backward on a one-way layer',
    () => stateModel().setInitialState(0, { h: [0, 0], backward: { h: [0, 0] } }),
    /^setInitialState: unknown state key 'backward' \(backward is for bidirectional layers\) \(known: h, c\)$/,
  ],
  [
    'a state without h',
    () => stateModel().setInitialState(0, { c: [0, 0] } as Any),
    /^setInitialState: state must be \{ h, c\? \}, got \{ c: \[0, 0\] \}$/,
  ],
  [
    "the encoderDecoder's decoder",
    () =>
      encoderDecoder({
        cell: 'gru',
        units: 2,
        inputShape: [T, 2],
        outputSteps: 2,
        outputFeatures: 1,
      }).setInitialState(1, { h: [0, 0] }),
    /^setInitialState: layer 1 is the encoderDecoder's decoder, which starts from the encoder's final state; set layer 0 \(the encoder\)$/,
  ],
  [
    'finalStates of a dense layer',
    () => stateModel().finalStates(1),
    /^finalStates: layer 1 \(dense\) has no state \(recurrent layers: 0\)$/,
  ],
];

for (const [name, run, message] of stateCases) {
  t.test(`${name} is rejected with ${BAD_OPTION}`, async (t) => throwsCoded(t, run, BAD_OPTION, message));
}

t.test('finalStates before any predict is not ready', async (t) =>
  throwsCoded(
    t,
    () => stateModel().finalStates(0),
    NnErrorCode.NOT_READY,
    /^finalStates: call model\.predict\(x\) first; it records every recurrent layer's final states$/,
  ),
);

t.test('a per-sample initial state must have one row per sample', async (t) => {
  const model = compiled();
  model.setInitialState(0, { h: { data: new Float32Array(3 * 4), shape: [3, 4] } });
  const message =
    /^(predict|evaluate|fit): the initial state of layer 0 has 3 rows but the data has 4 samples; give one row per sample, or a single row \(H\) for every sample \(model\.setInitialState\)$/;
  await rejectsCoded(t, () => model.predict(x), BAD_DATA, message);
  await rejectsCoded(t, () => model.evaluate(x, labels), BAD_DATA, message);
  await rejectsCoded(t, () => model.fit(x, labels), BAD_DATA, message);
  model.setInitialState(0, { h: new Float32Array(4 * 4) });
  await rejectsCoded(
    t,
    () => model.fit(x, labels, { validationData: [x, labels] }),
    BAD_OPTION,
    /^fit: a per-sample initial state \(one row per training sample\) cannot start the samples of validationData; use validationSplit, or a single-row state \(H\) for every sample$/,
  );
});

t.test('fit on something that is neither arrays nor a batch source rejects', async (t) => {
  const message =
    /^fit: give arrays \(x, y\), each \{ data, shape \}, or a batch source \{ size \(≥ 1\), hasLengths, fill\(/;
  await rejectsCoded(t, () => compiled().fit({ size: 4, hasLengths: false } as Any), BAD_DATA, message);
  await rejectsCoded(
    t,
    () => compiled().fit({ size: 0, hasLengths: false, fill: () => 0 } as Any),
    BAD_DATA,
    message,
  );
  await rejectsCoded(t, () => compiled().fit(null as Any), BAD_DATA, message);
});
