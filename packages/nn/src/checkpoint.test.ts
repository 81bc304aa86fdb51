// The checkpoint file: bit-exact round trips, atomic save/load through a real folder, one coded
// error for each way a file can be wrong (magic, version, flags, truncation, corruption, header
// limit, header fields, data length), checkLayout's messages and the checks on what is written.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import {
  CHECKPOINT_MAX_HEADER_BYTES,
  type CheckpointContent,
  checkLayout,
  decodeCheckpoint,
  encodeCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
} from './checkpoint.js';
import { Layout } from './layout.js';

const LAYOUT = [
  { name: 'layers.0.weight_ih', shape: [4, 2] },
  { name: 'layers.0.weight_hh', shape: [4, 1] },
  { name: 'layers.0.bias', shape: [4] },
];

/** A content whose floats include -0, subnormals, infinities and extremes. */
function sample(): CheckpointContent {
  const params = Float32Array.from({ length: 16 }, (_, i) => (i - 7.5) / 3);
  params.set(
    [-0, 2 ** -149, -1.2e-40, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 3.4028234663852886e38],
    0,
  );
  return {
    config: { kind: 'sequential', layers: [{ lstm: { units: 1 } }] },
    layout: LAYOUT,
    params,
    optimizer: {
      kind: 'adam',
      step: 12,
      hyper: { lr: 0.001, betas: [0.9, 0.999] },
      state: [params.map((x) => x / 7), params.map((x) => -x * x)],
    },
    rng: { seed: 42, epoch: 3, position: 640 },
    preprocessing: { scaler: { mean: [0.5], std: [2] }, vocabulary: ['<pad>', 'a', 'é'] },
    extra: { history: [{ loss: 1.25 }, { loss: 0.5 }] },
  };
}

const BAD = { code: 'ERR_NN_BAD_CHECKPOINT' };

function bits(view: Float32Array): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** A file from raw parts, with a correct checksum: for files no writer would produce. */
function craft(header: object | string, data: Uint8Array, version = 1, flags = 0): Uint8Array {
  const text = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const preamble = Buffer.alloc(24);
  preamble.write('RECURCKP', 0, 'latin1');
  preamble.writeUInt32LE(version, 8);
  preamble.writeUInt32LE(flags, 12);
  preamble.writeBigUInt64LE(BigInt(text.length), 16);
  const body = Buffer.concat([preamble, text, data]);
  return new Uint8Array(Buffer.concat([body, createHash('sha256').update(body).digest()]));
}

function headerOf(bytes: Uint8Array): { length: number; json: Record<string, unknown> } {
  const length = Number(Buffer.from(bytes).readBigUInt64LE(16));
  return { length, json: JSON.parse(Buffer.from(bytes).toString('utf8', 24, 24 + length)) };
}

t.test('a round trip keeps every float bit (-0, subnormals, infinities) and every JSON field', async (t) => {
  const content = sample();
  const back = decodeCheckpoint(encodeCheckpoint(content), 'memory');
  t.same(bits(back.params), bits(content.params));
  t.ok(Object.is(back.params[0], -0) && back.params[1] === 2 ** -149, '-0 and the smallest subnormal');
  t.equal(back.optimizer?.state.length, 2);
  const states = back.optimizer?.state ?? [];
  t.same(states.map(bits), content.optimizer!.state.map(bits), 'optimizer state bits');
  const { params: _p, optimizer: o1, ...rest } = back;
  const { params: _q, optimizer: o2, ...expected } = content;
  t.same(rest, expected);
  t.same([o1?.kind, o1?.step, o1?.hyper], [o2?.kind, o2?.step, o2?.hyper]);
});

t.test('no optimizer and no extra come back as null and absent', async (t) => {
  const content = { ...sample(), optimizer: null };
  delete content.extra;
  const back = decodeCheckpoint(encodeCheckpoint(content), 'memory');
  t.equal(back.optimizer, null);
  t.notOk('extra' in back);
});

t.test('an empty layout keeps its empty optimizer buffers', async (t) => {
  const content: CheckpointContent = {
    ...sample(),
    layout: [],
    params: new Float32Array(0),
    optimizer: { kind: 'sgd', step: 0, hyper: null, state: [new Float32Array(0), new Float32Array(0)] },
  };
  const back = decodeCheckpoint(encodeCheckpoint(content), 'memory');
  t.same([back.params.length, back.optimizer?.state.length], [0, 2]);
});

t.test('the header holds no floats and the data starts 8-byte aligned', async (t) => {
  const bytes = encodeCheckpoint(sample());
  const { length, json } = headerOf(bytes);
  t.equal((24 + length) % 8, 0);
  t.same(Object.keys(json), [
    'config',
    'layout',
    'optimizer',
    'rng',
    'preprocessing',
    'extra',
    'tensorBytes',
  ]);
  t.same(json.optimizer, {
    kind: 'adam',
    step: 12,
    hyper: { lr: 0.001, betas: [0.9, 0.999] },
    stateCount: 2,
  });
  t.equal(json.tensorBytes, 3 * 16 * 4);
  t.equal(bytes.length, 24 + length + 3 * 16 * 4 + 32);
});

async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'recur-checkpoint-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

t.test('save and load through a real file; a second save replaces the first', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'model.ckpt');
  await saveCheckpoint(path, sample());
  await saveCheckpoint(path, { ...sample(), rng: { seed: 42, epoch: 4, position: 0 } });
  const back = await loadCheckpoint(path);
  t.same(back.rng, { seed: 42, epoch: 4, position: 0 });
  t.same(bits(back.params), bits(sample().params));
  t.same(await readdir(dir), ['model.ckpt'], 'no temporary file left');
});

t.test('a failed save leaves no temporary file and no target', async (t) => {
  const dir = await tempDir(t);
  await t.rejects(saveCheckpoint(join(dir, 'missing', 'model.ckpt'), sample()), {
    name: 'RecurError',
    code: 'ERR_NN_NOT_FOUND',
    message: /^cannot write .*model\.ckpt: its folder .*missing does not exist; create it first$/,
  });
  await mkdir(join(dir, 'taken'));
  await writeFile(join(dir, 'taken', 'keep'), 'x');
  await t.rejects(saveCheckpoint(join(dir, 'taken'), sample()), /EISDIR|ENOTEMPTY|EEXIST|EPERM/);
  await t.rejects(saveCheckpoint(join(dir, 'bad.ckpt'), { ...sample(), params: new Float32Array(3) }), {
    code: 'ERR_NN_LAYOUT_MISMATCH',
  });
  t.same((await readdir(dir)).sort(), ['taken']);
  t.same(await readdir(join(dir, 'taken')), ['keep']);
});

t.test('loading names the file in the error', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'model.ckpt');
  await writeFile(path, 'PK\u0003\u0004 a zip file, not a checkpoint');
  await t.rejects(loadCheckpoint(path), {
    ...BAD,
    message: `${path}: not a recur checkpoint (it starts with [50 4b 03 04 20 61 20 7a], not "RECURCKP"); pass a file saveCheckpoint wrote`,
  });
  await t.rejects(loadCheckpoint(join(dir, 'nope.ckpt')), {
    name: 'RecurError',
    code: 'ERR_NN_NOT_FOUND',
    message: /^checkpoint: no file at .*nope\.ckpt; check the path$/,
  });
});

t.test('the version and flags: newer, unknown and flagged files are refused', async (t) => {
  const data = new Uint8Array(0);
  t.throws(() => decodeCheckpoint(craft({}, data, 2), 'f'), {
    ...BAD,
    message: 'f: written by a newer recur (format 2); this one reads format 1; upgrade recur to load it',
  });
  t.throws(() => decodeCheckpoint(craft({}, data, 0), 'f'), {
    ...BAD,
    message: /unknown checkpoint format 0; this recur reads format 1/,
  });
  t.throws(() => decodeCheckpoint(craft({}, data, 1, 4), 'f'), { ...BAD, message: /unknown flags 0x4/ });
});

t.test('an empty file is refused', async (t) => {
  t.throws(() => decodeCheckpoint(new Uint8Array(0), 'f'), { ...BAD, message: /f: the file is empty/ });
});

t.test('a file truncated anywhere says so, with byte counts', async (t) => {
  const bytes = encodeCheckpoint(sample());
  const { length } = headerOf(bytes);
  const total = bytes.length;
  const cases: [number, RegExp][] = [
    [5, /truncated: 5 bytes, shorter than the 24-byte preamble/],
    [20, /truncated: 20 bytes, shorter than the 24-byte preamble/],
    [
      24 + 10,
      new RegExp(
        `truncated: 34 bytes, but the preamble, a ${length}-byte header and the checksum alone need ${24 + length + 32}`,
      ),
    ],
    [
      24 + length + 100,
      new RegExp(
        `truncated: ${24 + length + 100} bytes, but its header says ${total} \\(${24 + length} bytes of preamble and header, 192 of tensors and 32 of checksum\\)`,
      ),
    ],
    [total - 1, new RegExp(`truncated: ${total - 1} bytes, but its header says ${total}`)],
  ];
  for (const [size, message] of cases) {
    t.throws(() => decodeCheckpoint(bytes.subarray(0, size), 'f'), { ...BAD, message }, `at ${size}`);
  }
});

t.test('bytes appended after the checksum are refused', async (t) => {
  const bytes = encodeCheckpoint(sample());
  const longer = new Uint8Array(bytes.length + 1);
  longer.set(bytes);
  t.throws(() => decodeCheckpoint(longer, 'f'), { ...BAD, message: /something was appended to it/ });
});

t.test('one flipped byte in the data, the header or the checksum is a checksum error', async (t) => {
  const bytes = encodeCheckpoint(sample());
  const { length } = headerOf(bytes);
  const configAt = Buffer.from(bytes).indexOf('sequential', 24);
  for (const [where, at] of [
    ['data', 24 + length + 50],
    ['header', configAt],
    ['checksum', bytes.length - 1],
  ] as const) {
    const copy = bytes.slice();
    copy[at]! ^= 0x01;
    t.throws(
      () => decodeCheckpoint(copy, 'f'),
      {
        ...BAD,
        message:
          /^f: checksum mismatch: the file is corrupted \(its SHA-256 is [0-9a-f]{64}, the file records [0-9a-f]{64}\); use an intact copy$/,
      },
      where,
    );
  }
});

t.test('the header limit: MAX+1 is refused before anything is read, MAX is not', async (t) => {
  const preamble = craft('', new Uint8Array(0)).subarray(0, 24);
  const view = new DataView(preamble.buffer, preamble.byteOffset, 24);
  view.setBigUint64(16, BigInt(CHECKPOINT_MAX_HEADER_BYTES + 1), true);
  t.throws(() => decodeCheckpoint(preamble, 'f'), {
    code: 'ERR_NN_LIMIT_EXCEEDED',
    message: /^f: checkpoint header length 67108865 is over CHECKPOINT_MAX_HEADER_BYTES \(67108864\)/,
  });
  view.setBigUint64(16, BigInt(CHECKPOINT_MAX_HEADER_BYTES), true);
  t.throws(() => decodeCheckpoint(preamble, 'f'), { ...BAD, message: /truncated/ });
});

t.test('maxHeaderBytes: a header one byte over the limit is refused on writing and reading', async (t) => {
  const bytes = encodeCheckpoint(sample());
  const { length } = headerOf(bytes);
  t.throws(() => encodeCheckpoint(sample(), { maxHeaderBytes: length - 1 }), {
    code: 'ERR_NN_LIMIT_EXCEEDED',
  });
  t.throws(() => decodeCheckpoint(bytes, 'f', { maxHeaderBytes: length - 1 }), {
    code: 'ERR_NN_LIMIT_EXCEEDED',
  });
  t.doesNotThrow(() =>
    decodeCheckpoint(encodeCheckpoint(sample(), { maxHeaderBytes: length }), 'f', { maxHeaderBytes: length }),
  );
  t.throws(() => encodeCheckpoint(sample(), { maxHeaderBytes: 1.5 }), { code: 'ERR_NN_BAD_OPTION' });
});

const GOOD_HEADER = {
  config: null,
  layout: [{ name: 'w', shape: [2] }],
  optimizer: null,
  rng: { seed: 1, epoch: 0, position: 0 },
  preprocessing: null,
  tensorBytes: 8,
};
const EIGHT = new Uint8Array(8);

t.test('a crafted file with a good checksum reads', async (t) => {
  t.same(decodeCheckpoint(craft(GOOD_HEADER, EIGHT), 'f').layout, GOOD_HEADER.layout);
});

const BAD_HEADERS: [string, string | object, Uint8Array, RegExp][] = [
  [
    'header not JSON',
    '{"config": ',
    EIGHT,
    /header is not valid JSON \(.*\); the file is corrupted; use an intact copy/,
  ],
  ['header not an object', '[1]', EIGHT, /header is not a JSON object/],
  [
    'tensorBytes missing',
    { ...GOOD_HEADER, tensorBytes: undefined },
    EIGHT,
    /header tensorBytes is undefined, not a byte count/,
  ],
  ['a field missing', { ...GOOD_HEADER, rng: undefined }, EIGHT, /header has no rng/],
  [
    'a bad layout row',
    { ...GOOD_HEADER, layout: [{ name: 'w', shape: [-2] }] },
    EIGHT,
    /layout row 0 is .*, not \{name, shape\}/,
  ],
  [
    'a bad step',
    { ...GOOD_HEADER, optimizer: { kind: 'sgd', step: -1, hyper: null, stateCount: 0 } },
    EIGHT,
    /optimizer.step is -1/,
  ],
  ['a bad rng', { ...GOOD_HEADER, rng: { seed: 1, epoch: 0.5, position: 0 } }, EIGHT, /rng.epoch is 0.5/],
  [
    'data length not the layout',
    { ...GOOD_HEADER, tensorBytes: 12 },
    new Uint8Array(12),
    /data length inconsistent with the layout: the header says 12 tensor bytes, but 2 floats for params and 0 optimizer buffers need 8/,
  ],
  [
    'data length without the optimizer buffers',
    { ...GOOD_HEADER, optimizer: { kind: 'adam', step: 1, hyper: null, stateCount: 2 } },
    EIGHT,
    /says 8 tensor bytes, but 2 floats for params and 2 optimizer buffers need 24/,
  ],
];

for (const [name, header, data, message] of BAD_HEADERS) {
  t.test(`a file with a good checksum but a bad header is refused: ${name}`, async (t) => {
    t.throws(() => decodeCheckpoint(craft(header, data), 'f'), { ...BAD, message });
  });
}

t.test('checkLayout accepts the same rows and names the first differing row', async (t) => {
  const content = { layout: LAYOUT };
  t.doesNotThrow(() => checkLayout(content, new Layout(LAYOUT)));
  const code = 'ERR_NN_LAYOUT_MISMATCH';
  const other = new Layout([
    LAYOUT[0]!,
    { name: 'layers.0.weight_hh', shape: [3, 1] },
    { name: 'x', shape: [4] },
  ]);
  t.throws(() => checkLayout(content, other), {
    code,
    message:
      "checkpoint does not fit the model: row 1 'layers.0.weight_hh': checkpoint has (4, 1), model has (3, 1); " +
      "build the model from the checkpoint's config, or load a checkpoint of this model",
  });
  const renamed = new Layout([...LAYOUT.slice(0, 2), { name: 'layers.0.b', shape: [4] }]);
  t.throws(() => checkLayout(content, renamed), {
    code,
    message: /row 2: checkpoint has 'layers.0.bias' \(4\), model has 'layers.0.b' \(4\)/,
  });
  t.throws(() => checkLayout(content, new Layout(LAYOUT.slice(0, 2))), {
    code,
    message: /checkpoint has 3 layout rows, model has 2 \(the first 2 agree\)/,
  });
  t.throws(() => checkLayout(content, new Layout([...LAYOUT, { name: 'y', shape: [] }])), {
    code,
    message: /checkpoint has 3 layout rows, model has 4/,
  });
});

const BAD_CONTENT: [string, (c: CheckpointContent) => unknown, string, RegExp][] = [
  [
    'params too short',
    (c) => ({ ...c, params: new Float32Array(15) }),
    'ERR_NN_LAYOUT_MISMATCH',
    /content.params has 15 floats; the layout holds 16/,
  ],
  [
    'params not float32',
    (c) => ({ ...c, params: new Float64Array(16) }),
    'ERR_NN_BAD_OPTION',
    /content.params must be a Float32Array/,
  ],
  [
    'a state buffer too long',
    (c) => ({ ...c, optimizer: { ...c.optimizer, state: [new Float32Array(16), new Float32Array(17)] } }),
    'ERR_NN_LAYOUT_MISMATCH',
    /content.optimizer.state\[1\] has 17 floats; the layout holds 16/,
  ],
  [
    'config undefined',
    (c) => ({ ...c, config: undefined }),
    'ERR_NN_BAD_OPTION',
    /content.config is undefined; pass null/,
  ],
  [
    'preprocessing undefined',
    (c) => ({ ...c, preprocessing: undefined }),
    'ERR_NN_BAD_OPTION',
    /content.preprocessing is undefined/,
  ],
  [
    'a negative epoch',
    (c) => ({ ...c, rng: { ...c.rng, epoch: -1 } }),
    'ERR_NN_BAD_OPTION',
    /rng.epoch is -1, not a non-negative integer/,
  ],
  [
    'a layout row without a shape',
    (c) => ({ ...c, layout: [{ name: 'w' }] }),
    'ERR_NN_BAD_OPTION',
    /layout row 0 is \{"name":"w"\}/,
  ],
  [
    'extra not JSON',
    (c) => ({ ...c, extra: { n: 1n } }),
    'ERR_NN_BAD_OPTION',
    /is not plain JSON \(.*BigInt/,
  ],
];

for (const [name, change, code, message] of BAD_CONTENT) {
  t.test(`writing refuses bad content: ${name}`, async (t) => {
    const content = change(sample()) as CheckpointContent;
    t.throws(() => encodeCheckpoint(content), {
      code,
      message: new RegExp(`^cannot write checkpoint: .*${message.source}`),
    });
  });
}

t.test('the bytes on disk are exactly the encoded bytes', async (t) => {
  const dir = await tempDir(t);
  await saveCheckpoint(join(dir, 'a.ckpt'), sample());
  t.same(new Uint8Array(await readFile(join(dir, 'a.ckpt'))), encodeCheckpoint(sample()));
});
