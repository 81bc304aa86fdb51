// @recur/data: the public surface; see README.md.

export * from './batching.js';
export * from './dataset.js';
export * from './errors.js';
export * from './hash.js';
export * from './pack.js';
export {
  MAX_EPOCH,
  MAX_SAMPLES,
  permutation,
  rankShare,
  type SampleRange,
  Sampler,
  type SamplerOptions,
  shuffled,
  splitRange,
} from './sampler.js';
export * from './scaler.js';
export * from './shards.js';
export {
  CSV_BATCH_ROWS,
  CSV_INFER_MAX_ROWS,
  CSV_INFER_VALUES,
  CSV_MAX_COLUMNS,
  CSV_MAX_FIELD_BYTES,
  type CsvBatch,
  type CsvOptions,
  type CsvSource,
  readCsv,
  streamCsv,
} from './sources/csv.js';
export { type GroupSequence, type GroupSequenceOptions, groupSequences } from './sources/groups.js';
export {
  JSON_MAX_FILE_BYTES,
  JSONL_MAX_LINE_BYTES,
  type JsonOptions,
  type JsonRecord,
  type RecordsToTableOptions,
  readJson,
  recordsToTable,
  streamJsonLines,
} from './sources/json.js';
export {
  PARQUET_ROW_GROUP_BATCH,
  type ParquetBatch,
  type ParquetOptions,
  streamParquet,
} from './sources/parquet.js';
export {
  type ColumnType,
  columnRecord,
  MISSING_POLICIES,
  type MissingPolicy,
  parseDateText,
  parseNumberText,
  type Table,
} from './sources/table.js';
export {
  readTextFile,
  readTextFolder,
  TEXT_MAX_FILE_BYTES,
  type TextFile,
  type TextFileOptions,
  type TextFolderOptions,
} from './sources/text.js';
export * from './text/baselines.js';
export * from './text/datasets.js';
export * from './text/tokenizers.js';
export * from './text/vocabulary.js';
export * from './windows.js';
