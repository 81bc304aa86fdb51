// The coordinator's status: its JSON shape (GET /status) and the page (GET /): a small HTML view of the GET /status JSON — members, step, samples/s
// and the loss as an inline SVG line — that reloads itself every few seconds. Both need the
// token (an `Authorization: Bearer` header or a `recur_token` cookie) unless publicStatus.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ClusterErrorCode } from './errors.js';
import { tokensEqual } from './wire.js';

/** Who may read the status: the token's holders, or anyone when publicStatus. */
export interface StatusAccess {
  token: string;
  publicStatus: boolean;
}

/** The cookie a browser may carry the token in. */
export const STATUS_COOKIE = 'recur_token';

/** The token a request presents: `Authorization: Bearer <token>`, else the recur_token cookie. */
function presentedToken(req: IncomingMessage): string | null {
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  if (bearer !== null) return bearer[1];
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === STATUS_COOKIE) {
      try {
        return decodeURIComponent(rest.join('='));
      } catch {
        return null;
      }
    }
  }
  return null;
}

function allowed(req: IncomingMessage, access: StatusAccess): boolean {
  if (access.publicStatus) return true;
  const token = presentedToken(req);
  return token !== null && tokensEqual(token, access.token);
}

export interface StatusJson {
  state: 'waiting' | 'training' | 'ended';
  step: number;
  epoch: number;
  position: number;
  members: { nodeId: string; rank: number; threads: number; steps: number; lastSeenMsAgo: number }[];
  loss: { step: number; loss: number }[];
  samplesPerSecond: number;
  checkpoint: { path: string; step: number } | null;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function lossLine(loss: StatusJson['loss'], width = 480, height = 120): string {
  if (loss.length < 2) return '<p>no steps yet</p>';
  const values = loss.map((l) => l.loss);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const points = loss
    .map((l, i) => {
      const x = (i / (loss.length - 1)) * width;
      const y = height - ((l.loss - lo) / (hi - lo || 1)) * height;
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(' ');
  return `<svg width="${width}" height="${height}" role="img" aria-label="loss"><polyline fill="none" stroke="steelblue" points="${points}"/></svg>`;
}

export function statusPage(s: StatusJson): string {
  const rows = s.members
    .map(
      (m) =>
        `<tr><td>${escapeHtml(m.nodeId)}</td><td>${m.rank}</td><td>${m.threads}</td><td>${m.steps}</td><td>${m.lastSeenMsAgo}</td></tr>`,
    )
    .join('');
  const last = s.loss.at(-1);
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>recur coordinator</title></head><body>
<h1>recur coordinator: ${s.state}</h1>
<p>step ${s.step}, epoch ${s.epoch}, batch ${s.position}; ${s.samplesPerSecond.toFixed(1)} samples/s; loss ${last === undefined ? '–' : last.loss.toPrecision(4)}</p>
<table><thead><tr><th>node</th><th>rank</th><th>threads</th><th>steps</th><th>last seen (ms ago)</th></tr></thead><tbody>${rows}</tbody></table>
${lossLine(s.loss)}
<p>checkpoint: ${s.checkpoint === null ? 'none yet' : `${escapeHtml(s.checkpoint.path)} at step ${s.checkpoint.step}`}; JSON at <a href="/status">/status</a></p>
</body></html>`;
}

/** Answers GET /status (JSON) and GET / (the page) to the token's holders (401 otherwise); anything else is a 404. */
export function serveStatus(
  req: IncomingMessage,
  res: ServerResponse,
  status: () => StatusJson,
  access: StatusAccess,
): void {
  const known = req.method === 'GET' && (req.url === '/status' || req.url === '/');
  if (known && !allowed(req, access)) {
    res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' });
    res.end(
      JSON.stringify({
        code: ClusterErrorCode.UNAUTHORIZED,
        message: `the status needs the token: an Authorization: Bearer header or a ${STATUS_COOKIE} cookie`,
      }),
    );
  } else if (req.method === 'GET' && req.url === '/status') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(status()));
  } else if (req.method === 'GET' && req.url === '/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(statusPage(status()));
  } else {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found: GET /status or GET /\n');
  }
}
