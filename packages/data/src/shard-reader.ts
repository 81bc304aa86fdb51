// The streaming shard reader: a SequenceDataset over a shard folder whose memory does not grow
// with the data set. read(i) copies sample i with positioned reads (fs.readSync) through an LRU
// of fixed-size blocks (shard-cache.ts) capped at `cacheBytes`; at most `maxOpenFiles` shard
// files are open at once. Not a loader into memory (shard-shared.ts), not a writer.
//
// Checks: openShards validates the manifest and every shard's header and size before returning;
// each shard's payload checksum is verified on the shard's first use, by streamed chunked hashing
// (a wrong checksum or a short read → ERR_DATA_BAD_SHARD naming the file and the bytes).

import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { BatchBuffers, SequenceDataset } from './dataset.js';
import { DataErrorCode, fail } from './errors.js';
import { BlockCache } from './shard-cache.js';
import {
  checkHostEndianness,
  type ReadHeader,
  readAllHeaders,
  readManifest,
  type ShardLayout,
  type ShardManifest,
  type ShardSpec,
  shardLayout,
} from './shard-format.js';

/** Default cap on the reader's block cache (64 MiB). */
export const SHARD_READER_CACHE_BYTES = 64 << 20;
/** Default block size of the reader's positioned reads (64 KiB). */
export const SHARD_READER_BLOCK_BYTES = 64 << 10;
/** Default cap on shard files held open at once. */
export const SHARD_READER_MAX_OPEN_FILES = 32;
/** Chunk size of the streamed checksum verification (1 MiB). */
export const SHARD_VERIFY_CHUNK_BYTES = 1 << 20;

export interface ShardReaderOptions {
  cacheBytes?: number; // block cache cap, default SHARD_READER_CACHE_BYTES, ≥ blockBytes
  blockBytes?: number; // default SHARD_READER_BLOCK_BYTES, a positive multiple of 4
  maxOpenFiles?: number; // default SHARD_READER_MAX_OPEN_FILES
  verify?: boolean; // check each shard's checksum on first use (default true)
}

/** A shard folder read as a SequenceDataset; close() releases its files and cache. */
export interface ShardDataset extends SequenceDataset {
  readonly spec: ShardSpec;
  readonly manifest: ShardManifest;
  /** Bytes held by the block cache now (never above the cache limit). */
  readonly cachedBytes: number;
  readonly cacheLimitBytes: number;
  close(): void;
}

/** Opens the shard set in `folder` for streaming reads (see the header for what is checked). */
export async function openShards(folder: string, options: ShardReaderOptions = {}): Promise<ShardDataset> {
  checkHostEndianness();
  const opts = checkReaderOptions(options);
  const manifest = await readManifest(folder);
  const headers = await readAllHeaders(folder, manifest);
  return new ShardReader(folder, manifest, headers, opts);
}

function checkReaderOptions(options: ShardReaderOptions): Required<ShardReaderOptions> {
  if (options === null || typeof options !== 'object') {
    fail(DataErrorCode.BAD_OPTION, 'openShards: options must be an object');
  }
  const {
    cacheBytes = SHARD_READER_CACHE_BYTES,
    blockBytes = SHARD_READER_BLOCK_BYTES,
    maxOpenFiles = SHARD_READER_MAX_OPEN_FILES,
    verify = true,
  } = options;
  if (!Number.isSafeInteger(blockBytes) || blockBytes < 4 || blockBytes % 4 !== 0) {
    fail(
      DataErrorCode.BAD_OPTION,
      `options.blockBytes must be a positive multiple of 4, got ${String(blockBytes)}`,
    );
  }
  if (!Number.isSafeInteger(cacheBytes) || cacheBytes < blockBytes) {
    fail(
      DataErrorCode.BAD_OPTION,
      `options.cacheBytes must be an integer ≥ blockBytes (${blockBytes}), got ${String(cacheBytes)}`,
    );
  }
  if (!Number.isSafeInteger(maxOpenFiles) || maxOpenFiles < 1) {
    fail(
      DataErrorCode.BAD_OPTION,
      `options.maxOpenFiles must be a positive integer, got ${String(maxOpenFiles)}`,
    );
  }
  if (typeof verify !== 'boolean') fail(DataErrorCode.BAD_OPTION, 'options.verify must be a boolean');
  return { cacheBytes, blockBytes, maxOpenFiles, verify };
}

/** Per shard: where it is, its layout, whether its checksum was verified. */
interface ShardInfo {
  path: string;
  layout: ShardLayout;
  fileBytes: number;
  sha256: string;
  verified: boolean;
}

// Block keys are shard · KEY_STRIDE + block; 2^24 blocks per shard is 1 TiB at 64 KiB blocks.
const KEY_STRIDE = 2 ** 24;

class ShardReader implements ShardDataset {
  readonly size: number;
  readonly steps: number;
  readonly features: number;
  readonly ids: boolean;
  readonly targetPerSample: number;
  readonly targetKind: 'float' | 'labels';
  readonly hasLengths: boolean;
  readonly spec: ShardSpec;
  private readonly shards: ShardInfo[];
  private readonly starts: Float64Array; // (S + 1) first sample of each shard, then size
  private readonly cache: BlockCache;
  private readonly fds = new Map<number, number>(); // shard → fd, least recently used first
  private lastShard = 0; // shard of the previous read (sequential reads skip the search)
  private verifyChunk: Buffer | null = null;

  constructor(
    readonly folder: string,
    readonly manifest: ShardManifest,
    headers: ReadHeader[],
    private readonly options: Required<ShardReaderOptions>,
  ) {
    const spec = manifest.spec;
    this.spec = spec;
    this.size = manifest.samples;
    this.steps = spec.steps;
    this.features = spec.features;
    this.ids = spec.dtype === 'int32';
    this.targetPerSample = spec.targetPerSample;
    this.targetKind = spec.targetDtype === 'int32' ? 'labels' : 'float';
    this.hasLengths = spec.hasLengths;
    this.shards = headers.map((h, s) => ({
      path: join(folder, manifest.shards[s].file),
      layout: shardLayout(spec, h.header.count, h.headerBytes),
      fileBytes: h.fileBytes,
      sha256: h.header.sha256,
      verified: !options.verify,
    }));
    this.starts = new Float64Array(headers.length + 1);
    headers.forEach((h, s) => {
      this.starts[s + 1] = this.starts[s] + h.header.count;
    });
    this.cache = new BlockCache(options.blockBytes, options.cacheBytes);
  }

  get cachedBytes(): number {
    return this.cache.bytes;
  }

  get cacheLimitBytes(): number {
    return this.cache.limitBytes;
  }

  read(i: number, into: BatchBuffers, b: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.size) {
      fail(DataErrorCode.BAD_OPTION, `sample ${i} is outside the data set [0, ${this.size})`);
    }
    const s = this.shardOf(i);
    const j = i - this.starts[s];
    const { layout } = this.shards[s];
    const xValues = this.steps * this.features;
    const out = this.ids ? into.ids : into.x;
    if (out !== null)
      this.copy(s, layout.payloadOffset + j * layout.xBytes, out, b * xValues, xValues, this.ids);
    const length = this.hasLengths ? this.readLength(s, layout.lengthsOffset + j * 4) : this.steps;
    into.lengths[b] = length;
    const P = this.targetPerSample;
    if (P > 0 && into.target !== null) {
      this.copy(
        s,
        layout.targetOffset + j * layout.targetBytes,
        into.target,
        b * P,
        P,
        this.targetKind === 'labels',
      );
    }
    return length;
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
    this.cache.clear();
    this.verifyChunk = null;
  }

  /** The shard holding sample i: the previous one, its successor, or a binary search. */
  private shardOf(i: number): number {
    const { starts } = this;
    const s = this.lastShard;
    if (i >= starts[s] && i < starts[s + 1]) return s;
    let lo = 0;
    let hi = starts.length - 2; // last shard
    if (s + 2 < starts.length && i >= starts[s + 1] && i < starts[s + 2]) lo = hi = s + 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= i) lo = mid;
      else hi = mid - 1;
    }
    this.lastShard = lo;
    return lo;
  }

  /** Copies n int32 (asInt) or float32 values starting at byte `pos` of shard s into out[at..]. */
  private copy(
    s: number,
    pos: number,
    out: Float32Array | Int32Array,
    at: number,
    n: number,
    asInt: boolean,
  ): void {
    const blockBytes = this.options.blockBytes;
    while (n > 0) {
      const k = Math.floor(pos / blockBytes);
      const block = this.block(s, k);
      const first = (pos - k * blockBytes) >> 2; // value index inside the block
      const take = Math.min(n, (block.length >> 2) - first);
      const view = asInt ? block.i32 : block.f32;
      out.set(view.subarray(first, first + take), at);
      at += take;
      pos += take * 4;
      n -= take;
    }
  }

  private readLength(s: number, pos: number): number {
    const blockBytes = this.options.blockBytes;
    const k = Math.floor(pos / blockBytes);
    return this.block(s, k).i32[(pos - k * blockBytes) >> 2];
  }

  /** Block k of shard s, from the cache or read with one positioned read. */
  private block(s: number, k: number) {
    return this.cache.get(s * KEY_STRIDE + k, (into) => {
      const info = this.shards[s];
      const fd = this.fd(s);
      const pos = k * this.options.blockBytes;
      const want = Math.min(into.length, info.fileBytes - pos);
      const got = readFully(fd, into, want, pos);
      if (got < want) {
        fail(
          DataErrorCode.BAD_SHARD,
          `${info.path}: truncated since it was opened: a read at byte ${pos + got} found the end of the file, the header says ${info.fileBytes} bytes`,
        );
      }
      return got;
    });
  }

  /** An open descriptor for shard s (verifying it on first open), closing the least used if needed. */
  private fd(s: number): number {
    const open = this.fds.get(s);
    if (open !== undefined) {
      this.fds.delete(s);
      this.fds.set(s, open);
      return open;
    }
    if (this.fds.size >= this.options.maxOpenFiles) {
      const [oldest, fd] = this.fds.entries().next().value as [number, number];
      this.fds.delete(oldest);
      closeSync(fd);
    }
    const info = this.shards[s];
    const fd = openOrFail(info.path);
    try {
      if (!info.verified) this.verify(fd, info);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    this.fds.set(s, fd);
    return fd;
  }

  /** Streams the payload through SHA-256 in chunks and compares with the header's checksum. */
  private verify(fd: number, info: ShardInfo): void {
    this.verifyChunk ??= Buffer.allocUnsafe(SHARD_VERIFY_CHUNK_BYTES);
    const chunk = this.verifyChunk;
    const hash = createHash('sha256');
    const start = info.layout.payloadOffset;
    for (let pos = start; pos < info.fileBytes; ) {
      const want = Math.min(chunk.length, info.fileBytes - pos);
      const got = readFully(fd, chunk, want, pos);
      if (got < want) {
        fail(
          DataErrorCode.BAD_SHARD,
          `${info.path}: truncated at byte ${pos + got}, the header says ${info.fileBytes} bytes`,
        );
      }
      hash.update(chunk.subarray(0, got));
      pos += got;
    }
    const sha = hash.digest('hex');
    if (sha !== info.sha256) {
      fail(
        DataErrorCode.BAD_SHARD,
        `${info.path}: payload (bytes ${start}..${info.fileBytes}) has SHA-256 ${sha}, the header says ${info.sha256}: the shard is corrupted`,
      );
    }
    info.verified = true;
  }
}

function openOrFail(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (e) {
    return fail(DataErrorCode.NOT_FOUND, `cannot open shard ${path}`, e);
  }
}

/** readSync until `want` bytes are in `into` or the file ends; returns the bytes read. */
export function readFully(fd: number, into: Uint8Array, want: number, position: number): number {
  let got = 0;
  while (got < want) {
    const n = readSync(fd, into, got, want - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}
