// A small reader of .safetensors files, for the PyTorch fixtures the tests compare against
// (scripts/fixtures/*.py write them). Test-only (not exported).
//
// Format: an unsigned 64-bit little-endian header length n, n bytes of JSON
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {...}}, then the data,
// with offsets relative to the first byte after the header. Only F64 and F32 are read; any
// other dtype, and every inconsistency, throws an Error naming the file and the tensor.
import { readFileSync } from 'node:fs';

export interface SafetensorsTensor {
  dtype: 'F64' | 'F32';
  shape: number[];
  data: Float64Array | Float32Array;
}

const ITEM_BYTES = { F64: 8, F32: 4 } as const;

function fail(path: string, what: string): never {
  throw new Error(`${path}: not a valid safetensors file: ${what}`);
}

function parseHeader(path: string, bytes: Buffer): { header: Record<string, unknown>; dataStart: number } {
  if (bytes.length < 8) fail(path, `${bytes.length} bytes, shorter than the 8-byte header length`);
  const length = bytes.readBigUInt64LE(0);
  if (length > BigInt(bytes.length - 8)) {
    fail(path, `header length ${length} exceeds the ${bytes.length - 8} bytes after it`);
  }
  const dataStart = 8 + Number(length);
  let header: unknown;
  try {
    header = JSON.parse(bytes.toString('utf8', 8, dataStart));
  } catch (error) {
    fail(path, `header is not JSON (${(error as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    fail(path, 'header is not a JSON object');
  }
  return { header: header as Record<string, unknown>, dataStart };
}

function readTensor(
  path: string,
  name: string,
  entry: unknown,
  bytes: Buffer,
  dataStart: number,
): SafetensorsTensor {
  const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (typeof entry !== 'object' || entry === null) fail(path, `tensor "${name}" is not an object`);
  if (e.dtype !== 'F64' && e.dtype !== 'F32') {
    fail(path, `tensor "${name}" has dtype ${JSON.stringify(e.dtype)}; this reader handles F64 and F32`);
  }
  const shape = e.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    fail(path, `tensor "${name}" has shape ${JSON.stringify(shape)}, not a list of non-negative integers`);
  }
  const offsets = e.data_offsets;
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isInteger(o) && o >= 0)
  ) {
    fail(path, `tensor "${name}" has data_offsets ${JSON.stringify(offsets)}, not [begin, end]`);
  }
  const [begin, end] = offsets as [number, number];
  const itemBytes = ITEM_BYTES[e.dtype];
  const count = (shape as number[]).reduce((a, b) => a * b, 1);
  if (end < begin || end - begin !== count * itemBytes) {
    fail(path, `tensor "${name}": data_offsets [${begin}, ${end}] do not hold ${count} ${e.dtype} values`);
  }
  if (dataStart + end > bytes.length) {
    fail(
      path,
      `tensor "${name}" ends at byte ${dataStart + end}, past the end of the file (${bytes.length})`,
    );
  }
  // Copy: the data may start at an offset that is not a multiple of the item size.
  const copy = new Uint8Array(bytes.subarray(dataStart + begin, dataStart + end));
  const data = e.dtype === 'F64' ? new Float64Array(copy.buffer) : new Float32Array(copy.buffer);
  return { dtype: e.dtype, shape: shape as number[], data };
}

/** Reads every tensor of a .safetensors file (F64 and F32), by name; skips `__metadata__`. */
export function readSafetensors(path: string): Map<string, SafetensorsTensor> {
  const bytes = readFileSync(path);
  const { header, dataStart } = parseHeader(path, bytes);
  const tensors = new Map<string, SafetensorsTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    tensors.set(name, readTensor(path, name, entry, bytes, dataStart));
  }
  return tensors;
}
