// A shard set loaded whole into SharedArrayBuffers: one copy in memory that W worker threads read
// without copying. loadShardsShared(folder) checks the manifest and headers like openShards,
// reads every payload section straight into the shared buffers while hashing it (a checksum
// mismatch → ERR_DATA_BAD_SHARD), and returns a SequenceDataset; transferable() describes it as
// { buffers, spec, size } for postMessage, and fromShared(desc) rebuilds it in a worker over the
// same memory. Not for data larger than memory: use openShards (shard-reader.ts) for that.

import { createHash, type Hash } from 'node:crypto';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { BatchBuffers, SequenceDataset } from './dataset.js';
import { DataErrorCode, fail } from './errors.js';
import {
  checkHostEndianness,
  checkSpec,
  readAllHeaders,
  readManifest,
  type ShardSpec,
  shardLayout,
} from './shard-format.js';

/** Chunk size of the loader's reads (8 MiB); each chunk is hashed as it arrives. */
export const SHARD_LOAD_CHUNK_BYTES = 8 << 20;

/** What a worker needs to rebuild a shared data set: structured-cloneable, buffers shared. */
export interface SharedShardsDescription {
  buffers: {
    x: SharedArrayBuffer; // (N, T, F) float32 or (N, T) int32
    lengths: SharedArrayBuffer | null; // (N) int32
    target: SharedArrayBuffer | null; // (N, P) float32 or int32
  };
  spec: ShardSpec;
  size: number; // N
}

/** A SequenceDataset over shared memory. */
export interface SharedShardDataset extends SequenceDataset {
  readonly spec: ShardSpec;
  /** The description to post to workers (no bytes are copied). */
  transferable(): SharedShardsDescription;
}

/** Loads every shard of `folder` into SharedArrayBuffers (checked and verified). */
export async function loadShardsShared(folder: string): Promise<SharedShardDataset> {
  checkHostEndianness();
  const manifest = await readManifest(folder);
  const headers = await readAllHeaders(folder, manifest);
  const { spec, samples: N } = manifest;
  const buffers = allocate(spec, N, folder);
  const views = {
    x: new Uint8Array(buffers.x),
    lengths: buffers.lengths === null ? null : new Uint8Array(buffers.lengths),
    target: buffers.target === null ? null : new Uint8Array(buffers.target),
  };
  let first = 0; // sample index of the shard's first sample
  for (let s = 0; s < headers.length; s++) {
    const { header, headerBytes } = headers[s];
    const n = header.count;
    const layout = shardLayout(spec, n, headerBytes);
    const path = join(folder, manifest.shards[s].file);
    const sections: Section[] = [
      { into: views.x, at: first * layout.xBytes, bytes: n * layout.xBytes, from: layout.payloadOffset },
    ];
    if (views.lengths !== null)
      sections.push({ into: views.lengths, at: first * 4, bytes: n * 4, from: layout.lengthsOffset });
    if (views.target !== null)
      sections.push({
        into: views.target,
        at: first * layout.targetBytes,
        bytes: n * layout.targetBytes,
        from: layout.targetOffset,
      });
    await loadShard(path, sections, header.sha256);
    first += n;
  }
  return new SharedShards(buffers, spec, N);
}

/** Rebuilds a shared data set from a description (e.g. in a worker); checks buffer sizes. */
export function fromShared(desc: SharedShardsDescription): SharedShardDataset {
  if (desc === null || typeof desc !== 'object') {
    fail(DataErrorCode.BAD_OPTION, 'fromShared needs { buffers, spec, size }');
  }
  const spec = checkSpec(desc.spec, 'fromShared');
  const { size, buffers } = desc;
  if (!Number.isSafeInteger(size) || size < 0) {
    fail(DataErrorCode.BAD_OPTION, 'fromShared: size must be an integer ≥ 0');
  }
  const want = sectionBytes(spec, size);
  const check = (name: 'x' | 'lengths' | 'target', bytes: number | null) => {
    const buf = buffers?.[name] ?? null;
    if (bytes === null ? buf !== null : !(buf instanceof SharedArrayBuffer) || buf.byteLength !== bytes) {
      fail(
        DataErrorCode.BAD_OPTION,
        `fromShared: buffers.${name} must be ${bytes === null ? 'null' : `a SharedArrayBuffer of ${bytes} bytes`}`,
      );
    }
  };
  check('x', want.x);
  check('lengths', want.lengths);
  check('target', want.target);
  return new SharedShards(buffers, spec, size);
}

/** Byte sizes of the three sections for N samples (null = absent). */
function sectionBytes(
  spec: ShardSpec,
  N: number,
): { x: number; lengths: number | null; target: number | null } {
  return {
    x: N * spec.steps * spec.features * 4,
    lengths: spec.hasLengths ? N * 4 : null,
    target: spec.targetPerSample > 0 ? N * spec.targetPerSample * 4 : null,
  };
}

function allocate(spec: ShardSpec, N: number, folder: string): SharedShardsDescription['buffers'] {
  const want = sectionBytes(spec, N);
  const make = (bytes: number) => {
    try {
      return new SharedArrayBuffer(bytes);
    } catch (e) {
      return fail(
        DataErrorCode.LIMIT_EXCEEDED,
        `${folder}: cannot allocate a SharedArrayBuffer of ${bytes} bytes; stream it with openShards instead`,
        e,
      );
    }
  };
  return {
    x: make(want.x),
    lengths: want.lengths === null ? null : make(want.lengths),
    target: want.target === null ? null : make(want.target),
  };
}

/** Bytes [from, from + bytes) of the file go to into[at..]; sections come in payload order. */
interface Section {
  into: Uint8Array;
  at: number;
  bytes: number;
  from: number;
}

/** Reads a shard's sections in payload order, hashing as it goes, and checks the checksum. */
async function loadShard(path: string, sections: Section[], sha256: string): Promise<void> {
  const handle = await open(path, 'r').catch((e: unknown) =>
    fail(DataErrorCode.NOT_FOUND, `cannot open shard ${path}`, e),
  );
  const hash = createHash('sha256');
  try {
    for (const section of sections) await readSection(handle, path, section, hash);
  } finally {
    await handle.close();
  }
  const sha = hash.digest('hex');
  if (sha !== sha256) {
    fail(
      DataErrorCode.BAD_SHARD,
      `${path}: payload (from byte ${sections[0].from}) has SHA-256 ${sha}, the header says ${sha256}: the shard is corrupted`,
    );
  }
}

async function readSection(handle: FileHandle, path: string, section: Section, hash: Hash): Promise<void> {
  const { into, at, bytes, from } = section;
  for (let done = 0; done < bytes; ) {
    const want = Math.min(SHARD_LOAD_CHUNK_BYTES, bytes - done);
    const { bytesRead } = await handle.read(into, at + done, want, from + done);
    if (bytesRead === 0) fail(DataErrorCode.BAD_SHARD, `${path}: truncated at byte ${from + done}`);
    hash.update(into.subarray(at + done, at + done + bytesRead));
    done += bytesRead;
  }
}

class SharedShards implements SharedShardDataset {
  readonly steps: number;
  readonly features: number;
  readonly ids: boolean;
  readonly targetPerSample: number;
  readonly targetKind: 'float' | 'labels';
  readonly hasLengths: boolean;
  private readonly x: Float32Array | Int32Array; // (N, T, F) or (N, T)
  private readonly lengths: Int32Array | null; // (N)
  private readonly target: Float32Array | Int32Array | null; // (N, P)

  constructor(
    private readonly buffers: SharedShardsDescription['buffers'],
    readonly spec: ShardSpec,
    readonly size: number,
  ) {
    this.steps = spec.steps;
    this.features = spec.features;
    this.ids = spec.dtype === 'int32';
    this.targetPerSample = spec.targetPerSample;
    this.targetKind = spec.targetDtype === 'int32' ? 'labels' : 'float';
    this.hasLengths = spec.hasLengths;
    this.x = this.ids ? new Int32Array(buffers.x) : new Float32Array(buffers.x);
    this.lengths = buffers.lengths === null ? null : new Int32Array(buffers.lengths);
    const t = buffers.target;
    this.target = t === null ? null : this.targetKind === 'labels' ? new Int32Array(t) : new Float32Array(t);
  }

  read(i: number, into: BatchBuffers, b: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.size) {
      fail(DataErrorCode.BAD_OPTION, `sample ${i} is outside the data set [0, ${this.size})`);
    }
    const n = this.steps * this.features;
    const out = this.ids ? into.ids : into.x;
    if (out !== null) out.set(this.x.subarray(i * n, (i + 1) * n), b * n);
    const length = this.lengths === null ? this.steps : this.lengths[i];
    into.lengths[b] = length;
    const P = this.targetPerSample;
    if (this.target !== null && into.target !== null)
      into.target.set(this.target.subarray(i * P, (i + 1) * P), b * P);
    return length;
  }

  transferable(): SharedShardsDescription {
    return { buffers: { ...this.buffers }, spec: { ...this.spec }, size: this.size };
  }
}
