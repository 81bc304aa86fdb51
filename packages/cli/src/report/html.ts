// report.html: one self-contained page (SVG inline, no scripts) with the result beside the
// baseline, the training and validation loss, the validation metric, the task's charts and, for
// language models, sample generations. Every chart is a <figure data-chart="id">.
import { writeFileSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import type { EarlyStop } from '../run/callbacks.js';
import { describeKernels, type KernelsUsed } from '../run/kernels.js';
import type { Score } from '../tasks/index.js';
import { type ChartSpec, lineChart, renderSvg } from './charts.js';
import { earlyStopRow, learningRateChart } from './training-notes.js';

export interface ReportInput {
  config: Config;
  score: Score;
  describe: string;
  summary: string;
  metrics: Record<string, number>[];
  /** the kernels the epochs ran on (metrics.jsonl), each once */
  kernels: KernelsUsed[];
  charts: ChartSpec[];
  samples?: string[];
  seconds: number;
  /** the checkpoint scored, e.g. "best.ckpt, epoch 17 of 30 (lowest val_loss 0.01234)" */
  scored?: string;
  /** the units of the loss and validation metric when they differ from the score's */
  trainingUnits?: string;
  /** when a callback (training.earlyStopping) ended training early */
  stopped?: EarlyStop | null;
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A value of a score in its unit: "12.34%" or four significant digits. */
function formatValue(score: Score, v: number): string {
  return score.unit === '%' ? `${v.toFixed(2)}%` : v.toPrecision(4);
}

/**
 * "12.3% better than persistence", "4.0% worse than …", or for a percentage metric "2.10 points
 * better than …". A baseline of exactly 0 has no relative difference (a constant target makes
 * persistence exact): it reads "persistence is exact (0.000), the model is off by 0.4786".
 */
export function comparison(score: Score): { text: string; better: boolean; ratio: number } {
  const { value, baseline, lowerIsBetter } = score;
  const gain = lowerIsBetter ? baseline.value - value : value - baseline.value;
  if (score.unit === '%') {
    const better = gain > 0;
    const text = `${Math.abs(gain).toFixed(2)} points ${better ? 'better' : 'worse'} than ${baseline.name}`;
    return { text, better, ratio: baseline.value === 0 ? 0 : gain / Math.abs(baseline.value) };
  }
  if (baseline.value === 0) return comparedWithZero(score);
  const ratio = gain / Math.abs(baseline.value);
  const better = ratio > 0;
  return {
    text: `${(100 * Math.abs(ratio)).toFixed(1)}% ${better ? 'better' : 'worse'} than ${baseline.name}`,
    better,
    ratio,
  };
}

function comparedWithZero(score: Score): { text: string; better: boolean; ratio: number } {
  const { value, baseline, lowerIsBetter } = score;
  if (value === 0) return { text: 'both exact', better: true, ratio: 0 };
  if (lowerIsBetter) {
    const text = `${baseline.name} is exact (${formatValue(score, 0)}), the model is off by ${formatValue(score, value)}`;
    return { text, better: false, ratio: Number.NEGATIVE_INFINITY };
  }
  const better = value > 0;
  return { text: `${baseline.name} scores 0`, better, ratio: better ? Number.POSITIVE_INFINITY : 0 };
}

export function formatScore(score: Score): string {
  const f = (v: number) => formatValue(score, v);
  const others = (score.others ?? []).map((o) => `; ${o.name} ${f(o.value)}`).join('');
  return `test ${score.metric} ${f(score.value)} vs ${score.baseline.name} ${f(score.baseline.value)}: ${comparison(score).text}${others}`;
}

function curves(metrics: Record<string, number>[], trainingUnits: boolean): ChartSpec[] {
  const units = trainingUnits ? ' (training units, see above)' : '';
  const loss: Record<string, string | number>[] = [];
  const metric: Record<string, string | number>[] = [];
  let metricName = '';
  for (const m of metrics) {
    const epoch = m.epoch + 1;
    loss.push({ epoch, series: 'training', loss: m.loss });
    if (m.val_loss !== undefined) loss.push({ epoch, series: 'validation', loss: m.val_loss });
    for (const [k, v] of Object.entries(m)) {
      if (k.startsWith('val_') && k !== 'val_loss') {
        metricName = k;
        metric.push({ epoch, series: k, value: v });
      }
    }
  }
  const out = [
    lineChart('loss', `Training and validation loss by epoch${units}`, loss, {
      x: 'epoch',
      y: 'loss',
      series: 'series',
      integer: true,
    }),
  ];
  if (metric.length > 0) {
    out.push(
      lineChart('metric', `Validation ${metricName.slice(4)} by epoch${units}`, metric, {
        x: 'epoch',
        y: 'value',
        series: 'series',
        integer: true,
        yTitle: metricName,
      }),
    );
  }
  return out;
}

export async function writeReport(path: string, input: ReportInput): Promise<void> {
  const charts = [
    ...curves(input.metrics, input.trainingUnits !== undefined),
    ...learningRateChart(input.metrics),
    ...input.charts,
  ];
  const row = (id: string, name: string, text: string | undefined) =>
    text === undefined ? '' : `<tr><th>${name}</th><td id="${id}">${escapeHtml(text)}</td></tr>\n`;
  const figures: string[] = [];
  for (const chart of charts) {
    figures.push(
      `<figure class="chart" data-chart="${escapeHtml(chart.id)}"><figcaption>${escapeHtml(chart.title)}</figcaption>${await renderSvg(chart)}</figure>`,
    );
  }
  const c = comparison(input.score);
  const samples =
    input.samples === undefined || input.samples.length === 0
      ? ''
      : `<section id="samples"><h2>Sample generations</h2>${input.samples.map((s) => `<pre class="sample">${escapeHtml(s)}</pre>`).join('\n')}</section>`;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>recur report: ${escapeHtml(input.config.name)}</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #222; }
figure { margin: 1.5rem 0; } figcaption { font-weight: 600; margin-bottom: .4rem; }
.result { font-size: 1.2rem; padding: .6rem 1rem; border-left: 4px solid ${c.better ? '#2a7' : '#c33'}; background: #f6f6f6; }
pre { background: #f6f6f6; padding: .6rem; overflow-x: auto; white-space: pre-wrap; }
td, th { padding: .2rem .8rem; text-align: left; }
</style></head><body>
<h1>${escapeHtml(input.config.name)}</h1>
<p>${escapeHtml(input.config.description ?? '')}</p>
<p class="result" id="result">${escapeHtml(formatScore(input.score))}</p>
<table>
<tr><th>task</th><td>${escapeHtml(input.config.task)}</td></tr>
<tr><th>data</th><td>${escapeHtml(input.describe)}</td></tr>
<tr><th>epochs</th><td>${input.metrics.length}</td></tr>
${row('scored', 'scored', input.scored)}${row('training-units', 'training units', input.trainingUnits)}${earlyStopRow(input.stopped, input.config.training.epochs, escapeHtml)}<tr><th>training time</th><td>${input.seconds.toFixed(1)} s on ${input.config.training.threads} thread(s)</td></tr>
<tr><th>kernels</th><td id="kernels">${escapeHtml(input.kernels.map(describeKernels).join('; '))}</td></tr>
</table>
${figures.join('\n')}
${samples}
<h2>Model</h2><pre>${escapeHtml(input.summary)}</pre>
<h2>Config</h2><pre>${escapeHtml(JSON.stringify(input.config, null, 2))}</pre>
</body></html>
`;
  writeFileSync(path, html);
}
