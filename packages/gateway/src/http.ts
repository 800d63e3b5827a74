// The gateway's plain HTTP side, every route in one place: health,
// readiness, Prometheus metrics, the registry catalogue (answered by
// registry/routes.ts) and static files (the web app), with an SPA fallback
// to index.html and no path traversal. Metrics can be guarded by a bearer token (metricsToken) and
// served on a port of their own (metricsPort) instead.
import { timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

interface HttpDeps {
  staticDir: string | undefined;
  ready(): { ready: boolean; broker: string; topology: boolean; replyConsumersDown: number };
  /** Prometheus text exposition for GET /metrics; absent = not served here. */
  metrics?(): Promise<{ contentType: string; body: string }>;
  /** When set, GET /metrics needs `Authorization: Bearer <metricsToken>`. */
  metricsToken?: string;
  /** GET /registry (registry/routes.ts); false when the request is not for it. */
  registry?(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean>;
}

const sameSecret = (given: string | undefined, expected: string) => {
  const a = Buffer.from(given ?? '');
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

/** Answers GET /metrics (guarded when a token is configured); false when the request is not for it. */
const serveMetrics = async (
  deps: Pick<HttpDeps, 'metrics' | 'metricsToken'>,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
): Promise<boolean> => {
  if (pathname !== '/metrics' || !deps.metrics) return false;
  if (deps.metricsToken !== undefined) {
    const m = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''));
    if (!sameSecret(m?.[1], deps.metricsToken)) {
      res.writeHead(401, { 'content-type': 'application/json', 'cache-control': 'no-store', 'www-authenticate': 'Bearer' });
      res.end(JSON.stringify({ error: { code: 'UNAUTHORIZED', message: 'GET /metrics needs `Authorization: Bearer <metricsToken>`.' } }));
      return true;
    }
  }
  const { contentType, body } = await deps.metrics();
  res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
  return true;
};

/** A handler serving only GET /metrics, for the metricsPort listener. */
export const createMetricsHandler = (deps: Pick<HttpDeps, 'metrics' | 'metricsToken'>) => async (req: IncomingMessage, res: ServerResponse) => {
  if (await serveMetrics(deps, req, res, new URL(req.url ?? '/', 'http://gateway').pathname)) return;
  sendJson(res, 404, { error: 'not found' });
};

const sendJson = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
};

// Precompressed siblings (`app.js.br`, `app.js.gz`) written when the app is
// built (scripts/build-web.mjs): served as they are, never compressed per request.
const PRECOMPRESSED = [
  ['br', '.br'],
  ['gzip', '.gz'],
] as const;

/** Whether Accept-Encoding admits `coding` (present, and not `;q=0`). */
export const acceptsEncoding = (header: string | undefined, coding: string): boolean =>
  (header ?? '').split(',').some((part) => {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (name?.trim() !== coding) return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });

const serveFile = async (res: ServerResponse, file: string, method: string, acceptEncoding?: string): Promise<boolean> => {
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) return false;
  const immutable = file.includes(`${sep}assets${sep}`);
  let body = { path: file, size: info.size, encoding: undefined as string | undefined };
  let compressed = false;
  for (const [coding, suffix] of PRECOMPRESSED) {
    const sibling = await stat(file + suffix).catch(() => null);
    if (!sibling?.isFile()) continue;
    compressed = true;
    if (body.encoding === undefined && acceptsEncoding(acceptEncoding, coding)) body = { path: file + suffix, size: sibling.size, encoding: coding };
  }
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': body.size,
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    ...(body.encoding ? { 'content-encoding': body.encoding } : {}),
    ...(compressed ? { vary: 'accept-encoding' } : {}),
  });
  if (method === 'HEAD') res.end();
  else createReadStream(body.path).pipe(res);
  return true;
};

export const createHttpHandler = (deps: HttpDeps) => {
  const root = deps.staticDir ? resolve(deps.staticDir) : undefined;
  return async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const method = req.method ?? 'GET';
    if (url.pathname === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (url.pathname === '/readyz') {
      const state = deps.ready();
      return sendJson(res, state.ready ? 200 : 503, {
        status: state.ready ? 'ready' : 'not ready',
        broker: state.broker,
        topology: state.topology,
        replyConsumersDown: state.replyConsumersDown,
      });
    }
    if (await serveMetrics(deps, req, res, url.pathname)) return;
    if (await deps.registry?.(req, res, url.pathname)) return;
    if (root && (method === 'GET' || method === 'HEAD')) {
      let path: string;
      try {
        path = normalize(decodeURIComponent(url.pathname));
      } catch {
        return sendJson(res, 400, { error: 'bad path' });
      }
      const file = join(root, path);
      if (file !== root && !file.startsWith(root + sep)) return sendJson(res, 404, { error: 'not found' });
      const target = path.endsWith('/') ? join(file, 'index.html') : file;
      const encodings = req.headers['accept-encoding'];
      if (await serveFile(res, target, method, encodings)) return;
      // Client-side routes fall back to the app shell; missing assets stay 404.
      if (!extname(path) && (await serveFile(res, join(root, 'index.html'), method, encodings))) return;
    }
    sendJson(res, 404, { error: 'not found' });
  };
};
