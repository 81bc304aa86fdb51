// The shard format of @recur/data: what one shard file and a folder's manifest.json hold, how
// their headers are encoded, checked and laid out. No I/O beyond reading a header; the writer,
// the streaming reader and the shared in-memory loader live in shard-writer.ts, shard-reader.ts
// and shard-shared.ts.
//
// Note [shard layout]. A shard file is, all little-endian:
//   bytes 0..3    magic 'RSHD'
//   bytes 4..7    u32 format version (SHARD_VERSION)
//   bytes 8..11   u32 header length h (≤ SHARD_MAX_HEADER_BYTES)
//   bytes 12..    header JSON (UTF-8, right-padded with spaces so the payload starts on a
//                 multiple of 64 bytes)
//   payload       x (count, T, F) float32 or int32, then lengths (count) int32 if present,
//                 then targets (count, P) float32 or int32 if P > 0.
// Samples have a fixed size, so sample j's bytes sit at computable offsets (shardLayout). The
// header carries the SHA-256 of the payload; the manifest repeats it for every shard.

import { open } from 'node:fs/promises';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { DataErrorCode, type DataErrorCodeValue, describeGot, fail } from './errors.js';

/** The four bytes every shard starts with. */
export const SHARD_MAGIC = 'RSHD';
/** The shard format version this code writes and the newest it reads. */
export const SHARD_VERSION = 1;
/** Largest header JSON a reader accepts (1 MiB); a longer one is refused before it is read. */
export const SHARD_MAX_HEADER_BYTES = 1 << 20;
/** The manifest's file name inside a shard folder. */
export const SHARD_MANIFEST = 'manifest.json';
/** Bytes before the header JSON: magic, version, header length. */
export const SHARD_PREAMBLE_BYTES = 12;

const PAYLOAD_ALIGN = 64;

/** dtype and per-sample shapes of a shard set (every shard of a folder has the same). */
export interface ShardSpec {
  /** x: 'float32' features (T, F) or 'int32' token ids (T), then features must be 1 */
  dtype: 'float32' | 'int32';
  steps: number; // T
  features: number; // F
  /** 'float32' targets (targetKind 'float') or 'int32' labels (targetKind 'labels') */
  targetDtype: 'float32' | 'int32';
  targetPerSample: number; // P values per sample; 0 = no targets
  hasLengths: boolean; // a real length (1..T) per sample
}

/** One shard's header (Note [shard layout]). */
export interface ShardHeader extends ShardSpec {
  count: number; // samples in this shard
  payloadBytes: number;
  sha256: string; // of the payload, hex
}

/** One manifest entry. */
export interface ShardEntry {
  file: string; // e.g. shard-00000.rshd, relative to the folder
  samples: number;
  bytes: number; // whole file
  sha256: string; // of the payload, as in the shard's header
}

/** manifest.json: written last, so a folder without it holds no finished shard set. */
export interface ShardManifest {
  format: 'recur-shards';
  version: number;
  spec: ShardSpec;
  samples: number;
  shards: ShardEntry[];
}

/** Byte offsets of one shard's sections. */
export interface ShardLayout {
  payloadOffset: number; // where x starts in the file
  xBytes: number; // per sample: T·F·4
  lengthsOffset: number; // in the file; meaningful when hasLengths
  targetOffset: number; // in the file; meaningful when targetPerSample > 0
  targetBytes: number; // per sample: P·4
  fileBytes: number;
}

/** Shards are little-endian and read through typed-array views: refuse a big-endian host. */
export function checkHostEndianness(): void {
  if (endianness() !== 'LE') fail(DataErrorCode.BAD_OPTION, 'shards need a little-endian host');
}

/** The file name of shard k: shard-00000.rshd, shard-00001.rshd, … */
export function shardFileName(k: number): string {
  return `shard-${String(k).padStart(5, '0')}.rshd`;
}

/** Checks a spec (from a caller or a file); `where` names its source in the message. */
export function checkSpec(
  spec: unknown,
  where: string,
  code: DataErrorCodeValue = DataErrorCode.BAD_OPTION,
): ShardSpec {
  const s = spec as Partial<ShardSpec> | null;
  if (s === null || typeof s !== 'object') fail(code, `${where}: the spec must be an object`);
  if (s.dtype !== 'float32' && s.dtype !== 'int32') {
    fail(code, `${where}: dtype must be 'float32' or 'int32', got ${describeGot(s.dtype)}`);
  }
  if (s.targetDtype !== 'float32' && s.targetDtype !== 'int32') {
    fail(code, `${where}: targetDtype must be 'float32' or 'int32', got ${describeGot(s.targetDtype)}`);
  }
  for (const key of ['steps', 'features'] as const) {
    const v = s[key];
    if (!Number.isSafeInteger(v) || (v as number) < 1) {
      fail(code, `${where}: ${key} must be a positive integer`);
    }
  }
  const p = s.targetPerSample;
  if (!Number.isSafeInteger(p) || (p as number) < 0) {
    fail(code, `${where}: targetPerSample must be an integer ≥ 0`);
  }
  if (typeof s.hasLengths !== 'boolean') fail(code, `${where}: hasLengths must be a boolean`);
  if (s.dtype === 'int32' && s.features !== 1) {
    fail(code, `${where}: int32 x holds token ids, so features must be 1`);
  }
  const { dtype, steps, features, targetDtype, targetPerSample, hasLengths } = s as ShardSpec;
  return { dtype, steps, features, targetDtype, targetPerSample, hasLengths };
}

/** Section offsets of a shard of `count` samples whose header JSON is `headerBytes` long. */
export function shardLayout(spec: ShardSpec, count: number, headerBytes: number): ShardLayout {
  const payloadOffset = SHARD_PREAMBLE_BYTES + headerBytes;
  const xBytes = spec.steps * spec.features * 4;
  const lengthsOffset = payloadOffset + count * xBytes;
  const targetOffset = lengthsOffset + (spec.hasLengths ? count * 4 : 0);
  const targetBytes = spec.targetPerSample * 4;
  return {
    payloadOffset,
    xBytes,
    lengthsOffset,
    targetOffset,
    targetBytes,
    fileBytes: targetOffset + count * targetBytes,
  };
}

/** Payload bytes of a shard of `count` samples. */
export function payloadBytes(spec: ShardSpec, count: number): number {
  const perSample = spec.steps * spec.features + (spec.hasLengths ? 1 : 0) + spec.targetPerSample;
  return count * perSample * 4;
}

/** Header JSON length reserved by the writer: room for any count and the hash, payload aligned. */
export function reservedHeaderBytes(spec: ShardSpec): number {
  const widest: ShardHeader = {
    ...spec,
    count: Number.MAX_SAFE_INTEGER,
    payloadBytes: Number.MAX_SAFE_INTEGER,
    sha256: '0'.repeat(64),
  };
  const need = SHARD_PREAMBLE_BYTES + Buffer.byteLength(JSON.stringify(widest));
  return Math.ceil(need / PAYLOAD_ALIGN) * PAYLOAD_ALIGN - SHARD_PREAMBLE_BYTES;
}

/** The preamble and header JSON, padded with spaces to `headerBytes`. */
export function encodeHeader(header: ShardHeader, headerBytes: number): Buffer {
  const json = JSON.stringify(header);
  const out = Buffer.alloc(SHARD_PREAMBLE_BYTES + headerBytes, 0x20);
  out.write(SHARD_MAGIC, 0, 'latin1');
  out.writeUInt32LE(SHARD_VERSION, 4);
  out.writeUInt32LE(headerBytes, 8);
  if (out.write(json, SHARD_PREAMBLE_BYTES, 'utf8') !== Buffer.byteLength(json)) {
    fail(
      DataErrorCode.LIMIT_EXCEEDED,
      `shard header needs ${Buffer.byteLength(json)} bytes, ${headerBytes} reserved`,
    );
  }
  return out;
}

/** A shard's header with the header JSON's length; every field checked. */
export interface ReadHeader {
  header: ShardHeader;
  headerBytes: number;
  fileBytes: number; // actual size on disk
}

/** Reads and checks the header of the shard at `path` (magic, version, limit, fields, size). */
export async function readShardHeader(
  path: string,
  maxHeaderBytes = SHARD_MAX_HEADER_BYTES,
): Promise<ReadHeader> {
  const handle = await open(path, 'r').catch((e: unknown) =>
    fail(DataErrorCode.NOT_FOUND, `cannot open shard ${path}`, e),
  );
  try {
    const fileBytes = (await handle.stat()).size;
    const pre = Buffer.alloc(SHARD_PREAMBLE_BYTES);
    const got = (await handle.read(pre, 0, SHARD_PREAMBLE_BYTES, 0)).bytesRead;
    const headerBytes = checkPreamble(path, pre, got, maxHeaderBytes);
    if (fileBytes < SHARD_PREAMBLE_BYTES + headerBytes) {
      fail(
        DataErrorCode.BAD_SHARD,
        `${path}: truncated inside the header: ${fileBytes} bytes, header ends at byte ${SHARD_PREAMBLE_BYTES + headerBytes}`,
      );
    }
    const json = Buffer.alloc(headerBytes);
    await handle.read(json, 0, headerBytes, SHARD_PREAMBLE_BYTES);
    const header = parseHeader(path, json.toString('utf8'));
    checkSize(path, header, headerBytes, fileBytes);
    return { header, headerBytes, fileBytes };
  } finally {
    await handle.close();
  }
}

/** Magic, version and header length from the first 12 bytes. */
function checkPreamble(path: string, pre: Buffer, got: number, maxHeaderBytes: number): number {
  if (got < SHARD_PREAMBLE_BYTES || pre.toString('latin1', 0, 4) !== SHARD_MAGIC) {
    fail(DataErrorCode.BAD_SHARD, `${path}: not a shard (no '${SHARD_MAGIC}' magic at byte 0)`);
  }
  const version = pre.readUInt32LE(4);
  if (version > SHARD_VERSION) {
    fail(
      DataErrorCode.BAD_SHARD,
      `${path}: shard format version ${version} is newer than this reader (version ${SHARD_VERSION}); upgrade @recur/data to read it`,
    );
  }
  if (version !== SHARD_VERSION) {
    fail(DataErrorCode.BAD_SHARD, `${path}: unknown shard format version ${version} at byte 4`);
  }
  const headerBytes = pre.readUInt32LE(8);
  if (headerBytes > maxHeaderBytes) {
    fail(
      DataErrorCode.LIMIT_EXCEEDED,
      `${path}: header of ${headerBytes} bytes (byte 8) exceeds SHARD_MAX_HEADER_BYTES = ${maxHeaderBytes}`,
    );
  }
  if (headerBytes % 4 !== 0) {
    fail(DataErrorCode.BAD_SHARD, `${path}: header length ${headerBytes} (byte 8) is not a multiple of 4`);
  }
  return headerBytes;
}

/** Parses and checks the header JSON. */
function parseHeader(path: string, text: string): ShardHeader {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    fail(DataErrorCode.BAD_SHARD, `${path}: header JSON at byte ${SHARD_PREAMBLE_BYTES} does not parse`, e);
  }
  const spec = checkSpec(raw, `${path} header`, DataErrorCode.BAD_SHARD);
  const { count, payloadBytes: bytes, sha256 } = raw as Partial<ShardHeader>;
  if (!Number.isSafeInteger(count) || (count as number) < 0) {
    fail(DataErrorCode.BAD_SHARD, `${path}: header count must be an integer ≥ 0`);
  }
  if (bytes !== payloadBytes(spec, count as number)) {
    fail(
      DataErrorCode.BAD_SHARD,
      `${path}: header payloadBytes ${bytes} does not match its count and shapes (${payloadBytes(spec, count as number)})`,
    );
  }
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) {
    fail(DataErrorCode.BAD_SHARD, `${path}: header sha256 is not 64 hex digits`);
  }
  return { ...spec, count: count as number, payloadBytes: bytes, sha256 };
}

/** The file must be exactly header + payload long: shorter is truncated, longer is not ours. */
function checkSize(path: string, header: ShardHeader, headerBytes: number, fileBytes: number): void {
  const want = SHARD_PREAMBLE_BYTES + headerBytes + header.payloadBytes;
  if (fileBytes < want) {
    fail(
      DataErrorCode.BAD_SHARD,
      `${path}: truncated: ${fileBytes} bytes, the header says ${want}; data ends at byte ${fileBytes}`,
    );
  }
  if (fileBytes > want) {
    fail(DataErrorCode.BAD_SHARD, `${path}: ${fileBytes - want} unexpected bytes after byte ${want}`);
  }
}

/** Reads and checks `folder`/manifest.json (fields only; shard files are checked by the caller). */
export async function readManifest(folder: string): Promise<ShardManifest> {
  const path = join(folder, SHARD_MANIFEST);
  const handle = await open(path, 'r').catch((e: unknown) =>
    fail(DataErrorCode.NOT_FOUND, `${path}: no manifest (an unfinished or missing shard set)`, e),
  );
  let raw: Partial<ShardManifest>;
  try {
    raw = JSON.parse(await handle.readFile('utf8'));
  } catch (e) {
    fail(DataErrorCode.BAD_SHARD, `${path}: does not parse as JSON`, e);
  } finally {
    await handle.close();
  }
  return checkManifest(path, raw);
}

/** Checks the manifest's fields and that its sample counts add up. */
function checkManifest(path: string, raw: Partial<ShardManifest>): ShardManifest {
  if (raw === null || typeof raw !== 'object' || raw.format !== 'recur-shards') {
    fail(DataErrorCode.BAD_SHARD, `${path}: format is not 'recur-shards'`);
  }
  if (raw.version !== SHARD_VERSION) {
    fail(
      DataErrorCode.BAD_SHARD,
      `${path}: manifest version ${raw.version}, this reader knows version ${SHARD_VERSION}`,
    );
  }
  const spec = checkSpec(raw.spec, `${path} spec`, DataErrorCode.BAD_SHARD);
  if (!Array.isArray(raw.shards)) fail(DataErrorCode.BAD_SHARD, `${path}: shards must be an array`);
  const shards = raw.shards.map((e, k) => checkEntry(path, e, k));
  const total = shards.reduce((n, e) => n + e.samples, 0);
  if (raw.samples !== total) {
    fail(DataErrorCode.BAD_SHARD, `${path}: samples is ${raw.samples} but the shards hold ${total}`);
  }
  return { format: 'recur-shards', version: SHARD_VERSION, spec, samples: total, shards };
}

/** Checks manifest entry k: every field present and well-formed, file inside the folder. */
function checkEntry(path: string, entry: Partial<ShardEntry>, k: number): ShardEntry {
  const where = `${path}: shards[${k}]`;
  if (entry === null || typeof entry !== 'object') fail(DataErrorCode.BAD_SHARD, `${where} is not an object`);
  const { file, samples, bytes, sha256 } = entry;
  if (typeof file !== 'string' || !/^[\w.-]+\.rshd$/.test(file)) {
    fail(DataErrorCode.BAD_SHARD, `${where}.file must be a shard file name, got ${describeGot(file)}`);
  }
  if (!Number.isSafeInteger(samples) || (samples as number) < 0) {
    fail(DataErrorCode.BAD_SHARD, `${where}.samples is missing or not an integer ≥ 0`);
  }
  if (!Number.isSafeInteger(bytes) || (bytes as number) < 0) {
    fail(DataErrorCode.BAD_SHARD, `${where}.bytes is missing or not an integer ≥ 0`);
  }
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) {
    fail(DataErrorCode.BAD_SHARD, `${where}.sha256 is missing or not 64 hex digits`);
  }
  return { file, samples: samples as number, bytes: bytes as number, sha256 };
}

/** A manifest entry and the shard's own header must agree (spec, count, size, checksum). */
export function checkAgainstManifest(
  path: string,
  read: ReadHeader,
  entry: ShardEntry,
  spec: ShardSpec,
): void {
  const { header } = read;
  for (const key of Object.keys(spec) as (keyof ShardSpec)[]) {
    if (header[key] !== spec[key]) {
      fail(
        DataErrorCode.BAD_SHARD,
        `${path}: header ${key} = ${JSON.stringify(header[key])}, the manifest says ${JSON.stringify(spec[key])}`,
      );
    }
  }
  if (header.count !== entry.samples) {
    fail(
      DataErrorCode.BAD_SHARD,
      `${path}: header count ${header.count}, the manifest says ${entry.samples}`,
    );
  }
  if (read.fileBytes !== entry.bytes) {
    fail(DataErrorCode.BAD_SHARD, `${path}: ${read.fileBytes} bytes, the manifest says ${entry.bytes}`);
  }
  if (header.sha256 !== entry.sha256) {
    fail(DataErrorCode.BAD_SHARD, `${path}: header sha256 differs from the manifest's`);
  }
}

/** Opens and checks every shard header of a manifest; returns them in manifest order. */
export async function readAllHeaders(
  folder: string,
  manifest: ShardManifest,
  maxHeaderBytes?: number,
): Promise<ReadHeader[]> {
  const out: ReadHeader[] = [];
  for (const entry of manifest.shards) {
    const path = join(folder, entry.file);
    const read = await readShardHeader(path, maxHeaderBytes);
    checkAgainstManifest(path, read, entry, manifest.spec);
    out.push(read);
  }
  return out;
}
