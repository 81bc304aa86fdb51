// Charts for the report, as Vega-Lite specs rendered to SVG in Node by @recur/dashboard's
// renderSvg (vega's headless renderer: no canvas, no browser; the live page uses it too). Each chart has an id the report test looks for.
import type { ChartSpec } from '@recur/dashboard/charts';

export { type ChartSpec, renderSvg } from '@recur/dashboard/charts';

type Row = Record<string, string | number>;

const WIDTH = 640;

const DAY_MS = 86_400_000;

/**
 * A date axis labelled by the span of `field` in `rows`: years over two years, months ("Apr
 * 2019") over two months, days otherwise. Vega's default names a month without its year.
 */
function dateAxis(rows: Row[], field: string) {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const r of rows) {
    lo = Math.min(lo, Number(r[field]));
    hi = Math.max(hi, Number(r[field]));
  }
  const days = (hi - lo) / DAY_MS;
  if (days > 730)
    return { format: '%Y', tickCount: { interval: 'year' as const, step: 1 }, labelOverlap: true };
  if (days > 60)
    return { format: '%b %Y', tickCount: { interval: 'month' as const, step: 1 }, labelOverlap: true };
  return { format: '%d %b %Y', labelOverlap: true };
}

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
    /** a colour per series, by the start of its name (e.g. 'seasonal naive' for 'seasonal naive (12 rows back)') */
    colors?: Record<string, string>;
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
      mark: { type: 'line', point: rows.length <= 60, strokeWidth: 1.5 },
      encoding: {
        x: {
          field: axes.x,
          type: axes.temporal ? 'temporal' : 'quantitative',
          title: axisTitle(axes.xTitle ?? axes.x),
          ...(axes.integer === true ? { axis: { format: 'd', tickMinStep: 1 } } : {}),
          ...(axes.temporal === true ? { axis: dateAxis(rows, axes.x) } : {}),
        },
        y: {
          field: axes.y,
          type: 'quantitative',
          title: axisTitle(axes.yTitle ?? axes.y),
          scale: { zero: false },
        },
        color: {
          field: axes.series,
          type: 'nominal',
          title: null,
          legend: { labelLimit: 280 },
          ...(axes.colors === undefined ? {} : { scale: colorScale(rows, axes.series, axes.colors) }),
        },
      },
    },
  };
}

/** A fixed colour for each series in `rows`: the first entry of `colors` its name starts with (grey otherwise). */
function colorScale(rows: Row[], series: string, colors: Record<string, string>) {
  const domain = [...new Set(rows.map((r) => String(r[series])))];
  const range = domain.map(
    (name) => Object.entries(colors).find(([start]) => name.startsWith(start))?.[1] ?? '#888888',
  );
  return { domain, range };
}

/** A layered chart of `width` × `height` (the point charts below). */
function layered(id: string, title: string, size: [number, number], layer: unknown[]): ChartSpec {
  const [width, height] = size;
  const $schema = 'https://vega.github.io/schema/vega-lite/v5.json';
  return { id, title, spec: { $schema, width, height, layer } as ChartSpec['spec'] };
}

const POINT = { type: 'point', filled: true, size: 12, opacity: 0.7, color: '#1f77b4' };

/** Points of `residual` against `x` (time or window) around a rule at zero. */
export function residualChart(
  id: string,
  title: string,
  rows: Row[],
  axes: { temporal: boolean; xTitle: string; yTitle: string },
): ChartSpec {
  return layered(
    id,
    title,
    [WIDTH, 220],
    [
      {
        data: { values: rows },
        mark: POINT,
        encoding: {
          x: {
            field: 'x',
            type: axes.temporal ? 'temporal' : 'quantitative',
            title: axisTitle(axes.xTitle),
            ...(axes.temporal ? { axis: dateAxis(rows, 'x') } : {}),
          },
          y: { field: 'residual', type: 'quantitative', title: axisTitle(axes.yTitle) },
        },
      },
      {
        data: { values: [{ zero: 0 }] },
        mark: { type: 'rule', color: '#222222' },
        encoding: { y: { field: 'zero', type: 'quantitative' } },
      },
    ],
  );
}

/** Points of `y` against `x` on equal scales, with the line y = x. */
export function scatterChart(
  id: string,
  title: string,
  rows: Row[],
  axes: { x: string; y: string; unit: string },
): ChartSpec {
  const domain = rows.reduce(
    ([lo, hi], r) => [
      Math.min(lo, Number(r[axes.x]), Number(r[axes.y])),
      Math.max(hi, Number(r[axes.x]), Number(r[axes.y])),
    ],
    [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY],
  );
  const scale = { domain, zero: false };
  return layered(
    id,
    title,
    [360, 360],
    [
      {
        data: { values: rows },
        mark: POINT,
        encoding: {
          x: { field: axes.x, type: 'quantitative', title: axisTitle(`${axes.x} (${axes.unit})`), scale },
          y: { field: axes.y, type: 'quantitative', title: axisTitle(`${axes.y} (${axes.unit})`), scale },
        },
      },
      {
        data: { values: domain.map((v) => ({ a: v, b: v })) },
        mark: { type: 'line', color: '#222222', strokeDash: [4, 3] },
        encoding: {
          x: { field: 'a', type: 'quantitative', scale },
          y: { field: 'b', type: 'quantitative', scale },
        },
      },
    ],
  );
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
