// The report as terminal tables and as JSON.

import { PEER_KINDS, RECUR_KINDS } from './options.js';
import { median } from './stats.js';
import type { BenchReport, Summary } from './types.js';

export type Align = 'left' | 'right';

/** Plain-text table: a header row, a rule, then rows; columns padded to their widest cell. */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  align?: readonly Align[],
): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => {
        const w = widths[c] as number;
        return (align?.[c] ?? (c === 0 ? 'left' : 'right')) === 'left' ? cell.padEnd(w) : cell.padStart(w);
      })
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** A number with about three significant digits, thousands grouped: 2165, 97.3, 13.4, 0.852. */
export function formatNumber(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A ratio as "12.3×" (three significant digits), "—" when unknown. */
export function formatRatio(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return `${formatNumber(x)}×`;
}

const peerColumns = (summaries: readonly Summary[]) => summaries.filter((s) => PEER_KINDS.includes(s.kind));

/** The whole report as text: per workload the systems and the recur ÷ peer ratios, then all-reduce and notes. */
export function formatReport(report: BenchReport): string {
  const e = report.environment;
  const out: string[] = [];
  out.push(`recur bench: node ${e.node}, ${e.cores} cores, ${e.cpu}`);
  out.push('samples/s: a sample is one whole sequence; medians over repeats (each in its own process)');
  if (report.command !== null) out.push(`command: ${report.command}`);
  for (const [name, w] of Object.entries(report.workloads)) {
    const c = report.settings.counts[name];
    const summaries = report.summaries.filter((s) => s.workload === name);
    out.push('');
    out.push(
      `${name}: ${w.cell.toUpperCase()} [B ${w.batch}, T ${w.timesteps}, I ${w.features}] → H ${w.hidden} → Dense(1), ` +
        `${(w.flopPerStep / 1e9).toFixed(2)} GFLOP/step; ${c?.repeats} × (${c?.warmup} warm-up + ${c?.steps} timed steps)`,
    );
    if (summaries.length === 0) {
      out.push('  nothing measured');
      continue;
    }
    const rows = summaries.map((s) => [
      s.label,
      formatNumber(s.samplesPerSecond),
      formatNumber(s.gflops),
      formatNumber(s.medianStepMs),
      formatRatio(s.scaling),
      formatNumber(s.peakRssMB),
      s.failed > 0 ? `${s.runs} (${s.failed} failed)` : String(s.runs),
    ]);
    out.push(
      renderTable(
        ['system', 'samples/s', 'GFLOP/s', 'step ms', '×1 thread/node', 'peak RSS MB', 'runs'],
        rows,
      ),
    );
    const peers = peerColumns(summaries);
    const recurs = summaries.filter((s) => RECUR_KINDS.includes(s.kind));
    if (peers.length > 0 && recurs.length > 0) {
      out.push('');
      const ratioRows = recurs.map((r) => [
        r.label,
        ...peers.map((p) =>
          formatRatio(
            report.ratios.find((x) => x.recur === r.id && x.peer === p.id && x.workload === name)?.ratio,
          ),
        ),
      ]);
      out.push(renderTable(['recur ÷ peer', ...peers.map((p) => p.label)], ratioRows));
    }
  }
  out.push(...phaseTable(report));
  out.push(...scalingTable(report));
  const reduced = report.summaries.filter((s) => s.allReduce !== undefined);
  if (reduced.length > 0) {
    out.push('');
    out.push(
      "all-reduce of recur threads(W): (W + 1)·P·4 bytes (balanced, A micro-batches a rank: (W·A + 2W + 1)·P·4) ÷ the slowest rank's reduce time per step, beside a memory copy of the same bytes",
    );
    out.push(
      renderTable(
        ['workload', 'threads', 'params', 'MB', 'all-reduce GB/s', 'memcpy GB/s', 'all-reduce ÷ memcpy'],
        reduced.map((s) => {
          const a = s.allReduce as NonNullable<Summary['allReduce']>;
          return [
            s.workload,
            String(s.threads),
            String(a.params),
            formatNumber(a.bytes / 1e6),
            formatNumber(a.GBs),
            formatNumber(a.memcpyGBs),
            formatRatio(a.GBs / a.memcpyGBs),
          ];
        }),
      ),
    );
  }
  if (report.notes.length > 0) {
    out.push('');
    out.push('notes:');
    for (const n of report.notes) out.push(`- ${n}`);
  }
  return `${out.join('\n')}\n`;
}

const PHASES = ['compute', 'wait', 'reduce', 'update', 'rest'] as const;

/**
 * Where a recur step goes, per workload and recur system (its kernels): the medians over repeats
 * of the children's ms per step by phase (child-recur.ts), empty when none reported them.
 */
function phaseTable(report: BenchReport): string[] {
  const rows: string[][] = [];
  for (const s of report.summaries) {
    if (!RECUR_KINDS.includes(s.kind)) continue;
    const details = report.measurements
      .filter((m) => m.ok && m.id === s.id && m.workload === s.workload)
      .map((m) => m.detail as { kernels?: string; phasesMs?: Record<string, number> } | undefined)
      .filter((d) => d?.phasesMs !== undefined);
    if (details.length === 0) continue;
    const phase = (k: string) => formatNumber(median(details.map((d) => d?.phasesMs?.[k] ?? Number.NaN)));
    rows.push([
      s.workload,
      s.label,
      details[0]?.kernels ?? '',
      formatNumber(s.medianStepMs),
      ...PHASES.map(phase),
    ]);
  }
  if (rows.length === 0) return [];
  return [
    '',
    'where a recur step goes, ms per step (medians over repeats; compute = forward + backward: gemm, gate math, head, loss;',
    'wait = barriers; reduce = all-reduce; update = clipping + optimizer; rest = filling the batch, waking the ranks, fit)',
    renderTable(['workload', 'system', 'kernels', 'step ms', ...PHASES], rows),
  ];
}

/**
 * recur's interleaved scaling (run.ts, Note [interleaved scaling]): per workload the speedup of
 * each thread count over the first, the median over rounds of each round's ratio.
 */
function scalingTable(report: BenchReport): string[] {
  const done = report.scaling.filter((s) => s.ok);
  if (done.length === 0) return [];
  const worlds = [...new Set(done.flatMap((s) => s.threads))].sort((a, b) => a - b);
  const base = worlds[0] as number;
  const rows = done.map((s) => [
    s.workload,
    ...worlds.map((w) => formatRatio(s.speedup[s.threads.indexOf(w)])),
    ...worlds.slice(1).map((w) => formatRatio(s.cpuBound[s.threads.indexOf(w)])),
    String(s.roundsStepMs.length),
    String(s.steps),
  ]);
  return [
    '',
    `recur threads(W) ÷ threads(${base}), fits alternated in one process (median over rounds of each round's ratio of`,
    "median step times; the table above compares processes run seconds apart, which the machine's drift moves too);",
    `CPU bound: what the process's CPU time per step allows, (W ÷ ${base}) · CPU(threads(${base})) ÷ CPU(threads(W)):`,
    'below W when the cores compute slower while all work, or the threads add work',
    renderTable(
      [
        'workload',
        ...worlds.map((w) => `threads(${w})`),
        ...worlds.slice(1).map((w) => `CPU bound(${w})`),
        'rounds',
        'steps/fit',
      ],
      rows,
    ),
  ];
}

/** The report as JSON text (non-finite numbers become null), two-space indented. */
export function formatJson(report: BenchReport): string {
  return `${JSON.stringify(report, (_key, value) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2)}\n`;
}
