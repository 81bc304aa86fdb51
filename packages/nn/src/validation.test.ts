// Every public constructor and option rejects bad values with a coded error whose message names
// the option and, where there is a list, the accepted values (issue 3, "Validation"). One case per
// test; each asserts the code and the message.
import t, { type Test } from 'tap';
import { NnErrorCode, type NnErrorCodeValue, RecurError } from './errors.js';
import type { Layer } from './layer.js';
import { bidirectional } from './layers/bidirectional.js';
import { dense } from './layers/dense.js';
import { dropout } from './layers/dropout.js';
import { embedding } from './layers/embedding.js';
import { gru, lstm, type RecurrentOptions, simpleRNN } from './layers/recurrent.js';
import { sequential } from './model.js';
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
    /^dense: inputShape must be \[features\] or \[steps, features\], got \[2,3,4\]$/,
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
    /^embedding: inputShape must be \[steps\], got \[3,4\]$/,
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
