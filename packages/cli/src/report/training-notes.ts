// The report's notes on how training went beyond its loss: the learning rate by epoch (from
// metrics.jsonl's `lr`, which reduceLROnPlateau and training.schedule move) and, when a callback
// ended training early, the epoch and the reason.
import type { EarlyStop } from '../run/callbacks.js';
import { type ChartSpec, lineChart } from './charts.js';

/** The learning rate of each epoch's last step; none when metrics.jsonl has no `lr` (older runs). */
export function learningRateChart(metrics: Record<string, number>[]): ChartSpec[] {
  const rows = metrics
    .filter((m) => m.lr !== undefined)
    .map((m) => ({ epoch: m.epoch + 1, series: 'learning rate', lr: m.lr }));
  if (rows.length === 0) return [];
  return [
    lineChart('lr', 'Learning rate by epoch (its last step)', rows, {
      x: 'epoch',
      y: 'lr',
      series: 'series',
      integer: true,
      yTitle: 'learning rate',
    }),
  ];
}

/** A row of the report's table, "stopped early: after epoch 7 of 50 (earlyStopping): …"; empty without a stop. */
export function earlyStopRow(
  stop: EarlyStop | null | undefined,
  epochs: number,
  escapeHtml: (s: string) => string,
): string {
  if (stop === null || stop === undefined) return '';
  const text = `after epoch ${stop.epoch} of ${epochs} (${stop.by}): ${stop.reason}`;
  return `<tr><th>stopped early</th><td id="stopped">${escapeHtml(text)}</td></tr>\n`;
}
