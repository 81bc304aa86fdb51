// The report as a self-contained HTML page: charts drawn with vega-lite (compiled to vega and
// rendered to SVG in Node, no canvas, no script in the page), the tables, the notes, and the JSON.

import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { formatNumber, formatRatio, formatReport } from './format.js';
import type { BenchReport } from './types.js';

const KIND_COLORS = {
  domain: ['recur', 'recur-wasm', 'tfjs-cpu', 'tfjs-wasm', 'torch', 'cluster'],
  range: ['#d62728', '#ff9896', '#9ecae1', '#3182bd', '#ff7f0e', '#e377c2'],
};
const SCALING_NAMES: Record<string, string> = {
  recur: 'recur threads(W)',
  'recur-wasm': 'recur wasm threads(W)',
  torch: 'PyTorch',
  cluster: 'recur cluster, W nodes',
};

/** vega-lite specs of the page's charts (exported for tests and for other renderers). */
export function chartSpecs(report: BenchReport): Record<string, TopLevelSpec> {
  const ok = report.summaries.filter((s) => s.runs > 0);
  const speed = ok.map((s) => ({
    workload: s.workload,
    system: s.label,
    kind: s.kind,
    samples: s.samplesPerSecond,
  }));
  const ratio = report.ratios.map((r) => ({
    workload: r.workload,
    recur: ok.find((s) => s.id === r.recur && s.workload === r.workload)?.label ?? r.recur,
    peer: ok.find((s) => s.id === r.peer && s.workload === r.workload)?.label ?? r.peer,
    ratio: r.ratio,
  }));
  const scaling = ok
    .filter((s) => SCALING_NAMES[s.kind] !== undefined)
    .map((s) => ({
      workload: s.workload,
      system: SCALING_NAMES[s.kind],
      threads: s.threads,
      samples: s.samplesPerSecond,
    }));
  return {
    speed: {
      title: 'samples/s (log scale; a sample is one whole sequence)',
      data: { values: speed },
      facet: { row: { field: 'workload', type: 'nominal', title: null } },
      spec: {
        width: 520,
        mark: 'bar',
        encoding: {
          y: { field: 'system', type: 'nominal', sort: null, title: null },
          x: { field: 'samples', type: 'quantitative', scale: { type: 'log' }, title: 'samples/s' },
          color: { field: 'kind', type: 'nominal', scale: KIND_COLORS, legend: null },
          tooltip: [{ field: 'samples', format: ',.1f' }],
        },
      },
      resolve: { scale: { y: 'independent' } },
    } as TopLevelSpec,
    ratios: {
      title: 'recur ÷ peer, samples/s (log scale; 1 = as fast)',
      data: { values: ratio },
      facet: { row: { field: 'workload', type: 'nominal', title: null } },
      spec: {
        width: 520,
        layer: [
          {
            mark: 'bar',
            encoding: {
              y: { field: 'peer', type: 'nominal', sort: null, title: null },
              yOffset: { field: 'recur', type: 'nominal' },
              x: { field: 'ratio', type: 'quantitative', scale: { type: 'log' }, title: 'recur ÷ peer' },
              color: { field: 'recur', type: 'nominal', title: 'recur' },
            },
          },
          { mark: { type: 'rule', color: 'black' }, encoding: { x: { datum: 1 } } },
        ],
      },
      resolve: { scale: { y: 'independent' } },
    } as TopLevelSpec,
    scaling: {
      title: 'scaling: samples/s against W threads (W nodes of one thread for the cluster)',
      data: { values: scaling },
      facet: { column: { field: 'workload', type: 'nominal', title: null } },
      spec: {
        width: 200,
        height: 160,
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'threads', type: 'ordinal', title: 'W' },
          y: { field: 'samples', type: 'quantitative', title: 'samples/s' },
          color: { field: 'system', type: 'nominal', title: null },
        },
      },
      resolve: { scale: { y: 'independent' } },
    } as TopLevelSpec,
  };
}

/** Renders one vega-lite spec to an SVG string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function summaryTable(report: BenchReport): string {
  const head = ['workload', 'system', 'samples/s', 'GFLOP/s', '×1 thread/node', 'peak RSS MB', 'runs'];
  const rows = report.summaries.map((s) =>
    [
      s.workload,
      s.label,
      formatNumber(s.samplesPerSecond),
      formatNumber(s.gflops),
      formatRatio(s.scaling),
      formatNumber(s.peakRssMB),
      String(s.runs),
    ]
      .map((c, i) => `<td${i > 1 ? ' class="n"' : ''}>${escapeHtml(c)}</td>`)
      .join(''),
  );
  return `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r}</tr>`).join('')}</tbody></table>`;
}

/** The HTML page of a report (charts as inline SVG, the tables as text and HTML, the JSON). */
export async function renderHtml(report: BenchReport): Promise<string> {
  const specs = chartSpecs(report);
  const charts: string[] = [];
  for (const [name, spec] of Object.entries(specs)) {
    const empty = (spec as { data?: { values?: unknown[] } }).data?.values?.length === 0;
    if (!empty) charts.push(`<figure id="chart-${name}">${await renderSvg(spec)}</figure>`);
  }
  const e = report.environment;
  const json = JSON.stringify(
    report,
    (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v),
    2,
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>recur bench ${escapeHtml(report.startedAt)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; max-width: 70em; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { padding: 0.2em 0.8em; border-bottom: 1px solid #ddd; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; }
figure { margin: 1.5em 0; }
</style>
</head>
<body>
<h1>recur bench</h1>
<p>node ${escapeHtml(e.node)}, ${e.cores} cores, ${escapeHtml(e.cpu)}; ${escapeHtml(report.startedAt)} – ${escapeHtml(report.finishedAt)}.
A sample is one whole sequence; every figure is the median over repeats, each measurement in its own process.
${report.command === null ? '' : `Command: <code>${escapeHtml(report.command)}</code>`}</p>
${charts.join('\n')}
<h2>Summary</h2>
${summaryTable(report)}
<h2>As printed</h2>
<pre>${escapeHtml(formatReport(report))}</pre>
<details><summary>JSON</summary><pre>${escapeHtml(json)}</pre></details>
</body>
</html>
`;
}
