// report.html in a real headless Chromium (Debian's `chromium`, which `npm test` installs with
// apt when it is missing; playwright-core drives it and never downloads a browser): every
// chart is there, drawn (non-empty SVG with marks), and the task's own charts are present. A
// forecast's report also says which checkpoint was scored and the units of the loss, and draws
// its forecast lines in distinct colours over at most the last FORECAST_CHART_STEPS steps.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { FORECAST_CHART_STEPS } from './tasks/series-score.js';
import { CHROMIUM, launchChromium } from './testing/browser.js';
import { config, recur, tempFolder } from './testing/recur.js';

interface Drawn {
  id: string;
  width: number;
  height: number;
  marks: number;
}

const cases: [string, string[], RegExp][] = [
  [
    'seattle-temperature-week',
    ['loss', 'metric', 'lr', 'forecast', 'residuals', 'scatter', 'horizon'],
    /MAE .* vs persistence/,
  ],
  [
    'co2-concentration',
    ['loss', 'metric', 'lr', 'forecast', 'residuals', 'scatter'],
    /MAE .* vs persistence .*seasonal naive \(12 rows back\)/,
  ],
  ['imdb-sentiment', ['loss', 'metric', 'lr', 'accuracy', 'confusion'], /accuracy .* vs majority class/],
  [
    'brown-pos',
    ['loss', 'metric', 'lr', 'accuracy', 'confusion'],
    /token accuracy .* vs most frequent tag per word/,
  ],
  ['moby-dick-chars', ['loss', 'metric', 'lr', 'perplexity'], /perplexity .* vs unigram/],
];

t.test('the report charts render in headless Chromium', async (t) => {
  t.ok(existsSync(CHROMIUM), `${CHROMIUM} is installed (npm test installs Debian's chromium with apt)`);
  const runs = tempFolder('report');
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  for (const [name, charts, result] of cases) {
    const run = join(runs, name);
    const ran = await recur(['train', config(name), '--smoke', '--output', run]);
    t.equal(ran.code, 0, ran.stderr);
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(join(run, 'report.html')).href);
    t.match(await page.textContent('#result'), result, `${name}: the result beside the baseline`);
    const drawn: Drawn[] = await page.$$eval('figure[data-chart]', (figures) =>
      figures.map((f) => {
        const svg = f.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        return {
          id: f.getAttribute('data-chart') ?? '',
          width: box?.width ?? 0,
          height: box?.height ?? 0,
          marks: f.querySelectorAll('g.role-mark path, g.role-mark rect, g.role-mark line, g.role-mark text')
            .length,
        };
      }),
    );
    t.same(
      drawn.map((d) => d.id),
      charts,
      `${name}: charts ${charts.join(', ')}`,
    );
    for (const d of drawn) {
      t.ok(d.width > 100 && d.height > 100, `${name}/${d.id}: drawn at ${d.width}×${d.height}`);
      t.ok(d.marks > 0, `${name}/${d.id}: ${d.marks} marks`);
    }
    if (charts.includes('forecast')) {
      t.match(await page.textContent('#scored'), /^best\.ckpt, epoch 1 of 1 \(lowest val_loss [\d.]+\)$/);
      t.match(await page.textContent('#training-units'), /^loss \(MSE\) and val_mae are in training units: /);
      t.match(await page.textContent('figure[data-chart="loss"] figcaption'), /\(training units/);
      const strokes: string[] = await page.$$eval('figure[data-chart="forecast"] g.mark-line path', (paths) =>
        paths.map((p) => p.getAttribute('stroke') ?? ''),
      );
      t.ok(strokes.length >= 3, `${name}: ${strokes.length} forecast lines`);
      t.equal(
        new Set(strokes).size,
        strokes.length,
        `${name}: each line its own colour (${strokes.join(', ')})`,
      );
      t.match(await page.textContent('figure[data-chart="forecast"] figcaption'), /the last (\d+) of \d+/);
      const shown = Number(
        /the last (\d+)/.exec(
          (await page.textContent('figure[data-chart="forecast"] figcaption')) ?? '',
        )?.[1],
      );
      t.ok(shown <= FORECAST_CHART_STEPS, `${name}: ${shown} steps shown`);
    }
    if (name === 'moby-dick-chars') {
      t.ok((await page.$$('pre.sample')).length >= 1, 'sample generations are in the report');
    }
    t.same(errors, [], `${name}: no page errors`);
    await page.close();
  }
});
