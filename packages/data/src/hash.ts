// dataHash: a SHA-256 identity of a data set, so that machines can check they train on the same
// data. It covers raw files (their bytes, streamed), shard folders (their manifest's spec and
// per-shard checksums, so no payload is re-read), the samples of any SequenceDataset (read in
// chunks of SAMPLE_HASH_CHUNK samples: a streamed source is hashed in bounded memory) and
// preprocessing state given as JSON (vocabularies, scalers), in canonical form (keys sorted, no
// whitespace). Paths are not part of
// the identity: the same bytes elsewhere hash the same. Not a checksum verifier: openShards does that.
//
// Note [data hash]. The digest is SHA-256 over the UTF-8 text
//   'recur-data-hash/1\n' + one line per part, in the order given: '<kind> <sha256 hex>\n'
// where the part's own SHA-256 is over the file's bytes (kind 'file'), over the canonical JSON of
// { spec, shards: [{ samples, sha256 }] } from manifest.json (kind 'shards'), over the canonical
// JSON of the data set's shape { size, steps, features, ids, targetPerSample, targetKind,
// hasLengths } followed, sample by sample in index order, by its x row (T·F float32 or T int32,
// zeros past its length), its length (int32) and its target row (kind 'samples'; little-endian
// bytes), or over the canonical JSON of the value (kind 'json'). Part order counts: it fixes sample indices.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { allocateBatchBuffers, datasetShape, type SequenceDataset } from './dataset.js';
import { DataErrorCode, fail } from './errors.js';
import { readManifest } from './shard-format.js';

/** One ingredient of a data set's identity. */
export type DataHashPart =
  | { kind: 'file'; path: string }
  | { kind: 'shards'; folder: string }
  | { kind: 'samples'; dataset: SequenceDataset }
  | { kind: 'json'; value: unknown };

/** Samples read per chunk when hashing a data set's samples (bounds the scratch buffers). */
export const SAMPLE_HASH_CHUNK = 256;

/** Version tag of the hashed description (Note [data hash]). */
export const DATA_HASH_VERSION = 'recur-data-hash/1';

/** SHA-256 (hex) of the data set made of `parts` (Note [data hash]). */
export async function dataHash(parts: DataHashPart[]): Promise<string> {
  if (!Array.isArray(parts)) fail(DataErrorCode.BAD_OPTION, 'dataHash: parts must be an array');
  const lines = [DATA_HASH_VERSION];
  for (let k = 0; k < parts.length; k++) {
    const part = parts[k];
    lines.push(`${part?.kind} ${await partHash(part, k)}`);
  }
  return sha256Hex(`${lines.join('\n')}\n`);
}

async function partHash(part: DataHashPart, k: number): Promise<string> {
  switch (part?.kind) {
    case 'file':
      if (typeof part.path !== 'string') {
        fail(DataErrorCode.BAD_OPTION, `dataHash: parts[${k}].path must be a string`);
      }
      return fileHash(part.path);
    case 'shards': {
      if (typeof part.folder !== 'string') {
        fail(DataErrorCode.BAD_OPTION, `dataHash: parts[${k}].folder must be a string`);
      }
      const { spec, shards } = await readManifest(part.folder);
      return sha256Hex(
        canonicalJson({ spec, shards: shards.map(({ samples, sha256 }) => ({ samples, sha256 })) }),
      );
    }
    case 'samples':
      if (typeof part.dataset?.read !== 'function') {
        fail(DataErrorCode.BAD_OPTION, `dataHash: parts[${k}].dataset must be a SequenceDataset`);
      }
      return samplesHash(part.dataset);
    case 'json':
      return sha256Hex(canonicalJson(part.value, `parts[${k}].value`));
    default:
      return fail(
        DataErrorCode.BAD_OPTION,
        `dataHash: parts[${k}].kind must be 'file', 'shards', 'samples' or 'json'`,
      );
  }
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** SHA-256 of a data set's shape and samples (Note [data hash]), SAMPLE_HASH_CHUNK at a time. */
async function samplesHash(dataset: SequenceDataset): Promise<string> {
  const { size, steps, features, ids, targetPerSample } = dataset;
  const hash = createHash('sha256');
  hash.update(canonicalJson(datasetShape(dataset)));
  const rows = Math.max(1, Math.min(SAMPLE_HASH_CHUNK, size));
  const buffers = allocateBatchBuffers(dataset, rows);
  const input = (ids ? buffers.ids : buffers.x) as Float32Array | Int32Array; // (rows, T·F)
  const rowSize = ids ? steps : steps * features;
  const perStep = ids ? 1 : features;
  for (let first = 0; first < size; first += rows) {
    const n = Math.min(rows, size - first);
    input.fill(0);
    for (let b = 0; b < n; b++) {
      const length = dataset.read(first + b, buffers, b);
      input.fill(0, b * rowSize + length * perStep, (b + 1) * rowSize); // padding past the length
      buffers.lengths[b] = length;
    }
    for (let b = 0; b < n; b++) {
      hash.update(bytesOf(input.subarray(b * rowSize, (b + 1) * rowSize)));
      hash.update(bytesOf(buffers.lengths.subarray(b, b + 1)));
      if (buffers.target !== null)
        hash.update(bytesOf(buffers.target.subarray(b * targetPerSample, (b + 1) * targetPerSample)));
    }
    if (first + rows < size) await new Promise<void>((resolve) => setImmediate(resolve)); // stay responsive
  }
  return hash.digest('hex');
}

function bytesOf(view: Float32Array | Int32Array): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** SHA-256 of a file's bytes, streamed. */
async function fileHash(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }))
      hash.update(chunk as Buffer);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException)?.code;
    fail(
      code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES'
        ? DataErrorCode.NOT_FOUND
        : DataErrorCode.BAD_OPTION,
      `dataHash: cannot read ${path}`,
      e,
    );
  }
  return hash.digest('hex');
}

/**
 * JSON with object keys sorted at every depth and no whitespace; typed arrays become arrays.
 * Values JSON cannot hold exactly (undefined, functions, NaN, ±Infinity, bigints, cycles) →
 * ERR_DATA_BAD_OPTION naming where they are.
 */
export function canonicalJson(value: unknown, where = 'value'): string {
  return write(value, where, new Set());
}

function write(value: unknown, where: string, open: Set<object>): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      fail(DataErrorCode.BAD_OPTION, `dataHash: ${where} is ${value}, which JSON cannot hold`);
    }
    return JSON.stringify(value);
  }
  if (typeof value !== 'object') {
    const what = value === undefined ? 'undefined' : `a ${typeof value}`;
    fail(DataErrorCode.BAD_OPTION, `dataHash: ${where} is ${what}, which JSON cannot hold`);
  }
  if (open.has(value)) fail(DataErrorCode.BAD_OPTION, `dataHash: ${where} refers back to itself`);
  open.add(value);
  let out: string;
  if (Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView))) {
    const items = Array.from(value as ArrayLike<unknown>, (v, k) => write(v, `${where}[${k}]`, open));
    out = `[${items.join(',')}]`;
  } else {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      fail(
        DataErrorCode.BAD_OPTION,
        `dataHash: ${where} is a ${value.constructor?.name ?? 'non-plain object'}; give plain objects, arrays and numbers`,
      );
    }
    const keys = Object.keys(value).sort();
    const record = value as Record<string, unknown>;
    out = `{${keys.map((key) => `${JSON.stringify(key)}:${write(record[key], `${where}.${key}`, open)}`).join(',')}}`;
  }
  open.delete(value);
  return out;
}
