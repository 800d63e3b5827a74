// HTTP routes of the operations console and of a caller's own hop timeline:
//
//   GET  /calls/:id                         a call of the caller's session (x-warren-session: its resume token)
//   GET  /ops/api/overview                  the console's snapshot (operators)
//   GET  /ops/api/calls/:id                 any call this gateway saw (operators)
//   GET  /ops/api/dead-letters/:key         one dead letter with its request (operators)
//   POST /ops/api/dead-letters/:key/replay  re-publish it (operators)
//   POST /ops/api/dead-letters/:key/discard forget it (operators)
//
// POSTs need the header `x-warren-ops: 1`: a cross-site form cannot set it,
// and a cross-site script that sets it needs a CORS preflight the gateway
// never grants. Every action is logged with the principal who took it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { TokenVerifier } from '../plugins/authenticate.ts';
import { subjectOf, type Sessions } from '../session-tokens.ts';
import { principalOf, type OpsAccess } from './access.ts';
import type { CallLog } from './call-log.ts';
import type { DeadLetterStore } from './dead-letter-store.ts';
import { buildOverview, callView, deadLetterView, type OverviewDeps } from './overview.ts';

type HttpHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

interface OpsRouteDeps extends OverviewDeps {
  calls: CallLog;
  deadLetters: DeadLetterStore;
  sessions: Sessions;
  verify: TokenVerifier | undefined;
  access(req: IncomingMessage): Promise<OpsAccess>;
  log: Logger;
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
};

const CALL = /^\/calls\/([A-Za-z0-9_.:-]{1,128})$/;
const OPS_CALL = /^\/ops\/api\/calls\/([A-Za-z0-9_.:-]{1,128})$/;
const DEAD = /^\/ops\/api\/dead-letters\/([0-9a-f]{12})(?:\/(replay|discard))?$/;

export const withOpsRoutes =
  (deps: OpsRouteDeps, next: HttpHandler): HttpHandler =>
  async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const path = url.pathname;
    const method = req.method ?? 'GET';

    const own = CALL.exec(path);
    if (own && method === 'GET') {
      // The session token proves the call is ours; for an authenticated caller it is bound to its `sub`.
      const token = req.headers['x-warren-session'];
      const principal = await principalOf(req, deps.verify);
      const sessionId = deps.sessions.verify(token, subjectOf(principal ?? undefined)) ?? deps.sessions.verify(token, 'anon');
      const entry = sessionId === null ? undefined : deps.calls.get(sessionId, own[1]!);
      if (!entry) return json(res, 404, { error: 'not found' });
      const view = callView(entry, Date.now());
      return json(res, 200, {
        // The caller's own id, also for a retained call (recorded under its call id).
        id: own[1]!,
        type: view.type,
        traceId: view.traceId,
        traceparent: view.traceparent,
        attempt: view.attempt,
        outcome: view.outcome,
        hops: view.hops,
      });
    }

    if (!path.startsWith('/ops/api/')) return next(req, res);
    const access = await deps.access(req);
    if (!access.ok) return json(res, access.status, { error: { code: access.code, message: access.message } });
    if (method === 'POST' && req.headers['x-warren-ops'] !== '1') {
      return json(res, 400, { error: { code: 'INVALID_REQUEST', message: 'Send the header x-warren-ops: 1 with console actions.' } });
    }

    if (path === '/ops/api/overview' && method === 'GET') return json(res, 200, await buildOverview(deps, access.principal));

    const call = OPS_CALL.exec(path);
    if (call && method === 'GET') {
      const entry = deps.calls.find(call[1]!);
      return entry ? json(res, 200, callView(entry, Date.now())) : json(res, 404, { error: 'not found' });
    }

    const dead = DEAD.exec(path);
    if (dead) {
      const [, key, action] = dead;
      const entry = deps.deadLetters.get(key!);
      if (!entry) return json(res, 404, { error: { code: 'NOT_FOUND', message: 'No such dead letter (discarded, or kept by another gateway).' } });
      const about = { principal: access.principal, requestId: entry.dead.id, type: entry.dead.type, deadLetter: key };
      if (action === undefined && method === 'GET') {
        deps.log.info(about, 'ops: dead letter inspected');
        return json(res, 200, deadLetterView(entry, true));
      }
      if (action === 'replay' && method === 'POST') {
        try {
          const replay = await deps.deadLetters.replay(key!, access.principal);
          deps.log.info({ ...about, replayId: replay.requestId }, 'ops: dead letter replayed');
          return json(res, 202, replay);
        } catch (error) {
          return json(res, 409, { error: { code: 'INVALID_REQUEST', message: (error as Error).message } });
        }
      }
      if (action === 'discard' && method === 'POST') {
        deps.deadLetters.discard(key!, access.principal);
        deps.log.info(about, 'ops: dead letter discarded');
        return json(res, 200, { discarded: key });
      }
    }
    return json(res, 404, { error: 'not found' });
  };
