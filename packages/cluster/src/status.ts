// The coordinator's status: its in-process shape (Coordinator.status()) and the HTTP routes of
// the live page (@recur/dashboard: GET / the page, GET /status the JSON, GET /events the
// stream), which need the token (an `Authorization: Bearer` header or a `recur_token` cookie)
// unless publicStatus.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dashboard } from '@recur/dashboard';
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

/** Coordinator.status(): the run in process (the live page's JSON is DashboardStatus). */
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

const ROUTES = ['/', '/status', '/events'];

/** Answers the dashboard's routes to the token's holders (401 otherwise); anything else is a 404. */
export function serveStatus(
  req: IncomingMessage,
  res: ServerResponse,
  dashboard: Dashboard,
  access: StatusAccess,
): void {
  const path = new URL(req.url ?? '/', 'http://host').pathname;
  const known = req.method === 'GET' && ROUTES.includes(path);
  if (known && !allowed(req, access)) {
    res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' });
    res.end(
      JSON.stringify({
        code: ClusterErrorCode.UNAUTHORIZED,
        message: `the status needs the token: an Authorization: Bearer header or a ${STATUS_COOKIE} cookie`,
      }),
    );
  } else if (!known || !dashboard.handle(req, res)) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found: GET /, /status or /events\n');
  }
}
