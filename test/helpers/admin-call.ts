import type { AdminReply, AdminRole, AdminRoute } from '../../src/ops/admin/types.js';

/**
 * A stand-in for the admin router (ops listener) in tests of route sets: matches the method and pattern
 * (':name' segments are parameters, URL-decoded), refuses a read token on an operate route (403) as the
 * router does, 404 when nothing matches. Not the router: no HTTP, no bearer tokens.
 */
export async function adminCall(
  routes: readonly AdminRoute[],
  method: string,
  url: string,
  role: AdminRole = 'operate',
  body?: unknown,
): Promise<AdminReply> {
  const u = new URL(url, 'http://admin.test');
  const segments = u.pathname.split('/');
  for (const route of routes) {
    if (route.method !== method) continue;
    const pattern = route.pattern.split('/');
    if (pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const match = pattern.every((p, i) => {
      if (p.startsWith(':')) {
        params[p.slice(1)] = decodeURIComponent(segments[i]!);
        return true;
      }
      return p === segments[i];
    });
    if (!match) continue;
    if (route.role === 'operate' && role !== 'operate') return { status: 403, body: { error: 'FORBIDDEN' } };
    return route.handle({ method, params, query: u.searchParams, body, caller: { name: `token-${role}`, role } });
  }
  return { status: 404, body: { error: 'NOT_FOUND' } };
}
