import type { ApiKeyActivity } from '../../core/ports.js';
import type { VaspConfig } from '../config.js';
import { HTTP_STATUS } from '../../transport/http-status.js';
import { errorBody } from './errors.js';
import type { AdminRoute } from './types.js';

export interface ApiKeyRoutesDeps {
  /** The VASP accounts in force (the config a reload put in force: keys added or removed show at once). */
  vasps: () => readonly VaspConfig[];
  activity: Pick<ApiKeyActivity, 'lastUsed'>;
}

/** One key as the admin API shows it: never its hash, let alone the key. */
export interface ApiKeyView {
  name: string;
  scope: 'send' | 'read' | 'full';
  /** RFC 3339, to the minute (written at most once a minute per key per instance); absent: never used. */
  lastUsedAt?: string;
}

/**
 * GET /admin/vasps/:id/keys (read; docs/api-keys.md): an account's API keys in config order, with their scope
 * and when each was last used on any instance (ApiKeyActivity). 404 for an account not in the config.
 */
export function apiKeyRoutes(deps: ApiKeyRoutesDeps): AdminRoute[] {
  return [
    {
      method: 'GET',
      pattern: '/admin/vasps/:id/keys',
      role: 'read',
      action: "list a VASP's API keys",
      async handle(req) {
        const id = req.params.id ?? '';
        const vasp = deps.vasps().find((v) => v.id === id);
        if (!vasp) return { status: HTTP_STATUS.NOT_FOUND, body: errorBody('VASP_UNKNOWN', `no VASP ${id} in the configuration`) };
        const used = await deps.activity.lastUsed(vasp.id);
        const keys: ApiKeyView[] = (vasp.apiKeys ?? []).map((k) => {
          const at = used.get(k.name);
          return { name: k.name, scope: k.scope, ...(at !== undefined ? { lastUsedAt: new Date(at).toISOString() } : {}) };
        });
        return { status: HTTP_STATUS.OK, body: { keys } };
      },
    },
  ];
}
