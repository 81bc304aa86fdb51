// Charts for the report, as Vega-Lite specs rendered to SVG in Node by @recur/dashboard's
// renderSvg (vega's headless renderer: no canvas, no browser; the live page uses it too). Each chart has an id the report test looks for.
import type { ChartSpec } from '@recur/dashboard/charts';

export { type ChartSpec, renderSvg } from '@recur/dashboard/charts';

type Row = Record<string, string | number>;

const WIDTH = 640;

/**
 * An axis title as vega renders it. Vega (6.2) looks an axis title up as a key of a plain object
 * and fails with "Operator not defined" on a name such as `valueOf` or `constructor` (a column
 * may be named so): such a title gets a trailing space, which the SVG does not show.
 */
function axisTitle(text: string): string {
  return text in Object.prototype ? `${text} ` : text;
}

/** Lines of `y` against `x`, one per value of `series`. */
export function lineChart(
  id: string,
  title: string,
  rows: Row[],
  axes: {
    x: string;
    y: string;
    series: string;
    temporal?: boolean;
    /** whole-number ticks on x (epochs) */
    integer?: boolean;
    xTitle?: string;
    yTitle?: string;
  },
): ChartSpec {
  return {
    id,
    title,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      width: WIDTH,
      height: 260,
      data: { values: rows },
      mark: { type: 'line', point: rows.length <= 60 },
      encoding: {
        x: {
          field: axes.x,
          type: axes.temporal ? 'temporal' : 'quantitative',
          title: axisTitle(axes.xTitle ?? axes.x),
          ...(axes.integer === true ? { axis: { format: 'd', tickMinStep: 1 } } : {}),
        },
        y: {
          field: axes.y,
          type: 'quantitative',
          title: axisTitle(axes.yTitle ?? axes.y),
          scale: { zero: false },
        },
        color: { field: axes.series, type: 'nominal', title: null },
      },
    },
  };
}

/** Bars of `value` by `category`. */
export function barChart(
  id: string,
  title: string,
  rows: Row[],
  axes: { category: string; value: string; color?: string },
): ChartSpec {
  return {
    id,
    title,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      width: WIDTH,
      height: 220,
      data: { values: rows },
      mark: 'bar',
      encoding: {
        x: {
          field: axes.category,
          type: 'nominal',
          sort: null,
          title: null,
          axis: { labelAngle: 0, labelLimit: 240 },
        },
        y: { field: axes.value, type: 'quantitative' },
        ...(axes.color === undefined
          ? {}
          : {
              color: { field: axes.color, type: 'nominal', title: null },
              xOffset: { field: axes.color, type: 'nominal' },
            }),
      },
    },
  };
}

/** A confusion matrix: rows the true class, columns the predicted one, share of the true class. */
export function confusionChart(labels: readonly string[], counts: number[][]): ChartSpec {
  const rows: Row[] = [];
  counts.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((count, j) => {
      rows.push({ actual: labels[i], predicted: labels[j], count, share: total > 0 ? count / total : 0 });
    });
  });
  const size = Math.min(WIDTH, 40 * labels.length + 80);
  return {
    id: 'confusion',
    title: 'Confusion matrix (test split; colour: share of the true class)',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      width: size,
      height: size,
      data: { values: rows },
      encoding: {
        x: { field: 'predicted', type: 'nominal', sort: [...labels] },
        y: { field: 'actual', type: 'nominal', sort: [...labels] },
      },
      layer: [
        {
          mark: 'rect',
          encoding: { color: { field: 'share', type: 'quantitative', scale: { scheme: 'blues' } } },
        },
        {
          mark: { type: 'text', fontSize: labels.length > 8 ? 8 : 11 },
          encoding: { text: { field: 'count', type: 'quantitative' } },
        },
      ],
    },
  };
}
