// Charts as Vega-Lite specs rendered to SVG in Node (vega's headless renderer: no canvas, no
// browser): renderSvg is the one report.html (@recur/cli) uses too; liveCharts are the live
// page's four charts, built from a DashboardStatus. The page runs in a worker thread
// (render-worker.ts) so that rendering never runs on the training's event loop.
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { type DashboardStatus, smooth, thin } from './schema.js';

export interface ChartSpec {
  /** e.g. 'loss', 'forecast', 'confusion' */
  id: string;
  title: string;
  spec: vl.TopLevelSpec;
}

/** The chart as an SVG document. */
export async function renderSvg(chart: ChartSpec): Promise<string> {
  const compiled = vl.compile(chart.spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

type Row = Record<string, string | number>;

interface Axes {
  x: string;
  y: string;
  xTitle: string;
  yTitle: string;
  /** a field naming the line of each row (a legend), or none for one line */
  series?: string;
  /** whole-number ticks on x (epochs) */
  integer?: boolean;
  /** log scale on y (the loss) */
  log?: boolean;
}

/** A small line chart with titled axes for the live page. */
function liveLine(id: string, title: string, rows: Row[], a: Axes): ChartSpec {
  return {
    id,
    title,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      width: 420,
      height: 160,
      data: { values: rows },
      mark: { type: 'line', point: rows.length <= 30 },
      encoding: {
        x: {
          field: a.x,
          type: 'quantitative',
          title: a.xTitle,
          ...(a.integer === true ? { axis: { format: 'd', tickMinStep: 1 } } : {}),
        },
        y: {
          field: a.y,
          type: 'quantitative',
          title: a.yTitle,
          scale: a.log === true ? { type: 'log' } : { zero: false },
        },
        ...(a.series === undefined ? {} : { color: { field: a.series, type: 'nominal', title: null } }),
      },
    },
  };
}

/** The live page's charts (those with data): throughput, loss, validation, learning rate. */
export function liveCharts(s: DashboardStatus): ChartSpec[] {
  const charts: ChartSpec[] = [];
  if (s.throughput.length >= 2) {
    const rows = thin(s.throughput).map((p) => ({ seconds: p.seconds, samples: p.samplesPerSecond }));
    charts.push(
      liveLine('throughput', 'Samples per second', rows, {
        x: 'seconds',
        y: 'samples',
        xTitle: 'time since start (s)',
        yTitle: 'samples/s',
      }),
    );
  }
  if (s.loss.length >= 2) {
    const smoothed = smooth(s.loss.map((l) => l.loss));
    const both = thin(s.loss.map((l, i) => ({ ...l, smoothed: smoothed[i] }))).flatMap((l) => [
      { step: l.step, loss: l.loss, line: 'per step' },
      { step: l.step, loss: l.smoothed, line: 'smoothed (EMA 0.9)' },
    ]);
    const positive = both.every((r) => r.loss > 0);
    charts.push(
      liveLine('loss', 'Training loss', both, {
        x: 'step',
        y: 'loss',
        xTitle: 'optimizer step',
        yTitle: `training loss (mean per sample${positive ? ', log scale' : ''})`,
        series: 'line',
        log: positive,
      }),
    );
  }
  if (s.validation.length > 0) {
    const rows = s.validation.map((v) => ({ epoch: v.epoch, value: v.value, metric: v.name }));
    charts.push(
      liveLine('validation', 'Validation per epoch', rows, {
        x: 'epoch',
        y: 'value',
        xTitle: 'epoch',
        yTitle: 'validation metric',
        series: 'metric',
        integer: true,
      }),
    );
  }
  if (s.learningRate.history.length >= 2) {
    charts.push(
      liveLine('lr', 'Learning rate', thin(s.learningRate.history), {
        x: 'step',
        y: 'lr',
        xTitle: 'optimizer step',
        yTitle: 'learning rate',
      }),
    );
  }
  return charts;
}

/**
 * Renders the live charts again and again, keeping one vega View per chart (and per spec: a
 * new axis scale makes a new one) and changing only its data: a re-render costs some tens of ms
 * instead of a parse and a compile each time.
 */
export class LiveChartRenderer {
  private readonly views = new Map<string, { key: string; view: vega.View }>();

  /** Every chart of `s` rendered: [id, title, svg]. */
  async render(s: DashboardStatus): Promise<[string, string, string][]> {
    const charts = liveCharts(s);
    const svgs: string[] = [];
    for (const chart of charts) svgs.push(await this.svg(chart));
    return charts.map((c, i) => [c.id, c.title, svgs[i]]);
  }

  private async svg(chart: ChartSpec): Promise<string> {
    const { data, ...rest } = chart.spec as vl.TopLevelSpec & { data: { values: Row[] } };
    const key = JSON.stringify(rest);
    let entry = this.views.get(chart.id);
    if (entry?.key !== key) {
      entry?.view.finalize();
      const compiled = vl.compile({ ...rest, data: { name: 'table' } } as vl.TopLevelSpec).spec;
      entry = { key, view: new vega.View(vega.parse(compiled), { renderer: 'none' }) };
      this.views.set(chart.id, entry);
    }
    const view = entry.view;
    view.change(
      'table',
      vega
        .changeset()
        .remove(() => true)
        .insert(data.values),
    );
    await view.runAsync();
    return view.toSVG();
  }
}
