// The streaming shard writer: samples in, a folder of shard files and manifest.json out
// (Note [shard layout] in shard-format.ts). Synchronous I/O in chunks of `bufferBytes`; run it in
// a worker if the event loop must stay free. Not a reader, not a converter from other formats.
//
// Note [atomic shards]. Each shard is written to `shard-NNNNN.rshd.tmp`, fsync'd, then renamed to
// `shard-NNNNN.rshd`; the manifest is written last the same way (manifest.json.tmp → rename). A
// crash leaves at most a `.tmp` file, which readers never open (they only open what the manifest
// lists), so a half-written shard is never taken for a whole one.
//
// Memory: one x write buffer (bufferBytes) plus one shard's lengths and targets, which are kept
// in memory until the shard is complete because they follow all of x in the file.

import { createHash, type Hash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { DataErrorCode, fail } from './errors.js';
import {
  checkHostEndianness,
  checkSpec,
  encodeHeader,
  payloadBytes,
  reservedHeaderBytes,
  SHARD_MANIFEST,
  SHARD_PREAMBLE_BYTES,
  SHARD_VERSION,
  type ShardEntry,
  type ShardManifest,
  type ShardSpec,
  shardFileName,
  shardLayout,
} from './shard-format.js';

/** Default size of the writer's x buffer (1 MiB). */
export const SHARD_WRITER_BUFFER_BYTES = 1 << 20;

export interface ShardWriterOptions {
  samplesPerShard: number; // samples per shard file; the last one may hold fewer
  overwrite?: boolean; // replace an existing shard set in the folder (default false)
  bufferBytes?: number; // x write buffer, default SHARD_WRITER_BUFFER_BYTES
}

/** One sample: x (T·F floats, or T ids), its real length, its P targets (or one number). */
export interface ShardSample {
  x: ArrayLike<number>; // (T, F) or (T)
  length?: number; // 1..T, only when spec.hasLengths
  target?: ArrayLike<number> | number; // (P); a number when P = 1
}

/** Many samples at once, batch-major; count = x.length / (T·F). */
export interface ShardBatch {
  x: ArrayLike<number>; // (n, T, F) or (n, T)
  lengths?: ArrayLike<number>; // (n)
  target?: ArrayLike<number>; // (n, P)
}

export interface ShardWriter {
  readonly samples: number; // appended so far
  append(sample: ShardSample): void;
  appendBatch(batch: ShardBatch): void;
  /** Finishes the last shard, writes manifest.json; returns the manifest. */
  close(): ShardManifest;
  /** Stops without a manifest and removes the unfinished shard's .tmp file. */
  abort(): void;
}

/** The shard being written. */
interface OpenShard {
  index: number;
  tmpPath: string;
  fd: number;
  count: number;
  written: number; // x bytes already in the file
  hash: Hash; // of the payload so far
}

/** Starts a shard set in `folder` (created if missing). */
export function createShardWriter(folder: string, spec: ShardSpec, options: ShardWriterOptions): ShardWriter {
  checkHostEndianness();
  return new Writer(folder, checkSpec(spec, 'createShardWriter'), checkOptions(options));
}

function checkOptions(options: ShardWriterOptions): Required<ShardWriterOptions> {
  if (options === null || typeof options !== 'object') fail(DataErrorCode.BAD_OPTION, 'options are required');
  const { samplesPerShard, overwrite = false, bufferBytes = SHARD_WRITER_BUFFER_BYTES } = options;
  if (!Number.isSafeInteger(samplesPerShard) || samplesPerShard < 1) {
    fail(
      DataErrorCode.BAD_OPTION,
      `options.samplesPerShard must be a positive integer, got ${String(samplesPerShard)}`,
    );
  }
  if (!Number.isSafeInteger(bufferBytes) || bufferBytes < 4 || bufferBytes % 4 !== 0) {
    fail(
      DataErrorCode.BAD_OPTION,
      `options.bufferBytes must be a positive multiple of 4, got ${String(bufferBytes)}`,
    );
  }
  return { samplesPerShard, overwrite: overwrite === true, bufferBytes };
}

class Writer implements ShardWriter {
  samples = 0;
  private readonly entries: ShardEntry[] = [];
  private shard: OpenShard | null = null;
  private state: 'open' | 'closed' | 'aborted' = 'open';
  private readonly headerBytes: number;
  private readonly xValues: number; // T·F
  private readonly buffer: Buffer; // x write buffer, bufferBytes
  private readonly view: Float32Array | Int32Array; // over buffer
  private fill = 0; // values in buffer
  private readonly lengths: Int32Array; // (samplesPerShard) or empty
  private readonly targets: Float32Array | Int32Array; // (samplesPerShard, P)

  constructor(
    private readonly folder: string,
    private readonly spec: ShardSpec,
    private readonly options: Required<ShardWriterOptions>,
  ) {
    prepareFolder(folder, options.overwrite);
    this.headerBytes = reservedHeaderBytes(spec);
    this.xValues = spec.steps * spec.features;
    const bytes = new ArrayBuffer(options.bufferBytes);
    this.buffer = Buffer.from(bytes);
    this.view = spec.dtype === 'int32' ? new Int32Array(bytes) : new Float32Array(bytes);
    const n = options.samplesPerShard;
    this.lengths = new Int32Array(spec.hasLengths ? n : 0);
    const P = spec.targetPerSample;
    this.targets = spec.targetDtype === 'int32' ? new Int32Array(n * P) : new Float32Array(n * P);
  }

  append(sample: ShardSample): void {
    if (sample === null || typeof sample !== 'object') {
      fail(DataErrorCode.BAD_OPTION, `sample ${this.samples} must be an object`);
    }
    const { x, length, target } = sample;
    if (x === null || typeof x !== 'object' || x.length !== this.xValues) {
      fail(DataErrorCode.BAD_OPTION, `sample ${this.samples}: x must hold T·F = ${this.xValues} values`);
    }
    this.appendOne(x, 0, length, typeof target === 'number' ? [target] : target, 0);
  }

  appendBatch(batch: ShardBatch): void {
    if (batch === null || typeof batch !== 'object') {
      fail(DataErrorCode.BAD_OPTION, 'appendBatch needs { x, lengths?, target? }');
    }
    const { x, lengths, target } = batch;
    const n = x.length / this.xValues;
    if (!Number.isInteger(n)) {
      fail(
        DataErrorCode.BAD_OPTION,
        `appendBatch: x holds ${x.length} values, not a multiple of T·F = ${this.xValues}`,
      );
    }
    if (lengths !== undefined && lengths.length !== n) {
      fail(DataErrorCode.BAD_OPTION, `appendBatch: ${lengths.length} lengths for ${n} samples`);
    }
    const P = this.spec.targetPerSample;
    if (target !== undefined && target.length !== n * P) {
      fail(
        DataErrorCode.BAD_OPTION,
        `appendBatch: target holds ${target.length} values, want n·P = ${n * P}`,
      );
    }
    for (let k = 0; k < n; k++) this.appendOne(x, k * this.xValues, lengths?.[k], target, k * P);
  }

  close(): ShardManifest {
    this.checkOpen();
    if (this.shard !== null) this.finishShard();
    const manifest: ShardManifest = {
      format: 'recur-shards',
      version: SHARD_VERSION,
      spec: this.spec,
      samples: this.samples,
      shards: this.entries,
    };
    writeFileAtomic(join(this.folder, SHARD_MANIFEST), Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
    syncFolder(this.folder);
    this.state = 'closed';
    return manifest;
  }

  abort(): void {
    if (this.shard !== null) {
      closeSync(this.shard.fd);
      unlinkSync(this.shard.tmpPath);
      this.shard = null;
    }
    this.state = 'aborted';
  }

  private checkOpen(): void {
    if (this.state !== 'open') {
      fail(DataErrorCode.BAD_OPTION, `the shard writer for ${this.folder} is ${this.state}`);
    }
  }

  /** Sample from x[xAt..], lengths, target[tAt..]; checked before anything is written. */
  private appendOne(
    x: ArrayLike<number>,
    xAt: number,
    length: number | undefined,
    target: ArrayLike<number> | undefined,
    tAt: number,
  ): void {
    this.checkOpen();
    this.checkSample(x, xAt, length, target, tAt);
    const shard = this.shard ?? this.startShard();
    const j = shard.count;
    this.copyX(x, xAt);
    if (this.spec.hasLengths) this.lengths[j] = length as number;
    const P = this.spec.targetPerSample;
    for (let p = 0; p < P; p++) this.targets[j * P + p] = (target as ArrayLike<number>)[tAt + p];
    shard.count++;
    this.samples++;
    if (shard.count === this.options.samplesPerShard) this.finishShard();
  }

  private checkSample(
    x: ArrayLike<number>,
    xAt: number,
    length: number | undefined,
    target: ArrayLike<number> | undefined,
    tAt: number,
  ): void {
    const { spec } = this;
    const n = this.samples;
    if (spec.hasLengths !== (length !== undefined)) {
      fail(
        DataErrorCode.BAD_OPTION,
        `sample ${n}: ${spec.hasLengths ? 'a length is required' : 'has a length but spec.hasLengths is false'}`,
      );
    }
    if (length !== undefined && (!Number.isInteger(length) || length < 1 || length > spec.steps)) {
      fail(DataErrorCode.BAD_OPTION, `sample ${n}: length ${length} is outside 1..${spec.steps}`);
    }
    const P = spec.targetPerSample;
    if (P > 0 !== (target !== undefined)) {
      fail(
        DataErrorCode.BAD_OPTION,
        `sample ${n}: ${P > 0 ? `needs ${P} target values` : 'has a target but targetPerSample is 0'}`,
      );
    }
    if (target !== undefined && target.length - tAt < P) {
      fail(DataErrorCode.BAD_OPTION, `sample ${n}: target must hold ${P} values`);
    }
    if (spec.dtype === 'int32' && !(x instanceof Int32Array))
      checkIntegers(x, xAt, this.xValues, `sample ${n}: x (int32 ids)`);
    if (spec.targetDtype === 'int32' && target !== undefined && !(target instanceof Int32Array))
      checkIntegers(target, tAt, P, `sample ${n}: target (int32 labels)`);
  }

  /** Copies T·F values of x into the write buffer, flushing it whenever it is full. */
  private copyX(x: ArrayLike<number>, at: number): void {
    const cap = this.view.length;
    let left = this.xValues;
    while (left > 0) {
      if (this.fill === cap) this.flush();
      const take = Math.min(left, cap - this.fill);
      if (isTyped(x)) this.view.set(x.subarray(at, at + take), this.fill);
      else for (let k = 0; k < take; k++) this.view[this.fill + k] = x[at + k];
      this.fill += take;
      at += take;
      left -= take;
    }
  }

  /** Writes the buffered x values at their place in the shard and hashes them. */
  private flush(): void {
    const shard = this.shard as OpenShard;
    const bytes = this.buffer.subarray(0, this.fill * 4);
    writeAll(shard.fd, bytes, SHARD_PREAMBLE_BYTES + this.headerBytes + shard.written);
    shard.hash.update(bytes);
    shard.written += bytes.length;
    this.fill = 0;
  }

  private startShard(): OpenShard {
    const index = this.entries.length;
    const tmpPath = join(this.folder, `${shardFileName(index)}.tmp`);
    const fd = openSync(tmpPath, 'w');
    this.shard = { index, tmpPath, fd, count: 0, written: 0, hash: createHash('sha256') };
    return this.shard;
  }

  /** Appends lengths and targets, writes the header, fsyncs and renames (Note [atomic shards]). */
  private finishShard(): void {
    this.flush();
    const shard = this.shard as OpenShard;
    const { spec } = this;
    const n = shard.count;
    const layout = shardLayout(spec, n, this.headerBytes);
    const tail: Buffer[] = [];
    if (spec.hasLengths) tail.push(Buffer.from(this.lengths.buffer, 0, n * 4));
    tail.push(Buffer.from(this.targets.buffer, 0, n * layout.targetBytes));
    let at = layout.lengthsOffset;
    for (const bytes of tail) {
      writeAll(shard.fd, bytes, at);
      shard.hash.update(bytes);
      at += bytes.length;
    }
    const sha256 = shard.hash.digest('hex');
    writeAll(
      shard.fd,
      encodeHeader({ ...spec, count: n, payloadBytes: payloadBytes(spec, n), sha256 }, this.headerBytes),
      0,
    );
    fsyncSync(shard.fd);
    closeSync(shard.fd);
    const file = shardFileName(shard.index);
    renameSync(shard.tmpPath, join(this.folder, file));
    this.entries.push({ file, samples: n, bytes: layout.fileBytes, sha256 });
    this.shard = null;
  }
}

/** Creates the folder; refuses an existing shard set, or with overwrite removes it. */
function prepareFolder(folder: string, overwrite: boolean): void {
  mkdirSync(folder, { recursive: true });
  const manifest = join(folder, SHARD_MANIFEST);
  if (!existsSync(manifest)) return;
  if (!overwrite) {
    const hint = 'pass overwrite: true or choose another folder';
    fail(DataErrorCode.BAD_OPTION, `${folder} already holds a shard set (${SHARD_MANIFEST}); ${hint}`);
  }
  unlinkSync(manifest); // first, so that a crash mid-rewrite leaves no manifest over new shards
  for (const name of readdirSync(folder)) {
    if (/^shard-\d{5,}\.rshd(\.tmp)?$/.test(name)) unlinkSync(join(folder, name)); // old shards
  }
}

function isTyped(x: ArrayLike<number>): x is Float32Array {
  return ArrayBuffer.isView(x) && typeof (x as Float32Array).subarray === 'function';
}

function checkIntegers(values: ArrayLike<number>, at: number, n: number, what: string): void {
  for (let k = at; k < at + n; k++) {
    const v = values[k];
    if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
      fail(DataErrorCode.BAD_OPTION, `${what}: value ${v} at ${k - at} is not an int32`);
    }
  }
}

/** writeSync until every byte is written at `position`. */
function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}

/** Writes `path` through `path.tmp`, fsync and rename. */
function writeFileAtomic(path: string, bytes: Buffer): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeAll(fd, bytes, 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** fsyncs the folder so the renames themselves survive a crash (POSIX; a no-op where refused). */
function syncFolder(folder: string): void {
  let fd = -1;
  try {
    fd = openSync(folder, 'r');
    fsyncSync(fd);
  } catch {
    // some platforms (Windows) cannot fsync a directory; the renames are still atomic
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}
