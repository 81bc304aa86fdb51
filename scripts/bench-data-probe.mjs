// Preloaded into `recur train` by bench-data.mjs (node --import): times every batch fill of
// @recur/data's batch sources (DatasetBatchSource.fillRange, which fill calls) in the process
// and, at exit, writes to $RECUR_BENCH_PROBE_OUT the training source's figures (the source that
// filled the most samples: validation and test are small in the benchmark), the time at the end
// of each of its fills (ms, so the benchmark can time any range of steps) and the process's
// peak RSS. Steady state: the figures count the fills after the first $RECUR_BENCH_WARM_FILLS
// (the thread pool's start and the first compile are excluded). Not part of recur: a benchmark aid.
import { writeFileSync } from 'node:fs';
import { DatasetBatchSource } from '@recur/data';

const out = process.env.RECUR_BENCH_PROBE_OUT;
const warmFills = Number(process.env.RECUR_BENCH_WARM_FILLS ?? '6');
/** Per source: fills, samples and fill ms after the warm fills, and the steady span's ends. */
const bySource = new Map();
const fillRange = DatasetBatchSource.prototype.fillRange;

DatasetBatchSource.prototype.fillRange = function timedFillRange(...args) {
  const t0 = performance.now();
  const n = fillRange.apply(this, args);
  const t1 = performance.now();
  let s = bySource.get(this);
  if (s === undefined) {
    s = { fills: 0, samples: 0, fillMs: 0, start: 0, end: 0, ends: [] };
    bySource.set(this, s);
  }
  s.fills++;
  s.ends.push(t1);
  if (s.fills === warmFills) s.start = t1;
  if (s.fills > warmFills) {
    s.samples += n;
    s.fillMs += t1 - t0;
    s.end = t1;
  }
  return n;
};

process.on('exit', () => {
  if (out === undefined) return;
  let train = null;
  for (const s of bySource.values()) if (train === null || s.samples > train.samples) train = s;
  const spanMs = train === null ? 0 : train.end - train.start;
  writeFileSync(
    out,
    JSON.stringify({
      maxRssKiB: process.resourceUsage().maxRSS,
      fills: train?.fills ?? 0,
      samples: train?.samples ?? 0,
      fillMs: train?.fillMs ?? 0,
      spanMs,
      fillEnds: train?.ends ?? [],
    }),
  );
});
