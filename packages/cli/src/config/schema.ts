// The one schema of a recur config (JSON). Every key has a documented default (README.md,
// "Config reference"); unknown keys are errors, so a misspelled key never passes silently.
// Tasks: forecast (many-to-one), seq2seq (encoder–decoder, multi-step), classify (text →
// label, many-to-one), tag (token → tag, many-to-many), language-model (next token; one-to-many
// generation at inference).
import { z } from 'zod';

const positiveInt = z.int().min(1);

/** Limit: samples per step (training.batchSize, --batch-size). */
export const MAX_BATCH_SIZE = 65_536;
/** Limit: units of a recurrent layer and embedding width (model.units, model.embedding). */
export const MAX_UNITS = 4096;
const fraction = z.number().min(0).max(1);

/** The real data sets that @recur/examples loads, by the name a config gives. */
export const TABLE_DATASETS = [
  'seattle-weather',
  'weather',
  'sp500',
  'co2-concentration',
  'sensor-network',
] as const;
export const TEXT_DATASETS = ['moby-dick', 'sotu'] as const;
export const CLASSIFICATION_DATASETS = ['imdb'] as const;
export const TAGGING_DATASETS = ['brown'] as const;

const split = z
  .strictObject({
    train: fraction.default(0.7),
    validation: fraction.default(0.15),
    test: fraction.default(0.15),
  })
  .refine((s) => Math.abs(s.train + s.validation + s.test - 1) < 1e-9, {
    message: 'train + validation + test must be 1',
  })
  .refine((s) => s.train > 0 && s.validation > 0 && s.test > 0, {
    message: 'train, validation and test must each be above 0',
  });

const tableSource = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('dataset'), name: z.enum(TABLE_DATASETS) }),
  z.strictObject({
    kind: z.literal('csv'),
    path: z.string().min(1),
    /** missing values: 'error' (default), 'nan', 'drop-row', 'previous' */
    missing: z.enum(['error', 'drop-row', 'previous']).default('error'),
    delimiter: z.string().length(1).default(','),
  }),
]);

const derive = z
  .strictObject({
    /** the new column's name */
    name: z.string().min(1),
    /** the column it is computed from */
    from: z.string().min(1),
    /**
     * logReturn: ln(x_t / x_{t−1}); difference: x_t − x_{t−1} (both drop the first row); log: ln(x_t);
     * logRatio: ln(x_t / y_t) with y the column `over` (e.g. a day's range ln(high / low))
     */
    op: z.enum(['logReturn', 'difference', 'log', 'logRatio']),
    over: z.string().min(1).optional(),
  })
  .refine((d) => (d.op === 'logRatio') === (d.over !== undefined), {
    message: "'over' names the divisor column of op logRatio, and only of it",
    path: ['over'],
  });

const seriesData = {
  source: tableSource,
  /** rows of one location only (weather.csv has two), by a text column's value */
  where: z.record(z.string(), z.string()).optional(),
  /** the time column (the report's axis); default the first named date, datetime, timestamp or time, any case */
  time: z.string().min(1).optional(),
  derive: z.array(derive).default([]),
  inputs: z.array(z.string().min(1)).min(1),
  target: z.string().min(1),
  /**
   * what the model predicts: 'level' (the target's value), 'change' (its change from the window's
   * last value, added back for the score), 'auto' (change where the validation split leaves the
   * training range of the target, level otherwise); see README "Target modes"
   */
  targetMode: z.enum(['auto', 'level', 'change']).default('auto'),
  /** rows per season (12 for months, 7 for days of a week): adds the seasonal naive baselines */
  season: positiveInt.optional(),
  window: positiveInt.default(30),
  split: split.default({ train: 0.7, validation: 0.15, test: 0.15 }),
  scaler: z.enum(['zscore', 'minmax']).default('zscore'),
  /** at most this many windows per split (smoke runs) */
  limit: positiveInt.optional(),
};

const recurrentModel = {
  cell: z.enum(['lstm', 'gru', 'simpleRNN']).default('lstm'),
  units: positiveInt.max(MAX_UNITS).default(32),
  /** stacked recurrent layers */
  layers: positiveInt.max(8).default(1),
  bidirectional: z.boolean().default(false),
  /** dropout between layers, in [0, 1) */
  dropout: z.number().min(0).lt(1).default(0),
};

const textModel = {
  ...recurrentModel,
  /** embedding width */
  embedding: positiveInt.max(MAX_UNITS).default(32),
};

/** Keras' monitor direction: 'auto' is max for accuracy, min for losses and errors. */
const monitorMode = z.enum(['auto', 'min', 'max']).default('auto');

/** @recur/nn's earlyStopping (Keras' EarlyStopping), with its defaults. */
const earlyStopping = z.strictObject({
  monitor: z.string().min(1).default('val_loss'),
  mode: monitorMode,
  patience: z.int().min(0).default(0),
  minDelta: z.number().min(0).default(0),
  /** nn's option, accepted for Keras users; `recur train` scores best.ckpt either way */
  restoreBestWeights: z.boolean().default(false),
  baseline: z.number().optional(),
  startFromEpoch: z.int().min(0).default(0),
});

/** @recur/nn's reduceLROnPlateau (Keras' ReduceLROnPlateau), with its defaults. */
const reduceLrOnPlateau = z.strictObject({
  monitor: z.string().min(1).default('val_loss'),
  mode: monitorMode,
  factor: z.number().gt(0).lt(1).default(0.1),
  patience: z.int().min(0).default(10),
  minDelta: z.number().min(0).default(1e-4),
  cooldown: z.int().min(0).default(0),
  minLr: z.number().min(0).default(0),
});

/** @recur/nn's learning-rate schedules, counted in optimizer steps (config/load checks them against learningRate). */
const warmupSteps = z.int().min(0).default(0);
const decay = z.number().gt(0).max(1);
const schedule = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('constant'), warmupSteps }),
  z.strictObject({ kind: z.literal('step'), stepSize: positiveInt, gamma: decay.default(0.1), warmupSteps }),
  z.strictObject({
    kind: z.literal('cosine'),
    totalSteps: positiveInt,
    minLr: z.number().min(0).default(0),
    warmupSteps,
  }),
  z.strictObject({ kind: z.literal('exponential'), gamma: decay, warmupSteps }),
]);

const training = z
  .strictObject({
    epochs: positiveInt.default(10),
    batchSize: positiveInt.max(MAX_BATCH_SIZE).default(32),
    optimizer: z.enum(['adam', 'adamw', 'sgd', 'rmsprop']).default('adam'),
    learningRate: z.number().gt(0).default(0.001),
    /** global gradient-norm clipping; 0 turns it off */
    clipNorm: z.number().min(0).default(1),
    /** worker threads (@recur/parallel); 1 trains on the calling thread */
    threads: positiveInt.max(256).default(1),
    /** micro-batches per thread per step (@recur/parallel's accumulate); > 1 trains on threads */
    accumulate: positiveInt.max(1024).default(1),
    /** threads take what is left of slower threads' micro-batches (@recur/parallel's balance) */
    balance: z.boolean().default(false),
    seed: z.int().min(0).default(1),
    /** stop when the monitored value stops improving (off unless given) */
    earlyStopping: earlyStopping.optional(),
    /** lower the learning rate when the monitored value stops improving (off unless given) */
    reduceLrOnPlateau: reduceLrOnPlateau.optional(),
    /** learning-rate schedule over optimizer steps (default constant) */
    schedule: schedule.optional(),
  })
  .default({
    epochs: 10,
    batchSize: 32,
    optimizer: 'adam',
    learningRate: 0.001,
    clipNorm: 1,
    threads: 1,
    accumulate: 1,
    balance: false,
    seed: 1,
  });

/** Read by `recur coordinator` / `recur worker` (the cluster issue); `recur train` trains locally. */
const cluster = z
  .strictObject({
    /** host:port the coordinator listens on */
    listen: z.string().min(1).optional(),
    /** ws:// or wss:// address workers connect to */
    coordinator: z.string().min(1).optional(),
    /** nodes to wait for before step 1; at most 64, the cap on members */
    minNodes: positiveInt.max(64).optional(),
    /** threads per node */
    threadsPerNode: positiveInt.optional(),
    /** a worker's gradient in pieces of at least this many bytes, sent as layers finish (0: whole) */
    bucketBytes: z.int().min(0).optional(),
  })
  .optional();

const common = {
  /** names the run folder and the report */
  name: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, dot, dash and underscore')
    .min(1)
    .refine((name) => name !== '.' && name !== '..', {
      message:
        "'.' and '..' are not run names: the run folder runs/<name> would be runs/ itself or the folder above it",
    }),
  description: z.string().optional(),
  /** run folder; default runs/<name> */
  output: z.string().min(1).optional(),
  training,
  cluster,
  $schema: z.string().optional(),
};

const forecast = z.strictObject({
  ...common,
  task: z.literal('forecast'),
  data: z.strictObject({ ...seriesData, horizon: positiveInt.default(1) }),
  model: z
    .strictObject(recurrentModel)
    .default({ cell: 'lstm', units: 32, layers: 1, bidirectional: false, dropout: 0 }),
});

const seq2seq = z.strictObject({
  ...common,
  task: z.literal('seq2seq'),
  data: z.strictObject({ ...seriesData, horizon: positiveInt.default(7) }),
  model: z
    .strictObject({ cell: recurrentModel.cell, units: recurrentModel.units })
    .default({ cell: 'lstm', units: 32 }),
});

const recordSplit = split.default({ train: 0.8, validation: 0.1, test: 0.1 });

const classify = z.strictObject({
  ...common,
  task: z.literal('classify'),
  data: z.strictObject({
    source: z.discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('dataset'), name: z.enum(CLASSIFICATION_DATASETS) }),
      z.strictObject({
        kind: z.literal('jsonl'),
        path: z.string().min(1),
        textField: z.string().min(1).default('text'),
        labelField: z.string().min(1).default('label'),
      }),
    ]),
    tokenizer: z.enum(['word', 'char']).default('word'),
    vocabularySize: positiveInt.min(3).default(20000),
    /** tokens per text; longer texts keep their first maxLength tokens */
    maxLength: positiveInt.default(200),
    split: recordSplit,
    /** at most this many texts per split (smoke runs) */
    limit: positiveInt.optional(),
  }),
  model: z
    .strictObject(textModel)
    .default({ cell: 'gru', units: 32, layers: 1, bidirectional: true, dropout: 0, embedding: 32 }),
});

const tag = z.strictObject({
  ...common,
  task: z.literal('tag'),
  data: z.strictObject({
    source: z.discriminatedUnion('kind', [
      z.strictObject({
        kind: z.literal('dataset'),
        name: z.enum(TAGGING_DATASETS),
        tagset: z.enum(['universal', 'base']).default('universal'),
      }),
      /** a text file, one sentence a line, tokens `word/tag` (split at the last /) */
      z.strictObject({ kind: z.literal('tagged'), path: z.string().min(1) }),
    ]),
    lowercase: z.boolean().default(true),
    vocabularySize: positiveInt.min(3).default(20000),
    maxLength: positiveInt.default(60),
    split: recordSplit,
    limit: positiveInt.optional(),
  }),
  model: z
    .strictObject(textModel)
    .default({ cell: 'lstm', units: 64, layers: 1, bidirectional: true, dropout: 0, embedding: 64 }),
});

const languageModel = z.strictObject({
  ...common,
  task: z.literal('language-model'),
  data: z.strictObject({
    source: z.discriminatedUnion('kind', [
      z.strictObject({
        kind: z.literal('dataset'),
        name: z.enum(TEXT_DATASETS),
        from: z.int().optional(),
        to: z.int().optional(),
      }),
      /** a text file, or a folder of .txt files (read in path order) */
      z.strictObject({ kind: z.literal('text'), path: z.string().min(1) }),
      /** a shard pack (`recur data pack` of a language-model config): train/, validation/, test/, preprocessing.json */
      z.strictObject({ kind: z.literal('shards'), path: z.string().min(1) }),
    ]),
    /** write the splits as a shard pack once (path default: <run folder>/pack) and train from it */
    pack: z
      .strictObject({
        path: z.string().min(1).optional(),
        samplesPerShard: positiveInt.default(8192),
      })
      .optional(),
    tokenizer: z.enum(['char', 'word']).default('char'),
    vocabularySize: positiveInt.min(3).default(20000),
    sequenceLength: positiveInt.default(100),
    /** use only the first maxTokens tokens of the corpus */
    maxTokens: positiveInt.optional(),
    split: split.default({ train: 0.9, validation: 0.05, test: 0.05 }),
    limit: positiveInt.optional(),
  }),
  model: z
    .strictObject({ ...textModel, layers: recurrentModel.layers.default(2) })
    .default({ cell: 'lstm', units: 64, layers: 2, bidirectional: false, dropout: 0, embedding: 32 }),
  generate: z
    .strictObject({
      prompt: z.string().min(1).default('The '),
      steps: positiveInt.default(200),
      temperature: z.number().gt(0).default(0.8),
      topK: z.int().min(0).default(0),
      samples: positiveInt.max(20).default(3),
    })
    .default({ prompt: 'The ', steps: 200, temperature: 0.8, topK: 0, samples: 3 }),
});

export const configSchema = z.discriminatedUnion('task', [forecast, seq2seq, classify, tag, languageModel]);

export type Config = z.infer<typeof configSchema>;
export type ForecastConfig = z.infer<typeof forecast>;
export type Seq2SeqConfig = z.infer<typeof seq2seq>;
export type SeriesConfig = ForecastConfig | Seq2SeqConfig;
export type ClassifyConfig = z.infer<typeof classify>;
export type TagConfig = z.infer<typeof tag>;
export type LanguageModelConfig = z.infer<typeof languageModel>;
export type TaskName = Config['task'];
export const TASKS: readonly TaskName[] = ['forecast', 'seq2seq', 'classify', 'tag', 'language-model'];
