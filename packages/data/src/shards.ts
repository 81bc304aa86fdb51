// The shard format's public surface: a folder of `shard-NNNNN.rshd` files and manifest.json for
// data sets larger than memory. Format and checks: shard-format.ts (Note [shard layout]); the
// streaming writer: shard-writer.ts (Note [atomic shards]); the streaming reader with its
// bounded block cache: shard-reader.ts; the SharedArrayBuffer variant for W threads:
// shard-shared.ts. This file only re-exports.

export {
  SHARD_MAGIC,
  SHARD_MANIFEST,
  SHARD_MAX_HEADER_BYTES,
  SHARD_VERSION,
  type ShardEntry,
  type ShardHeader,
  type ShardManifest,
  type ShardSpec,
  shardFileName,
} from './shard-format.js';
export {
  openShards,
  SHARD_READER_BLOCK_BYTES,
  SHARD_READER_CACHE_BYTES,
  SHARD_READER_MAX_OPEN_FILES,
  SHARD_VERIFY_CHUNK_BYTES,
  type ShardDataset,
  type ShardReaderOptions,
} from './shard-reader.js';
export {
  fromShared,
  loadShardsShared,
  SHARD_LOAD_CHUNK_BYTES,
  type SharedShardDataset,
  type SharedShardsDescription,
} from './shard-shared.js';
export {
  createShardWriter,
  SHARD_WRITER_BUFFER_BYTES,
  type ShardBatch,
  type ShardSample,
  type ShardWriter,
  type ShardWriterOptions,
} from './shard-writer.js';
