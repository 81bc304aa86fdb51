// The fixture reader: reads F64 and F32 tensors (at any data alignment), skips __metadata__,
// and names the file and the problem for every kind of malformed file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { readSafetensors } from './safetensors.js';

const dir = mkdtempSync(join(tmpdir(), 'recur-safetensors-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** A file from a header object (or raw header text) and data bytes. */
function file(name: string, header: object | string, data: Uint8Array = new Uint8Array(0)): string {
  const text = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(text.length));
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([length, text, data]));
  return path;
}

function bytesOf(values: Float64Array | Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

t.test('reads F64 and F32 tensors with their shapes, and skips __metadata__', async (t) => {
  const a = Float64Array.from([1.5, -2, 3e-300, 4, 5, 6]);
  const b = Float32Array.from([0.25, -7]);
  // An odd header length puts the data at an unaligned offset.
  const path = file(
    'good.safetensors',
    {
      __metadata__: { by: 'test' },
      a: { dtype: 'F64', shape: [2, 3], data_offsets: [0, 48] },
      b: { dtype: 'F32', shape: [2], data_offsets: [48, 56] },
      empty: { dtype: 'F32', shape: [0, 4], data_offsets: [56, 56] },
    },
    Buffer.concat([bytesOf(a), bytesOf(b)]),
  );
  const tensors = readSafetensors(path);
  t.same([...tensors.keys()], ['a', 'b', 'empty']);
  t.same(tensors.get('a'), { dtype: 'F64', shape: [2, 3], data: a });
  t.same(tensors.get('b'), { dtype: 'F32', shape: [2], data: b });
  t.equal(tensors.get('empty')?.data.length, 0);
});

const MALFORMED: [string, () => string, RegExp][] = [
  [
    'a file shorter than 8 bytes',
    () => {
      const path = join(dir, 'short');
      writeFileSync(path, Buffer.alloc(5));
      return path;
    },
    /5 bytes, shorter than the 8-byte header length/,
  ],
  [
    'a header length past the end',
    () => {
      const path = join(dir, 'long-header');
      const bytes = Buffer.alloc(12);
      bytes.writeBigUInt64LE(100n);
      writeFileSync(path, bytes);
      return path;
    },
    /header length 100 exceeds the 4 bytes/,
  ],
  ['a header that is not JSON', () => file('not-json', '{"a": '), /header is not JSON/],
  ['a header that is not an object', () => file('array', '[1, 2]'), /not a JSON object/],
  [
    'an unsupported dtype',
    () => file('bf16', { x: { dtype: 'BF16', shape: [1], data_offsets: [0, 2] } }, new Uint8Array(2)),
    /tensor "x" has dtype "BF16"; this reader handles F64 and F32/,
  ],
  [
    'a bad shape',
    () => file('shape', { x: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)),
    /tensor "x" has shape \[-1\]/,
  ],
  [
    'offsets that do not match the shape',
    () => file('size', { x: { dtype: 'F64', shape: [3], data_offsets: [0, 16] } }, new Uint8Array(16)),
    /data_offsets \[0, 16\] do not hold 3 F64 values/,
  ],
  [
    'data past the end of the file',
    () => file('truncated', { x: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8)),
    /tensor "x" ends at byte \d+, past the end of the file/,
  ],
];

for (const [name, make, message] of MALFORMED) {
  t.test(`rejects ${name}, naming the file`, async (t) => {
    const path = make();
    t.throws(() => readSafetensors(path), { message });
    t.throws(() => readSafetensors(path), {
      message: new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `),
    });
  });
}
