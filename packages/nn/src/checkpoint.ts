// The checkpoint file: everything needed to resume training bit-identically, in one versioned,
// checksummed file written atomically. It stores what it is given; it does not build models,
// run optimizers or interpret the config, preprocessing or extra fields (plain JSON, opaque here).
//
// Format 1, all integers little-endian:
//   bytes 0..8    magic "RECURCKP"
//   bytes 8..12   u32 format version (1)
//   bytes 12..16  u32 flags (0; none defined)
//   bytes 16..24  u64 header length n
//   24..24+n      UTF-8 JSON header {config, layout, optimizer: {kind, step, hyper, stateCount} |
//                 null, rng, preprocessing, extra?, tensorBytes}, space-padded to a multiple of 8
//                 bytes (so the floats start 8-byte aligned); it holds no float data
//   then          tensorBytes of float32: params, then each optimizer state buffer, each P floats
//                 in layout order, no padding
//   last 32 bytes SHA-256 of everything before them
// Reading checks, in order: magic, version, flags, header length against the limit, that the
// file is as long as the header says, the checksum, and only then the header's fields, so a
// damaged file is reported as truncated or corrupted rather than as a confusing field error.
//
// Note [header first]: loadCheckpoint reads the 24-byte preamble, then the header, and checks the
// file's size against the one the header declares before it reads the rest, so a junk file, a
// file with bytes appended or a device costs no more memory than its header (issue 16).
import { createHash } from 'node:crypto';
import { type Complain, checkCommon, isCount, layoutSize } from './checkpoint-fields.js';
import { fail, NnErrorCode } from './errors.js';
import {
  alignedCopy,
  checkPath,
  maxHeaderBytes,
  openRegularFile,
  paddedJson,
  putLittleEndian,
  writeFileAtomic,
} from './io.js';
import type { LayoutRow } from './layout.js';
import { describe } from './validate.js';

export const CHECKPOINT_MAGIC = 'RECURCKP';
/** The format version this code writes and the only one it reads. */
export const CHECKPOINT_FORMAT_VERSION = 1;
/** Limit: the longest JSON header written or read, in bytes (keep bulk data out of `extra`). */
export const CHECKPOINT_MAX_HEADER_BYTES = 64 * 1024 * 1024;
/** Limit: the largest checkpoint file read, in bytes (what one Node buffer read holds, 2 GiB − 1). */
export const CHECKPOINT_MAX_FILE_BYTES = 2 ** 31 - 1;

const PREAMBLE_BYTES = 24;
const CHECKSUM_BYTES = 32;

export interface CheckpointOptimizer {
  kind: string;
  /** optimizer steps taken so far */
  step: number;
  /** hyperparameters, plain JSON */
  hyper: unknown;
  /** moment buffers, each P floats in layout order */
  state: Float32Array[];
}

export interface CheckpointContent {
  /** the model's config, plain JSON */
  config: unknown;
  /** the layout rows, in order */
  layout: LayoutRow[];
  /** P floats in layout order */
  params: Float32Array;
  optimizer: CheckpointOptimizer | null;
  /** random-generator and data-position state */
  rng: { seed: number; epoch: number; position: number };
  /** the caller's preprocessing (scalers, vocabularies), plain JSON; null if none */
  preprocessing: unknown;
  /** anything else (training history, ...), plain JSON */
  extra?: unknown;
}

export interface CheckpointOptions {
  /** default CHECKPOINT_MAX_HEADER_BYTES */
  maxHeaderBytes?: number;
}

/** The JSON header as stored: the content without its floats. */
interface Header {
  config: unknown;
  layout: LayoutRow[];
  optimizer: { kind: string; step: number; hyper: unknown; stateCount: number } | null;
  rng: CheckpointContent['rng'];
  preprocessing: unknown;
  extra?: unknown;
  tensorBytes: number;
}

// ---- writing ----

/** The bytes of a checkpoint file holding `content`. */
export function encodeCheckpoint(content: CheckpointContent, options: CheckpointOptions = {}): Uint8Array {
  const maxHeader = maxHeaderBytes(options, CHECKPOINT_MAX_HEADER_BYTES);
  const buffers = checkContent(content);
  const tensorBytes = buffers.reduce((sum, b) => sum + b.byteLength, 0);
  const header = encodeHeader(headerOf(content, tensorBytes));
  if (header.length > maxHeader) {
    fail(
      NnErrorCode.LIMIT_EXCEEDED,
      `cannot write checkpoint: its JSON header would be ${header.length} bytes, over ` +
        `CHECKPOINT_MAX_HEADER_BYTES (${maxHeader}); keep bulk data out of config, preprocessing and extra`,
    );
  }
  const bytes = new Uint8Array(PREAMBLE_BYTES + header.length + tensorBytes + CHECKSUM_BYTES);
  writePreamble(bytes, header.length);
  bytes.set(header, PREAMBLE_BYTES);
  let offset = PREAMBLE_BYTES + header.length;
  for (const buffer of buffers) {
    putLittleEndian(bytes, offset, buffer);
    offset += buffer.byteLength;
  }
  bytes.set(sha256(bytes.subarray(0, offset)), offset);
  return bytes;
}

/** Writes `content` to `path` atomically: the target is the old file or the new, never half. */
export async function saveCheckpoint(
  path: string,
  content: CheckpointContent,
  options?: CheckpointOptions,
): Promise<void> {
  checkPath('checkpoint', path);
  await writeFileAtomic(path, encodeCheckpoint(content, options));
}

/** Checks `content` and returns its float buffers in file order. */
function checkContent(content: CheckpointContent): Float32Array[] {
  const complain: Complain = (what) => fail(NnErrorCode.BAD_OPTION, `cannot write checkpoint: ${what}`);
  if (typeof content !== 'object' || content === null || Array.isArray(content)) {
    complain(`the content must be an object (checkpointOf(model) gives one), got ${describe(content)}`);
  }
  checkCommon(content, complain);
  for (const key of ['config', 'preprocessing'] as const) {
    if (content[key] === undefined) complain(`content.${key} is undefined; pass null when there is none`);
  }
  if (content.optimizer !== null && content.optimizer.hyper === undefined) {
    complain('content.optimizer.hyper is undefined; pass null when there is none');
  }
  if (content.optimizer !== null && !Array.isArray(content.optimizer.state)) {
    complain('content.optimizer.state must be a list of Float32Array');
  }
  const size = layoutSize(content.layout);
  const buffers = [content.params, ...(content.optimizer?.state ?? [])];
  buffers.forEach((buffer, i) => {
    checkBuffer(buffer, size, i === 0 ? 'params' : `optimizer.state[${i - 1}]`);
  });
  return buffers;
}

function checkBuffer(buffer: unknown, size: number, name: string): void {
  if (!(buffer instanceof Float32Array)) {
    fail(NnErrorCode.BAD_OPTION, `cannot write checkpoint: content.${name} must be a Float32Array`);
  }
  if (buffer.length !== size) {
    fail(
      NnErrorCode.LAYOUT_MISMATCH,
      `cannot write checkpoint: content.${name} has ${buffer.length} floats; the layout holds ${size}`,
    );
  }
}

function headerOf(content: CheckpointContent, tensorBytes: number): Header {
  const { optimizer } = content;
  return {
    config: content.config,
    layout: content.layout.map((row) => ({ name: row.name, shape: [...row.shape] })),
    optimizer:
      optimizer === null
        ? null
        : {
            kind: optimizer.kind,
            step: optimizer.step,
            hyper: optimizer.hyper,
            stateCount: optimizer.state.length,
          },
    rng: { seed: content.rng.seed, epoch: content.rng.epoch, position: content.rng.position },
    preprocessing: content.preprocessing,
    ...(content.extra === undefined ? {} : { extra: content.extra }),
    tensorBytes,
  };
}

function encodeHeader(header: Header): Uint8Array {
  try {
    return paddedJson(header);
  } catch (error) {
    return fail(
      NnErrorCode.BAD_OPTION,
      `cannot write checkpoint: config, hyper, preprocessing or extra is not plain JSON (${(error as Error).message})`,
    );
  }
}

function writePreamble(bytes: Uint8Array, headerLength: number): void {
  bytes.set(new TextEncoder().encode(CHECKPOINT_MAGIC), 0);
  const view = new DataView(bytes.buffer, bytes.byteOffset, PREAMBLE_BYTES);
  view.setUint32(8, CHECKPOINT_FORMAT_VERSION, true);
  view.setUint32(12, 0, true);
  view.setBigUint64(16, BigInt(headerLength), true);
}

// ---- reading ----

/** Reads and verifies a checkpoint; `source` (e.g. its path) names it in errors. */
export function decodeCheckpoint(
  bytes: Uint8Array,
  source: string,
  options: CheckpointOptions = {},
): CheckpointContent {
  const complain: Complain = (what) => fail(NnErrorCode.BAD_CHECKPOINT, `${source}: ${what}`);
  if (!(bytes instanceof Uint8Array))
    complain(`expected the file's bytes (a Uint8Array), got ${describe(bytes)}`);
  const headerLength = readPreamble(
    bytes,
    bytes.length,
    source,
    maxHeaderBytes(options, CHECKPOINT_MAX_HEADER_BYTES),
    complain,
  );
  const header = parseHeader(bytes.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + headerLength), complain);
  const dataStart = PREAMBLE_BYTES + headerLength;
  const end = checkLength(bytes.length, dataStart, header.tensorBytes, complain);
  verifyChecksum(bytes, end, complain);
  checkHeader(header, complain);
  const count = 1 + (header.optimizer?.stateCount ?? 0);
  const buffers = readBuffers(bytes.subarray(dataStart, dataStart + header.tensorBytes), count);
  return contentOf(header, buffers);
}

/**
 * Reads and verifies the checkpoint at `path`. The preamble and the header are read first: a
 * file that is not a checkpoint, or whose size is not the one its header declares, is refused
 * before the rest is read (Note [header first]); only a regular file is opened.
 */
export async function loadCheckpoint(
  path: string,
  options: CheckpointOptions = {},
): Promise<CheckpointContent> {
  const complain: Complain = (what) => fail(NnErrorCode.BAD_CHECKPOINT, `${path}: ${what}`);
  const maxHeader = maxHeaderBytes(options, CHECKPOINT_MAX_HEADER_BYTES);
  const file = await openRegularFile('checkpoint', path);
  try {
    const preamble = await file.read(0, Math.min(PREAMBLE_BYTES, file.size));
    const headerLength = readPreamble(preamble, file.size, path, maxHeader, complain);
    const header = parseHeader(await file.read(PREAMBLE_BYTES, headerLength), complain);
    const end = checkLength(file.size, PREAMBLE_BYTES + headerLength, header.tensorBytes, complain);
    if (end > CHECKPOINT_MAX_FILE_BYTES) {
      fail(
        NnErrorCode.LIMIT_EXCEEDED,
        `${path}: ${end} bytes, over CHECKPOINT_MAX_FILE_BYTES (${CHECKPOINT_MAX_FILE_BYTES}); the file is corrupted or not one recur writes`,
      );
    }
    return decodeCheckpoint(await file.read(0, end), path, options);
  } finally {
    await file.close();
  }
}

/**
 * Checks magic, version and flags against `bytes` (at least the first PREAMBLE_BYTES of a file of
 * `fileBytes`, or the whole of a shorter one), and returns the header length.
 */
function readPreamble(
  bytes: Uint8Array,
  fileBytes: number,
  source: string,
  maxHeader: number,
  complain: Complain,
): number {
  const magic = new TextEncoder().encode(CHECKPOINT_MAGIC);
  const head = bytes.subarray(0, magic.length);
  if (fileBytes === 0) complain('the file is empty (0 bytes), not a checkpoint; use an intact copy');
  if (!head.every((byte, i) => byte === magic[i])) {
    complain(
      `not a recur checkpoint (it starts with [${hex(head)}], not "${CHECKPOINT_MAGIC}"); pass a file saveCheckpoint wrote`,
    );
  }
  if (fileBytes < PREAMBLE_BYTES) {
    complain(
      `truncated: ${fileBytes} bytes, shorter than the ${PREAMBLE_BYTES}-byte preamble; use an intact copy`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, PREAMBLE_BYTES);
  checkVersion(view.getUint32(8, true), view.getUint32(12, true), complain);
  const length = view.getBigUint64(16, true);
  if (length > BigInt(maxHeader)) {
    fail(
      NnErrorCode.LIMIT_EXCEEDED,
      `${source}: checkpoint header length ${length} is over CHECKPOINT_MAX_HEADER_BYTES (${maxHeader}); ` +
        'the file is corrupted, or pass a larger maxHeaderBytes if it is genuine',
    );
  }
  const needed = PREAMBLE_BYTES + Number(length) + CHECKSUM_BYTES;
  if (fileBytes < needed) {
    complain(
      `truncated: ${fileBytes} bytes, but the preamble, a ${length}-byte header and the checksum ` +
        `alone need ${needed}; use an intact copy`,
    );
  }
  return Number(length);
}

function checkVersion(version: number, flags: number, complain: Complain): void {
  if (version > CHECKPOINT_FORMAT_VERSION) {
    complain(
      `written by a newer recur (format ${version}); this one reads format ${CHECKPOINT_FORMAT_VERSION}; ` +
        'upgrade recur to load it',
    );
  }
  if (version !== CHECKPOINT_FORMAT_VERSION) {
    complain(`unknown checkpoint format ${version}; this recur reads format ${CHECKPOINT_FORMAT_VERSION}`);
  }
  if (flags !== 0) {
    complain(
      `unknown flags 0x${flags.toString(16)} (format ${version} defines none); it was written by another writer`,
    );
  }
}

function parseHeader(text: Uint8Array, complain: Complain): Header {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(text));
  } catch (error) {
    complain(
      `header is not valid JSON (${(error as Error).message}); the file is corrupted; use an intact copy`,
    );
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    complain('header is not a JSON object');
  }
  const { tensorBytes } = header as Record<string, unknown>;
  if (!Number.isSafeInteger(tensorBytes) || (tensorBytes as number) < 0) {
    complain(`header tensorBytes is ${JSON.stringify(tensorBytes)}, not a byte count`);
  }
  return header as Header;
}

/** Checks the file length against the header's, and returns where the checksum ends. */
function checkLength(fileBytes: number, dataStart: number, tensorBytes: number, complain: Complain): number {
  const end = dataStart + tensorBytes + CHECKSUM_BYTES;
  const parts = `${dataStart} bytes of preamble and header, ${tensorBytes} of tensors and ${CHECKSUM_BYTES} of checksum`;
  if (fileBytes < end) {
    complain(`truncated: ${fileBytes} bytes, but its header says ${end} (${parts}); use an intact copy`);
  }
  if (fileBytes > end) {
    complain(`${fileBytes} bytes, but its header says ${end} (${parts}); something was appended to it`);
  }
  return end;
}

function verifyChecksum(bytes: Uint8Array, end: number, complain: Complain): void {
  const actual = sha256(bytes.subarray(0, end - CHECKSUM_BYTES));
  const recorded = bytes.subarray(end - CHECKSUM_BYTES, end);
  if (!actual.every((byte, i) => byte === recorded[i])) {
    complain(
      `checksum mismatch: the file is corrupted (its SHA-256 is ${hex(actual, '')}, the file records ` +
        `${hex(recorded, '')}); use an intact copy`,
    );
  }
}

/** Checks the header's fields, after the checksum has passed. */
function checkHeader(header: Header, complain: Complain): void {
  for (const key of ['config', 'layout', 'optimizer', 'rng', 'preprocessing'] as const) {
    if (!(key in header)) complain(`header has no ${key}`);
  }
  checkCommon(header, complain);
  const stateCount = header.optimizer === null ? 0 : header.optimizer.stateCount;
  if (!isCount(stateCount)) {
    complain(`header optimizer.stateCount is ${JSON.stringify(stateCount)}, not a non-negative integer`);
  }
  const size = layoutSize(header.layout);
  const expected = (1 + stateCount) * size * 4;
  if (header.tensorBytes !== expected) {
    complain(
      `data length inconsistent with the layout: the header says ${header.tensorBytes} tensor bytes, but ` +
        `${size} floats for params and ${stateCount} optimizer buffers need ${expected}`,
    );
  }
}

/** Splits `bytes` into `count` equal float32 buffers (params, then optimizer state). */
function readBuffers(bytes: Uint8Array, count: number): Float32Array[] {
  const each = bytes.length / count;
  return Array.from(
    { length: count },
    (_, i) => new Float32Array(alignedCopy(bytes.subarray(i * each, (i + 1) * each), 4)),
  );
}

function contentOf(header: Header, [params, ...state]: Float32Array[]): CheckpointContent {
  const { optimizer } = header;
  return {
    config: header.config,
    layout: header.layout.map((row) => ({ name: row.name, shape: row.shape })),
    params: params!,
    optimizer:
      optimizer === null
        ? null
        : { kind: optimizer.kind, step: optimizer.step, hyper: optimizer.hyper, state },
    rng: { seed: header.rng.seed, epoch: header.rng.epoch, position: header.rng.position },
    preprocessing: header.preprocessing,
    ...(header.extra === undefined ? {} : { extra: header.extra }),
  };
}

function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

function hex(bytes: Uint8Array, separator = ' '): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join(separator);
}

export { checkLayout } from './checkpoint-layout.js';
