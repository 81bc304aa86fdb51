// Test helpers for the shard tests: deterministic sample data for a spec, writing it through the
// shard writer, reading a whole data set back, and editing shard files in place to break them.
// Test-only (excluded from the build).

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BatchBuffers, SequenceDataset } from '../dataset.js';
import { SHARD_MANIFEST, type ShardManifest, type ShardSpec } from '../shard-format.js';
import { createShardWriter } from '../shard-writer.js';

/** Batch-major sample data: x (N, T, F), lengths (N), target (N, P). */
export interface SampleData {
  x: Float32Array | Int32Array;
  lengths: Int32Array | undefined;
  target: Float32Array | Int32Array | undefined;
}

export const spec = (over: Partial<ShardSpec> = {}): ShardSpec => ({
  dtype: 'float32',
  steps: 5,
  features: 3,
  targetDtype: 'float32',
  targetPerSample: 2,
  hasLengths: true,
  ...over,
});

/** n samples of deterministic pseudo-random data for `s` (a small LCG seeded by `seed`). */
export function makeData(s: ShardSpec, n: number, seed = 1): SampleData {
  let state = seed >>> 0 || 1;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const fill = <A extends Float32Array | Int32Array>(a: A, ints: boolean, top: number): A => {
    for (let k = 0; k < a.length; k++) a[k] = ints ? Math.floor(next() * top) : next() * 2 - 1;
    return a;
  };
  const xn = n * s.steps * s.features;
  const tn = n * s.targetPerSample;
  return {
    x: s.dtype === 'int32' ? fill(new Int32Array(xn), true, 1000) : fill(new Float32Array(xn), false, 0),
    lengths: s.hasLengths
      ? Int32Array.from({ length: n }, () => 1 + Math.floor(next() * s.steps))
      : undefined,
    target:
      tn === 0
        ? undefined
        : s.targetDtype === 'int32'
          ? fill(new Int32Array(tn), true, 7)
          : fill(new Float32Array(tn), false, 0),
  };
}

/** Writes `data` to `folder` one sample at a time (append) or in one call (appendBatch). */
export function writeData(
  folder: string,
  s: ShardSpec,
  data: SampleData,
  samplesPerShard: number,
  how: 'append' | 'batch' = 'append',
): ShardManifest {
  const writer = createShardWriter(folder, s, { samplesPerShard });
  if (how === 'batch') {
    writer.appendBatch({ x: data.x, lengths: data.lengths, target: data.target });
    return writer.close();
  }
  const xn = s.steps * s.features;
  const P = s.targetPerSample;
  const n = data.x.length / xn;
  for (let i = 0; i < n; i++) {
    writer.append({
      x: data.x.subarray(i * xn, (i + 1) * xn),
      length: data.lengths?.[i],
      target: data.target?.subarray(i * P, (i + 1) * P),
    });
  }
  return writer.close();
}

/** Batch buffers of B rows for a data set. */
export function buffersFor(ds: SequenceDataset, B: number): BatchBuffers {
  const T = ds.steps;
  const P = ds.targetPerSample;
  return {
    x: ds.ids ? null : new Float32Array(B * T * ds.features),
    ids: ds.ids ? new Int32Array(B * T) : null,
    lengths: new Int32Array(B),
    target: P === 0 ? null : ds.targetKind === 'labels' ? new Int32Array(B * P) : new Float32Array(B * P),
    sampleIndex: new Int32Array(B),
  };
}

/** Every sample read back through read(i, into, b), in `order` (default 0..N-1), batch-major. */
export function readAll(ds: SequenceDataset, order?: number[]): SampleData {
  const N = ds.size;
  const all = buffersFor(ds, N);
  const idx = order ?? Array.from({ length: N }, (_, i) => i);
  const one = buffersFor(ds, 3); // read into row 1 of a small batch, then place row i
  const xn = ds.steps * ds.features;
  const P = ds.targetPerSample;
  for (const i of idx) {
    const len = ds.read(i, one, 1);
    const ox = (ds.ids ? one.ids : one.x) as Float32Array | Int32Array;
    ((ds.ids ? all.ids : all.x) as Float32Array | Int32Array).set(ox.subarray(xn, 2 * xn), i * xn);
    all.lengths[i] = len;
    if (P > 0)
      (all.target as Float32Array | Int32Array).set((one.target as Float32Array).subarray(P, 2 * P), i * P);
  }
  return {
    x: (ds.ids ? all.ids : all.x) as Float32Array | Int32Array,
    lengths: ds.hasLengths ? all.lengths : undefined,
    target: all.target ?? undefined,
  };
}

/** Byte-for-byte equality of two typed arrays (NaN-safe), with where they first differ. */
export function sameBytes(
  a: ArrayBufferView | undefined,
  b: ArrayBufferView | undefined,
): { ok: boolean; message: string } {
  if (a === undefined || b === undefined) return { ok: a === b, message: 'one side is missing' };
  const x = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const y = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (x.equals(y)) return { ok: true, message: 'equal' };
  let k = 0;
  while (k < Math.min(x.length, y.length) && x[k] === y[k]) k++;
  return { ok: false, message: `differ at byte ${k} (lengths ${x.length}, ${y.length})` };
}

/** Reads, edits and rewrites the manifest of `folder`. */
export function editManifest(folder: string, edit: (m: ShardManifest) => void): void {
  const path = join(folder, SHARD_MANIFEST);
  const m = JSON.parse(readFileSync(path, 'utf8')) as ShardManifest;
  edit(m);
  writeFileSync(path, JSON.stringify(m));
}
