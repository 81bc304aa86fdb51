// The live page's HTML: a document whose <main id="live"> holds every panel as plain tables and
// server-rendered SVG charts, so it reads with JavaScript off (a <noscript> refresh every 5 s);
// with JavaScript a tiny script subscribes to GET /events and swaps <main> for each pushed
// fragment (no reload, no client-side chart code). Panels: README.md, "The page".
import type { DashboardStatus, WorkerRow } from './schema.js';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** "1 h 02 min", "3 min 05 s", "12 s". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600)
    return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${s} s`;
}

const number = (x: number | null, digits = 1) => (x === null ? '–' : x.toFixed(digits));
const bytes = (x: number | null) => (x === null ? '–' : `${(x / 1024).toFixed(1)} KiB`);

function progressPanel(s: DashboardStatus): string {
  const p = s.progress;
  const epoch = s.state === 'ended' ? p.epochs : Math.min(p.epoch + 1, p.epochs);
  const lastLoss = s.loss.at(-1);
  const rows: [string, string, string][] = [
    ['state', 'state', s.state],
    ['epoch', 'epoch', `${epoch} of ${p.epochs}`],
    ['step', 'step', `${p.step} of ${p.steps} (batch ${p.batch} of ${p.batchesPerEpoch} in this epoch)`],
    ['eta', 'time left (ETA)', p.etaSeconds === null ? '–' : duration(p.etaSeconds)],
    ['elapsed', 'elapsed', duration(p.elapsedSeconds)],
    ['throughput', 'samples/s (recent steps)', number(s.samplesPerSecond)],
    ['loss', 'training loss (last step)', lastLoss === undefined ? '–' : lastLoss.loss.toPrecision(4)],
    ['lr', 'learning rate', s.learningRate.current === null ? '–' : s.learningRate.current.toPrecision(3)],
    [
      'kernels',
      'kernel backend',
      s.kernels === null ? '–' : `${s.kernels.backend} (${s.kernels.isa}) on ${s.kernels.threads} thread(s)`,
    ],
    [
      'checkpoint',
      'last checkpoint',
      s.checkpoint === null ? 'none yet' : `${s.checkpoint.name} at step ${s.checkpoint.step}`,
    ],
  ];
  const body = rows
    .map(([id, name, value]) => `<tr id="p-${id}"><th>${name}</th><td>${escapeHtml(value)}</td></tr>`)
    .join('');
  return `<section id="progress"><h2>Progress</h2><table>${body}</table></section>`;
}

function chartsPanel(charts: [string, string, string][]): string {
  if (charts.length === 0) return '<section id="charts"><h2>Charts</h2><p>no steps yet</p></section>';
  const figures = charts
    .map(([id, title, svg]) => `<figure id="chart-${id}"><figcaption>${title}</figcaption>${svg}</figure>`)
    .join('');
  return `<section id="charts"><h2>Charts</h2>${figures}</section>`;
}

function workerRow(w: WorkerRow): string {
  const cells = [
    escapeHtml(w.id),
    String(w.rank),
    String(w.threads),
    String(w.steps),
    number(w.stepsPerSecond, 2),
    number(w.computeMs),
    number(w.waitMs),
    bytes(w.bytesInPerStep),
    bytes(w.bytesOutPerStep),
    String(w.attempts),
    String(w.evictions),
    w.lastSeenMsAgo === null ? '–' : String(w.lastSeenMsAgo),
  ];
  return `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
}

function workersPanel(s: DashboardStatus): string {
  const who = s.kind === 'cluster' ? 'Nodes' : 'Threads';
  const head = [
    s.kind === 'cluster' ? 'node' : 'thread',
    'rank',
    'threads',
    'steps',
    'steps/s',
    'compute ms/step',
    'waiting ms/step',
    'bytes in/step',
    'bytes out/step',
    're-assigned attempts',
    'evictions',
    'last seen (ms ago)',
  ];
  const rows = s.workers.map(workerRow).join('');
  return `<section id="workers"><h2>${who}</h2><table><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table></section>`;
}

function validationPanel(s: DashboardStatus): string {
  if (s.validation.length === 0) {
    const why =
      s.kind === 'cluster'
        ? 'none: a cluster run scores the test split at the end'
        : 'none yet (after the first epoch)';
    return `<section id="validation"><h2>Validation</h2><p>${why}</p></section>`;
  }
  const rows = s.validation
    .slice(-20)
    .map(
      (v) => `<tr><td>${v.epoch}</td><td>${escapeHtml(v.name)}</td><td>${v.value.toPrecision(4)}</td></tr>`,
    )
    .join('');
  return `<section id="validation"><h2>Validation</h2><table><thead><tr><th>epoch</th><th>metric</th><th>value</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function eventsPanel(s: DashboardStatus): string {
  const rows = s.events
    .slice(-50)
    .reverse()
    .map(
      (e) =>
        `<tr class="ev-${e.kind}"><td>${e.at.slice(11, 19)}</td><td>${e.kind}</td><td>${escapeHtml(e.code ?? '')}</td><td>${escapeHtml(e.message)}</td></tr>`,
    )
    .join('');
  return `<section id="events"><h2>Events</h2><table><thead><tr><th>time (UTC)</th><th>event</th><th>code</th><th>what</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

/** The heading: "recur coordinator: training", "recur train: ended". */
export const heading = (s: DashboardStatus) =>
  `recur ${s.kind === 'cluster' ? 'coordinator' : 'train'}: ${s.state}`;

/** Everything inside <main>: what each event pushes. */
export function liveFragment(s: DashboardStatus, charts: [string, string, string][]): string {
  return [
    `<h1>${heading(s)}</h1><p class="title">${escapeHtml(s.title)} · <a href="/status">JSON</a> (schema ${s.schemaVersion})</p>`,
    progressPanel(s),
    chartsPanel(charts),
    workersPanel(s),
    validationPanel(s),
    eventsPanel(s),
  ].join('\n');
}

const STYLE = `body{font:14px system-ui,sans-serif;margin:1rem 2rem;color:#222}
table{border-collapse:collapse;margin:.3rem 0}th,td{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}
#charts{display:flex;flex-wrap:wrap;gap:1rem}#charts h2{width:100%}figure{margin:0}figcaption{font-weight:600}
.ev-eviction,.ev-refused{color:#a40}`;

// Subscribes to /events; each message is a new <main>. EventSource reconnects by itself.
const SCRIPT = `const live=document.getElementById('live');
const es=new EventSource('/events');
es.onmessage=(e)=>{live.innerHTML=JSON.parse(e.data).html;live.dataset.updates=String(Number(live.dataset.updates||0)+1)};`;

/** The whole document (GET /) around a liveFragment. */
export function livePage(s: DashboardStatus, fragment: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${heading(s)}</title>
<noscript><meta http-equiv="refresh" content="5"></noscript><style>${STYLE}</style></head><body>
<main id="live" data-updates="0">${fragment}</main>
<script>${SCRIPT}</script></body></html>`;
}
