// The safetensors container: round trips of every writable dtype, the Python-written fixture, F16
// and BF16 widening, the header limit, and one coded error for each kind of malformed file.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import {
  decodeSafetensors,
  encodeSafetensors,
  readSafetensorsFile,
  SAFETENSORS_MAX_HEADER_BYTES,
  type SafetensorsTensor,
  writeSafetensorsFile,
} from './safetensors.js';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '../../../kernels/fixtures/optim.safetensors');

/** A file from a header object (or raw header text) and data bytes. */
function craft(header: object | string | Uint8Array, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const text =
    header instanceof Uint8Array
      ? header
      : Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(text.length));
  return new Uint8Array(Buffer.concat([length, text, data]));
}

function sample(): Map<string, SafetensorsTensor> {
  return new Map<string, SafetensorsTensor>([
    ['w', { dtype: 'F32', shape: [2, 3], data: Float32Array.from([1.5, -0, 3e-42, Number.NaN, 5, -6]) }],
    ['d', { dtype: 'F64', shape: [3], data: Float64Array.from([1e-310, -2, Math.PI]) }],
    ['i', { dtype: 'I32', shape: [1, 2], data: Int32Array.from([-7, 2 ** 31 - 1]) }],
    ['l', { dtype: 'I64', shape: [2], data: BigInt64Array.from([-(2n ** 63n), 42n]) }],
    ['empty', { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) }],
    ['scalar', { dtype: 'F64', shape: [], data: Float64Array.from([0.5]) }],
  ]);
}

const ERR = { code: 'ERR_NN_BAD_WEIGHTS' };

t.test('a round trip gives back every dtype, shape and bit, and the metadata', async (t) => {
  const tensors = sample();
  const bytes = encodeSafetensors(tensors, { format: 'pt', by: 'test' });
  const { tensors: back, metadata } = decodeSafetensors(bytes, 'memory');
  t.same(metadata, { format: 'pt', by: 'test' });
  t.same([...back.keys()], [...tensors.keys()]);
  for (const [name, tensor] of tensors) {
    const got = back.get(name)!;
    t.same([got.dtype, got.shape], [tensor.dtype, tensor.shape], name);
    t.ok(got.data instanceof tensor.data.constructor, `${name} type`);
    t.same(bytesOf(got.data), bytesOf(tensor.data), `${name} bits`);
  }
});

t.test('the data starts 8-byte aligned and offsets follow the map order', async (t) => {
  const bytes = encodeSafetensors(sample());
  const length = Number(Buffer.from(bytes).readBigUInt64LE(0));
  t.equal((8 + length) % 8, 0);
  const header = JSON.parse(Buffer.from(bytes).toString('utf8', 8, 8 + length));
  t.same(header.w.data_offsets, [0, 24]);
  t.same(header.d.data_offsets, [24, 48]);
  t.notOk('__metadata__' in header, 'no empty metadata');
});

t.test('reads the Python-written optimizer fixture, checked against a hand decode', async (t) => {
  const { tensors, metadata } = await readSafetensorsFile(FIXTURE);
  t.equal(metadata.generator, 'scripts/fixtures/gen_optim_fixtures.py');
  const raw = await readFile(FIXTURE);
  const dataStart = 8 + Number(raw.readBigUInt64LE(0));
  const header = JSON.parse(raw.toString('utf8', 8, dataStart));
  let mismatches = 0;
  for (const [name, entry] of Object.entries(header) as [
    string,
    { shape: number[]; data_offsets: number[] },
  ][]) {
    if (name === '__metadata__') continue;
    const got = tensors.get(name)!;
    if (got.dtype !== 'F64' || got.shape.join() !== entry.shape.join()) mismatches++;
    for (let i = 0; i < got.data.length; i++) {
      if (got.data[i] !== raw.readDoubleLE(dataStart + entry.data_offsets[0]! + 8 * i)) mismatches++;
    }
  }
  t.equal(tensors.size, Object.keys(header).length - 1);
  t.equal(mismatches, 0);
});

t.test('F16 and BF16 are read into Float32Array, with their source dtype', async (t) => {
  const half = Uint16Array.from([0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x7c00, 0x8000, 0x7e00]);
  const brain = Uint16Array.from([0x3f80, 0xc000, 0x7f80, 0x0001]);
  const bytes = craft(
    {
      h: { dtype: 'F16', shape: [8], data_offsets: [0, 16] },
      b: { dtype: 'BF16', shape: [2, 2], data_offsets: [16, 24] },
    },
    Buffer.concat([bytesOf(half), bytesOf(brain)]),
  );
  const { tensors } = decodeSafetensors(bytes, 'halves');
  const h = tensors.get('h')!;
  t.same([h.dtype, h.sourceDtype], ['F32', 'F16']);
  t.same([...h.data], [1, -2, 0.5, 65504, 2 ** -24, Number.POSITIVE_INFINITY, -0, Number.NaN]);
  t.ok(Object.is(h.data[6], -0), 'negative zero kept');
  const b = tensors.get('b')!;
  t.same([b.sourceDtype, [...b.data]], ['BF16', [1, -2, Number.POSITIVE_INFINITY, 2 ** -133]]);
});

t.test('reads data at an unaligned offset', async (t) => {
  const values = Float64Array.from([1, 2, 3]);
  const header = '{"x":{"dtype":"F64","shape":[3],"data_offsets":[0,24]}}';
  t.not((8 + header.length) % 8, 0);
  const bytes = craft(header, bytesOf(values));
  t.same([...decodeSafetensors(bytes, 'unaligned').tensors.get('x')!.data], [1, 2, 3]);
});

t.test('writes atomically to a real file and reads it back', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'recur-safetensors-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'model.safetensors');
  await writeSafetensorsFile(path, sample(), { a: 'b' });
  const back = await readSafetensorsFile(path);
  t.same(back.metadata, { a: 'b' });
  t.same(bytesOf(back.tensors.get('w')!.data), bytesOf(sample().get('w')!.data));
  t.same(await readdir(dir), ['model.safetensors'], 'no temporary file left');
});

t.test('a failed write leaves neither the target nor a temporary file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'recur-safetensors-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await t.rejects(writeSafetensorsFile(join(dir, 'missing', 'x.safetensors'), sample()), {
    name: 'RecurError',
    code: 'ERR_NN_NOT_FOUND',
    message: /its folder .*missing does not exist/,
  });
  const bad = new Map([['x', { dtype: 'F32', shape: [2], data: new Float32Array(3) } as SafetensorsTensor]]);
  await t.rejects(writeSafetensorsFile(join(dir, 'x.safetensors'), bad), ERR);
  t.same(await readdir(dir), []);
});

t.test('the header limit: MAX+1 is refused before any allocation, MAX is not', async (t) => {
  const over = Buffer.alloc(8);
  over.writeBigUInt64LE(BigInt(SAFETENSORS_MAX_HEADER_BYTES + 1));
  t.throws(() => decodeSafetensors(over, 'big'), {
    code: 'ERR_NN_LIMIT_EXCEEDED',
    message: /big: safetensors header length 100000001 is over SAFETENSORS_MAX_HEADER_BYTES \(100000000\)/,
  });
  const at = Buffer.alloc(8);
  at.writeBigUInt64LE(BigInt(SAFETENSORS_MAX_HEADER_BYTES));
  t.throws(() => decodeSafetensors(at, 'at'), { ...ERR, message: /exceeds the 0 bytes after it/ });
  const small = encodeSafetensors(sample());
  const length = Number(Buffer.from(small).readBigUInt64LE(0));
  t.throws(() => decodeSafetensors(small, 's', { maxHeaderBytes: length - 1 }), {
    code: 'ERR_NN_LIMIT_EXCEEDED',
  });
  t.doesNotThrow(() => decodeSafetensors(small, 's', { maxHeaderBytes: length }));
  t.throws(() => encodeSafetensors(sample(), {}, { maxHeaderBytes: length - 1 }), {
    code: 'ERR_NN_LIMIT_EXCEEDED',
  });
  t.throws(() => decodeSafetensors(small, 's', { maxHeaderBytes: 0 }), { code: 'ERR_NN_BAD_OPTION' });
});

const entry = (over: object) => ({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8], ...over } });
const BAD_FILES: [string, Uint8Array, RegExp][] = [
  ['shorter than 8 bytes', new Uint8Array(5), /5 bytes, shorter than the 8-byte header length/],
  [
    'header length beyond the file',
    craft('{}').subarray(0, 9),
    /header length 2 exceeds the 1 bytes after it/,
  ],
  ['header not JSON', craft('{"x": '), /header is not UTF-8 JSON/],
  ['header not UTF-8', craft(Uint8Array.from([0x7b, 0xff, 0x7d])), /header is not UTF-8 JSON \(.*utf-8/],
  ['header an array', craft('[]'), /header is not a JSON object/],
  ['metadata not strings', craft({ __metadata__: { n: 1 } }), /__metadata__ "n" is number, not a string/],
  ['tensor not an object', craft({ x: 3 }), /tensor "x" is not an object/],
  [
    'unknown dtype',
    craft(entry({ dtype: 'U8' }), new Uint8Array(8)),
    /tensor "x" has dtype "U8"; this reader knows F32/,
  ],
  ['prototype dtype', craft(entry({ dtype: 'constructor' }), new Uint8Array(8)), /has dtype "constructor"/],
  [
    'negative dim',
    craft(entry({ shape: [2, -1] }), new Uint8Array(8)),
    /shape \[2,-1\], not a list of non-negative/,
  ],
  ['fractional dim', craft(entry({ shape: [1.5] }), new Uint8Array(8)), /shape \[1.5\], not a list/],
  [
    'offsets reversed',
    craft(entry({ data_offsets: [8, 0] }), new Uint8Array(8)),
    /data_offsets \[8,0\], not \[begin, end\]/,
  ],
  [
    'offsets too short',
    craft(entry({ data_offsets: [0] }), new Uint8Array(8)),
    /data_offsets \[0\], not \[begin, end\]/,
  ],
  [
    'size not shape x dtype',
    craft(entry({ data_offsets: [0, 12] }), new Uint8Array(12)),
    /hold 12 bytes; shape \[2\] of F32 needs 8/,
  ],
  [
    'data past the end',
    craft(entry({}), new Uint8Array(7)),
    /ends at data byte 8, past the 7 data bytes; the file is truncated/,
  ],
  [
    'overlapping tensors',
    craft({ ...entry({}), y: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)),
    /tensors "x" \[0, 8\] and "y" \[4, 8\] overlap/,
  ],
];

for (const [name, bytes, message] of BAD_FILES) {
  t.test(`a bad file is refused with a coded error: ${name}`, async (t) => {
    t.throws(() => decodeSafetensors(bytes, 'f.safetensors'), { ...ERR, message });
    t.throws(() => decodeSafetensors(bytes, 'f.safetensors'), {
      message: /^f\.safetensors: not a valid safetensors file: /,
    });
  });
}

t.test('a file path names the file in the error', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'recur-safetensors-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'bad.safetensors');
  await writeSafetensorsFile(path, new Map());
  await t.rejects(readSafetensorsFile(join(dir, 'nope')), {
    name: 'RecurError',
    code: 'ERR_NN_NOT_FOUND',
    message: /^safetensors file: no file at .*nope; check the path$/,
  });
  const { writeFile } = await import('node:fs/promises');
  await writeFile(path, craft('nope'));
  await t.rejects(readSafetensorsFile(path), {
    ...ERR,
    message: new RegExp(`^${escapeRegExp(path)}: not a valid`),
  });
});

const BAD_TENSORS: [string, SafetensorsTensor, RegExp][] = [
  [
    'unknown dtype',
    { dtype: 'F16' as 'F32', shape: [1], data: new Float32Array(1) },
    /dtype "F16"; writable: F32/,
  ],
  [
    'data of another type',
    { dtype: 'F64', shape: [1], data: new Float32Array(1) },
    /is F64 but its data is not a Float64Array/,
  ],
  ['bad shape', { dtype: 'F32', shape: [-1], data: new Float32Array(1) }, /shape \[-1\], not a list/],
  [
    'length not the shape',
    { dtype: 'I32', shape: [2, 2], data: new Int32Array(3) },
    /shape \[2,2\] \(4 values\) but 3 values/,
  ],
];

for (const [name, tensor, message] of BAD_TENSORS) {
  t.test(`writing refuses a bad tensor: ${name}`, async (t) => {
    t.throws(() => encodeSafetensors(new Map([['x', tensor]])), { ...ERR, message });
  });
}

t.test('writing refuses the reserved name and non-string metadata', async (t) => {
  const tensor = sample().get('w')!;
  t.throws(() => encodeSafetensors(new Map([['__metadata__', tensor]])), {
    ...ERR,
    message: /name is reserved/,
  });
  t.throws(() => encodeSafetensors(new Map(), { n: 3 as unknown as string }), {
    ...ERR,
    message: /"n" is number/,
  });
});

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
