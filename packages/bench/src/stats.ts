// Medians over repeats, thread scaling and the ratios of recur to each peer.

import { PEER_KINDS, RECUR_KINDS } from './options.js';
import type { Measurement, Ratio, Summary } from './types.js';

/** The median of `xs` (the mean of the two middle values for an even count); NaN when empty. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** samples/s and GFLOP/s of one measurement's timed steps. */
export function rates(stepMs: readonly number[], batch: number, flopPerStep: number) {
  const seconds = stepMs.reduce((a, b) => a + b, 0) / 1000;
  return {
    samplesPerSecond: (batch * stepMs.length) / seconds,
    gflops: (flopPerStep * stepMs.length) / seconds / 1e9,
  };
}

/**
 * One Summary per (workload, system) in first-seen order: medians over the successful repeats.
 * Scaling is samples/s ÷ that of the same kind and workload at 1 thread (1 node for the cluster).
 */
export function summarise(measurements: readonly Measurement[]): Summary[] {
  const groups = new Map<string, Measurement[]>();
  for (const m of measurements) {
    const key = `${m.workload}\u0000${m.id}`;
    const group = groups.get(key) ?? [];
    group.push(m);
    groups.set(key, group);
  }
  const summaries: Summary[] = [];
  for (const group of groups.values()) {
    const first = group[0] as Measurement;
    const ok = group.filter((m) => m.ok);
    const summary: Summary = {
      id: first.id,
      kind: first.kind,
      threads: first.threads,
      label: first.label,
      ...(first.precision === undefined ? {} : { precision: first.precision }),
      ...(first.bucketBytes === undefined ? {} : { bucketBytes: first.bucketBytes }),
      workload: first.workload,
      runs: ok.length,
      failed: group.length - ok.length,
      samplesPerSecond: median(ok.map((m) => m.samplesPerSecond)),
      gflops: median(ok.map((m) => m.gflops)),
      medianStepMs: median(ok.flatMap((m) => m.stepMs)),
      peakRssMB: median(ok.map((m) => m.peakRssMB)),
      scaling: null,
    };
    const reduced = ok.flatMap((m) => (m.allReduce === undefined ? [] : [m.allReduce]));
    if (reduced.length > 0) {
      const one = reduced[0] as NonNullable<Measurement['allReduce']>;
      summary.allReduce = {
        params: one.params,
        bytes: one.bytes,
        GBs: median(reduced.map((r) => r.GBs)),
        memcpyGBs: median(reduced.map((r) => r.memcpyGBs)),
      };
    }
    summaries.push(summary);
  }
  for (const s of summaries) {
    const base = summaries.find(
      (b) =>
        b.workload === s.workload &&
        b.kind === s.kind &&
        b.precision === s.precision &&
        b.bucketBytes === s.bucketBytes &&
        b.threads === 1 &&
        b.runs > 0,
    );
    if (
      base !== undefined &&
      s.runs > 0 &&
      (RECUR_KINDS.includes(s.kind) || s.kind === 'torch' || s.kind === 'cluster')
    ) {
      s.scaling = s.samplesPerSecond / base.samplesPerSecond;
    }
  }
  return summaries;
}

/** recur ÷ peer samples/s for every recur system and every peer measured on the same workload. */
export function ratios(summaries: readonly Summary[]): Ratio[] {
  const out: Ratio[] = [];
  for (const r of summaries) {
    if (!RECUR_KINDS.includes(r.kind) || r.runs === 0) continue;
    for (const p of summaries) {
      if (!PEER_KINDS.includes(p.kind) || p.workload !== r.workload || p.runs === 0) continue;
      out.push({
        workload: r.workload,
        recur: r.id,
        peer: p.id,
        ratio: r.samplesPerSecond / p.samplesPerSecond,
      });
    }
  }
  return out;
}

/**
 * The interleaved scaling (Scaling.speedup): for each column W of `roundsStepMs` (one row per
 * round, the first column the base thread count), the median over rounds of that round's
 * base step ÷ its step at W; a ratio within each round, so a drift between rounds cancels.
 */
export function interleavedSpeedup(roundsStepMs: readonly (readonly number[])[]): number[] {
  const columns = roundsStepMs[0]?.length ?? 0;
  return Array.from({ length: columns }, (_, w) =>
    median(roundsStepMs.map((row) => (row[0] as number) / (row[w] as number))),
  );
}

/**
 * The CPU bound of the interleaved scaling (Scaling.cpuBound): per thread count W, the median
 * over rounds of (W ÷ W₀) · cpu(W₀) ÷ cpu(W), from each round's CPU ms per step in `worlds`' order.
 */
export function interleavedCpuBound(
  roundsCpuMs: readonly (readonly number[])[],
  worlds: readonly number[],
): number[] {
  const base = worlds[0] as number;
  return worlds.map((w, k) =>
    median(roundsCpuMs.map((row) => ((w / base) * (row[0] as number)) / (row[k] as number))),
  );
}
