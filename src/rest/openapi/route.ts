import { HTTP_STATUS } from '../../transport/http-status.js';
import type { RestRoute } from '../route.js';
import { openApiJson } from './document.js';

/**
 * GET /v1/openapi.json: the API's OpenAPI 3.1 document, to anyone (needs: 'none': the MM7 listener lets this
 * path through without credentials, src/mm7/server.ts). Serialised once.
 */
export function openApiRoute(): RestRoute {
  return {
    method: 'GET',
    path: '/v1/openapi.json',
    operation: 'openapi',
    needs: 'none',
    async handle() {
      return { status: HTTP_STATUS.OK, raw: openApiJson(), headers: { 'content-type': 'application/json; charset=utf-8' } };
    },
  };
}
