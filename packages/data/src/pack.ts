// A pack: what `recur data pack` writes and `recur train` reads back. A folder with one shard set
// per split (train/, validation/, test/, each with its manifest.json) and preprocessing.json (the
// vocabularies, scalers and label sets fitted on the training part, as the checkpoint stores them).
//
// Both directions stream: writeDatasetShards copies any SequenceDataset (windows made on the fly,
// a text corpus, another shard set) into a shard set PACK_CHUNK_SAMPLES samples at a time, and
// openPack opens the splits with the streaming reader (shard-reader.ts), so memory stays bounded
// by one chunk (writing) or the block cache (reading), whatever the data size. Not here: the
// shard format itself (shard-format.ts), batching (batching.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allocateBatchBuffers, type SequenceDataset } from './dataset.js';
import { checkPathArgument, DataErrorCode, describeGot, fail } from './errors.js';
import type { ShardManifest, ShardSpec } from './shard-format.js';
import { openShards, type ShardDataset, type ShardReaderOptions } from './shard-reader.js';
import { createShardWriter, type ShardWriterOptions } from './shard-writer.js';

/** Samples copied per chunk when a data set is written as shards (bounds the scratch buffers). */
export const PACK_CHUNK_SAMPLES = 1024;
/** The preprocessing file of a pack. */
export const PACK_PREPROCESSING = 'preprocessing.json';
/** The splits of a pack, each a shard set in the folder of that name. */
export const PACK_SPLITS = ['train', 'validation', 'test'] as const;

export type PackSplit = (typeof PACK_SPLITS)[number];

/** The shard spec that holds `dataset`'s samples. */
export function shardSpecOf(dataset: SequenceDataset): ShardSpec {
  return {
    dtype: dataset.ids ? 'int32' : 'float32',
    steps: dataset.steps,
    features: dataset.ids ? 1 : dataset.features,
    targetDtype: dataset.targetKind === 'labels' ? 'int32' : 'float32',
    targetPerSample: dataset.targetPerSample,
    hasLengths: dataset.hasLengths,
  };
}

/** Writes every sample of `dataset`, in index order, as a shard set in `folder`; chunked. */
export function writeDatasetShards(
  dataset: SequenceDataset,
  folder: string,
  options: ShardWriterOptions,
): ShardManifest {
  if (typeof dataset !== 'object' || dataset === null || typeof dataset.read !== 'function') {
    fail(DataErrorCode.BAD_OPTION, 'writeDatasetShards: dataset must be a SequenceDataset');
  }
  const writer = createShardWriter(folder, shardSpecOf(dataset), options);
  const rows = Math.max(1, Math.min(PACK_CHUNK_SAMPLES, dataset.size));
  const buffers = allocateBatchBuffers(dataset, rows);
  const input = (dataset.ids ? buffers.ids : buffers.x) as Float32Array | Int32Array; // (rows, T·F)
  const rowSize = input.length / rows;
  const O = dataset.targetPerSample;
  try {
    for (let first = 0; first < dataset.size; first += rows) {
      const n = Math.min(rows, dataset.size - first);
      for (let b = 0; b < n; b++) buffers.lengths[b] = dataset.read(first + b, buffers, b);
      writer.appendBatch({
        x: input.subarray(0, n * rowSize),
        ...(dataset.hasLengths ? { lengths: buffers.lengths.subarray(0, n) } : {}),
        ...(buffers.target === null ? {} : { target: buffers.target.subarray(0, n * O) }),
      });
    }
    return writer.close();
  } catch (e) {
    writer.abort();
    throw e;
  }
}

/** Writes a pack: each given split as a shard set, then preprocessing.json. */
export function writePack(
  folder: string,
  splits: Partial<Record<PackSplit, SequenceDataset>>,
  preprocessing: unknown,
  options: ShardWriterOptions,
): Record<PackSplit, number> {
  checkPathArgument(folder, 'writePack');
  if (typeof splits !== 'object' || splits === null || Array.isArray(splits)) {
    fail(
      DataErrorCode.BAD_OPTION,
      `writePack: splits must be an object { train, validation?, test? }, got ${describeGot(splits)}`,
    );
  }
  const counts = { train: 0, validation: 0, test: 0 };
  for (const name of PACK_SPLITS) {
    const dataset = splits[name];
    if (dataset !== undefined)
      counts[name] = writeDatasetShards(dataset, join(folder, name), options).samples;
  }
  writeFileSync(join(folder, PACK_PREPROCESSING), `${JSON.stringify(preprocessing ?? null)}\n`);
  return counts;
}

/** A pack opened for streaming: its splits (those present), its preprocessing, and close(). */
export interface OpenPack {
  train: ShardDataset;
  validation: ShardDataset | null;
  test: ShardDataset | null;
  preprocessing: unknown;
  close(): void;
}

/**
 * Opens the pack in `folder`: train/ must exist; validation/ and test/ are optional (null when
 * absent). Each split has its own block cache of `options.cacheBytes`.
 */
export async function openPack(folder: string, options: ShardReaderOptions = {}): Promise<OpenPack> {
  const preprocessing = readPreprocessing(folder);
  const train = await openShards(join(folder, 'train'), options);
  const optional = async (name: PackSplit) =>
    openShards(join(folder, name), options).catch((e: unknown) => {
      if ((e as { code?: string })?.code === DataErrorCode.NOT_FOUND) return null;
      throw e;
    });
  const validation = await optional('validation');
  const test = await optional('test');
  const close = () => {
    for (const split of [train, validation, test]) split?.close();
  };
  return { train, validation, test, preprocessing, close };
}

function readPreprocessing(folder: string): unknown {
  const path = join(folder, PACK_PREPROCESSING);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return fail(DataErrorCode.NOT_FOUND, `${path}: a pack needs its preprocessing file`, e);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    return fail(DataErrorCode.BAD_JSON, `${path}: not JSON (${(e as Error).message})`, e);
  }
}
