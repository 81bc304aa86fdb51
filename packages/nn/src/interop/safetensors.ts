// Reads and writes the .safetensors format, the file PyTorch state dicts travel in here. Only the
// container: which names and shapes a model expects is the business of the importers.
//
// Format: an unsigned 64-bit little-endian header length n, n bytes of UTF-8 JSON
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {string: string}}, then
// the raw little-endian tensor data, offsets counted from the first byte after the header.
// Written: F32, F64, I32, I64, in the map's order, with the header padded with spaces so the data
// starts 8-byte aligned (as the Python writer does). Read: those four, and F16 and BF16 widened to
// F32. Every read copies into fresh, aligned typed arrays; nothing views the file's buffer.
// Porting note: the reference reader also rejects gaps between tensors; this one accepts gaps and
// trailing bytes and rejects overlaps, which is all that reading correctly needs.
import { fail, NnErrorCode } from '../errors.js';
import {
  alignedCopy,
  checkPath,
  maxHeaderBytes,
  paddedJson,
  putLittleEndian,
  readFileChecked,
  writeFileAtomic,
} from '../io.js';
import { describe } from '../validate.js';

/** Limit: the longest JSON header read or written, in bytes (the reference implementation's). */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

export type SafetensorsDtype = 'F32' | 'F64' | 'I32' | 'I64';
export type SafetensorsData = Float32Array | Float64Array | Int32Array | BigInt64Array;

export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: SafetensorsData;
}

export interface DecodedTensor extends SafetensorsTensor {
  /** set when the file stored F16 or BF16, read here into F32 */
  sourceDtype?: 'F16' | 'BF16';
}

export interface Safetensors {
  tensors: Map<string, DecodedTensor>;
  metadata: Record<string, string>;
}

export interface SafetensorsOptions {
  /** default SAFETENSORS_MAX_HEADER_BYTES */
  maxHeaderBytes?: number;
}

const ITEM_BYTES = { F32: 4, F64: 8, I32: 4, I64: 8, F16: 2, BF16: 2 } as const;
type StoredDtype = keyof typeof ITEM_BYTES;
const ARRAY_OF = { F32: Float32Array, F64: Float64Array, I32: Int32Array, I64: BigInt64Array } as const;
const METADATA_KEY = '__metadata__';
const WRITING = 'cannot write safetensors';

interface Entry {
  name: string;
  dtype: StoredDtype;
  shape: number[];
  begin: number;
  end: number;
}

// ---- writing ----

/** The bytes of a .safetensors file holding `tensors` (in map order) and `metadata`. */
export function encodeSafetensors(
  tensors: ReadonlyMap<string, SafetensorsTensor>,
  metadata: Record<string, string> = {},
  options: SafetensorsOptions = {},
): Uint8Array {
  if (!(tensors instanceof Map)) {
    fail(
      NnErrorCode.BAD_WEIGHTS,
      `${WRITING}: tensors must be a Map of name → { dtype, shape, data }, got ${describe(tensors)}`,
    );
  }
  const maxHeader = maxHeaderBytes(options, SAFETENSORS_MAX_HEADER_BYTES);
  checkMetadata(metadata, WRITING);
  const fields: [string, unknown][] = Object.keys(metadata).length > 0 ? [[METADATA_KEY, metadata]] : [];
  let end = 0;
  for (const [name, tensor] of tensors) {
    checkTensorToWrite(name, tensor);
    const begin = end;
    end += tensor.data.byteLength;
    fields.push([name, { dtype: tensor.dtype, shape: tensor.shape, data_offsets: [begin, end] }]);
  }
  const header = paddedJson(Object.fromEntries(fields));
  if (header.length > maxHeader) {
    fail(
      NnErrorCode.LIMIT_EXCEEDED,
      `${WRITING}: its header would be ${header.length} bytes, over SAFETENSORS_MAX_HEADER_BYTES ` +
        `(${maxHeader}); split the tensors over several files or shorten the metadata`,
    );
  }
  return assemble(header, tensors.values(), end);
}

/** Writes `tensors` to `path` atomically: a temporary file in the same folder, then a rename. */
export async function writeSafetensorsFile(
  path: string,
  tensors: ReadonlyMap<string, SafetensorsTensor>,
  metadata?: Record<string, string>,
  options?: SafetensorsOptions,
): Promise<void> {
  checkPath('safetensors file', path);
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata, options));
}

function checkTensorToWrite(name: string, tensor: SafetensorsTensor): void {
  const what = `${WRITING}: tensor "${name}"`;
  if (name === METADATA_KEY)
    fail(NnErrorCode.BAD_WEIGHTS, `${what}: the name is reserved; rename the tensor`);
  if (!Object.hasOwn(ARRAY_OF, tensor.dtype)) {
    fail(
      NnErrorCode.BAD_WEIGHTS,
      `${what} has dtype ${JSON.stringify(tensor.dtype)}; writable: F32, F64, I32, I64`,
    );
  }
  const type = ARRAY_OF[tensor.dtype];
  if (!(tensor.data instanceof type)) {
    fail(
      NnErrorCode.BAD_WEIGHTS,
      `${what} is ${tensor.dtype} but its data is not a ${type.name}; pass a ${type.name}`,
    );
  }
  if (!isShape(tensor.shape)) {
    fail(
      NnErrorCode.BAD_WEIGHTS,
      `${what} has shape ${JSON.stringify(tensor.shape)}, not a list of non-negative integers`,
    );
  }
  const count = product(tensor.shape);
  if (count !== tensor.data.length) {
    fail(
      NnErrorCode.BAD_WEIGHTS,
      `${what} has shape [${tensor.shape}] (${count} values) but ${tensor.data.length} values`,
    );
  }
}

function assemble(header: Uint8Array, tensors: Iterable<SafetensorsTensor>, dataBytes: number): Uint8Array {
  const bytes = new Uint8Array(8 + header.length + dataBytes);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
  bytes.set(header, 8);
  let offset = 8 + header.length;
  for (const tensor of tensors) {
    putLittleEndian(bytes, offset, tensor.data);
    offset += tensor.data.byteLength;
  }
  return bytes;
}

// ---- reading ----

/** Reads and validates a .safetensors file; `source` (e.g. its path) names it in errors. */
export function decodeSafetensors(
  bytes: Uint8Array,
  source: string,
  options: SafetensorsOptions = {},
): Safetensors {
  if (!(bytes instanceof Uint8Array)) {
    fail(
      NnErrorCode.BAD_WEIGHTS,
      `${source}: expected the file's bytes (a Uint8Array), got ${describe(bytes)}`,
    );
  }
  const { header, dataStart } = readHeader(
    bytes,
    source,
    maxHeaderBytes(options, SAFETENSORS_MAX_HEADER_BYTES),
  );
  const dataBytes = bytes.length - dataStart;
  const metadata = readMetadata(header[METADATA_KEY], source);
  const entries = Object.entries(header)
    .filter(([name]) => name !== METADATA_KEY)
    .map(([name, value]) => parseEntry(name, value, dataBytes, source));
  checkOverlaps(entries, source);
  const tensors = new Map<string, DecodedTensor>();
  for (const entry of entries) {
    tensors.set(
      entry.name,
      readTensor(entry, bytes.subarray(dataStart + entry.begin, dataStart + entry.end)),
    );
  }
  return { tensors, metadata };
}

/** Reads and validates the .safetensors file at `path`. */
export async function readSafetensorsFile(path: string, options?: SafetensorsOptions): Promise<Safetensors> {
  const bytes = await readFileChecked('safetensors file', path);
  return decodeSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path, options);
}

function bad(source: string, what: string): never {
  fail(NnErrorCode.BAD_WEIGHTS, `${source}: not a valid safetensors file: ${what}`);
}

function readHeader(
  bytes: Uint8Array,
  source: string,
  maxHeader: number,
): { header: Record<string, unknown>; dataStart: number } {
  if (bytes.length < 8)
    bad(source, `${bytes.length} bytes, shorter than the 8-byte header length; it is truncated`);
  const length = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(maxHeader)) {
    fail(
      NnErrorCode.LIMIT_EXCEEDED,
      `${source}: safetensors header length ${length} is over SAFETENSORS_MAX_HEADER_BYTES (${maxHeader}); ` +
        'the file is probably not safetensors (or pass a larger maxHeaderBytes)',
    );
  }
  if (length > BigInt(bytes.length - 8)) {
    bad(
      source,
      `header length ${length} exceeds the ${bytes.length - 8} bytes after it; the file is truncated`,
    );
  }
  const dataStart = 8 + Number(length);
  const header = parseJson(bytes.subarray(8, dataStart), source);
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    bad(source, 'header is not a JSON object');
  return { header: header as Record<string, unknown>, dataStart };
}

function parseJson(text: Uint8Array, source: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(text));
  } catch (error) {
    return bad(source, `header is not UTF-8 JSON (${(error as Error).message})`);
  }
}

function readMetadata(value: unknown, source: string): Record<string, string> {
  if (value === undefined) return {};
  checkMetadata(value, `${source}: not a valid safetensors file`);
  return Object.fromEntries(Object.entries(value as Record<string, string>));
}

function checkMetadata(value: unknown, prefix: string): void {
  const code = NnErrorCode.BAD_WEIGHTS;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    fail(code, `${prefix}: ${METADATA_KEY} must be an object mapping names to strings`);
  }
  for (const [key, text] of Object.entries(value)) {
    if (typeof text !== 'string')
      fail(code, `${prefix}: ${METADATA_KEY} "${key}" is ${typeof text}, not a string`);
  }
}

function parseEntry(name: string, value: unknown, dataBytes: number, source: string): Entry {
  const what = `tensor "${name}"`;
  if (value === null || typeof value !== 'object')
    bad(source, `${what} is not an object {dtype, shape, data_offsets}`);
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (typeof dtype !== 'string' || !Object.hasOwn(ITEM_BYTES, dtype)) {
    bad(
      source,
      `${what} has dtype ${JSON.stringify(dtype)}; this reader knows ${Object.keys(ITEM_BYTES).join(', ')}`,
    );
  }
  if (!isShape(shape))
    bad(source, `${what} has shape ${JSON.stringify(shape)}, not a list of non-negative integers`);
  if (!isOffsets(offsets)) {
    bad(
      source,
      `${what} has data_offsets ${JSON.stringify(offsets)}, not [begin, end] with 0 <= begin <= end`,
    );
  }
  const [begin, end] = offsets;
  const needed = product(shape) * ITEM_BYTES[dtype as StoredDtype];
  if (end - begin !== needed) {
    bad(
      source,
      `${what}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes; shape [${shape}] of ${dtype} needs ${needed}`,
    );
  }
  if (end > dataBytes)
    bad(source, `${what} ends at data byte ${end}, past the ${dataBytes} data bytes; the file is truncated`);
  return { name, dtype: dtype as StoredDtype, shape, begin, end };
}

function checkOverlaps(entries: readonly Entry[], source: string): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1]!, sorted[i]!];
    if (b.begin < a.end) {
      bad(
        source,
        `tensors "${a.name}" [${a.begin}, ${a.end}] and "${b.name}" [${b.begin}, ${b.end}] overlap`,
      );
    }
  }
}

function readTensor(entry: Entry, bytes: Uint8Array): DecodedTensor {
  const { dtype, shape } = entry;
  if (dtype === 'F16' || dtype === 'BF16') {
    return {
      dtype: 'F32',
      shape,
      data: widen(bytes, dtype === 'F16' ? halfToFloat : brainToFloat),
      sourceDtype: dtype,
    };
  }
  return { dtype, shape, data: new ARRAY_OF[dtype](alignedCopy(bytes, ITEM_BYTES[dtype])) };
}

function widen(bytes: Uint8Array, convert: (bits: number) => number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = convert(view.getUint16(2 * i, true));
  return out;
}

/** IEEE 754 binary16 bits to a number (subnormals, infinities, NaN included). */
function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** bfloat16 bits (the top half of a float32) to a number. */
function brainToFloat(bits: number): number {
  scratchBits[0] = bits << 16;
  return scratch[0]!;
}

// ---- shared checks ----

function isShape(shape: unknown): shape is number[] {
  return Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && d >= 0);
}

function isOffsets(offsets: unknown): offsets is [number, number] {
  return (
    Array.isArray(offsets) &&
    offsets.length === 2 &&
    offsets.every((o) => Number.isSafeInteger(o) && o >= 0) &&
    offsets[0] <= offsets[1]
  );
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
