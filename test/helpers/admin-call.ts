import { OpsServer } from '../../src/ops/server.js';
import { Metrics } from '../../src/ops/metrics.js';
import type { AdminReply, AdminRole, AdminRoute } from '../../src/ops/admin/types.js';
import { captureLog } from './log-capture.js';

/** The tokens adminCall presents, one per role; their names (`token-<role>`) are who an action is by. */
const TOKENS = { read: 'token-read-0123456789abcdef', operate: 'token-operate-0123456789abcdef' } as const;

/**
 * One call of a set of admin routes through the real admin router (an ops listener on a free loopback port,
 * bearer tokens of both roles, the router's role check, JSON both ways), for tests of a route set: the
 * listener lives for the one call.
 */
export async function adminCall(
  routes: readonly AdminRoute[],
  method: string,
  url: string,
  role: AdminRole = 'operate',
  body?: unknown,
): Promise<AdminReply> {
  const ops = new OpsServer(new Metrics(), captureLog('error').log, undefined, {
    tokens: (['read', 'operate'] as const).map((r) => ({ name: `token-${r}`, token: TOKENS[r], role: r })),
  });
  ops.addRoutes(routes);
  const base = await ops.listen('127.0.0.1', 0);
  try {
    const r = await fetch(new URL(url, base), {
      method,
      headers: { authorization: `Bearer ${TOKENS[role]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
  } finally {
    await ops.close();
  }
}
