import type { ReloadReport } from '../reload.js';
import { errorBody } from './errors.js';
import type { AdminRoute } from './types.js';
import { HTTP_STATUS } from '../../transport/http-status.js';

/**
 * POST /admin/reload (operate): the same reload as SIGHUP (src/ops/reload.ts). 200 with what changed, what
 * was applied and what needs a restart; 422 with the error (naming the key) when the new config is refused
 * and the one in force kept.
 */
export function reloadRoutes(deps: { reload: () => Promise<ReloadReport> }): AdminRoute[] {
  return [
    {
      method: 'POST',
      pattern: '/admin/reload',
      role: 'operate',
      action: 'reload the configuration',
      async handle() {
        const report = await deps.reload();
        return report.ok
          ? { status: HTTP_STATUS.OK, body: report }
          : { status: HTTP_STATUS.UNPROCESSABLE_CONTENT, body: errorBody('CONFIG_REFUSED', report.error) };
      },
    },
  ];
}
