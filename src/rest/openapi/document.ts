import { PARAMETERS, PATHS, WEBHOOKS } from './paths.js';
import { HEADERS, RESPONSES } from './responses.js';
import { SCHEMAS } from './schemas.js';
import type { OpenApiDocument } from './types.js';

export type { OpenApiDocument } from './types.js';

const DESCRIPTION = `The MMSC gateway's sender's API: send MMS as JSON (media by URL or upload) or as a form, schedule,
cancel, list, and receive signed events about every recipient.

Every answer is JSON (\`application/json; charset=utf-8\`); every error is
\`{"error": {"status", "code", "message", "refusal"?, ...details}}\`: \`code\` is the HTTP status's short code,
\`refusal\` the refusal catalogue's code when it is one (docs/refusals.md). A path the API does not have is 404;
a method its path does not take is 405 with Allow. Credentials are checked before the path: without them every
path but this document's is 401.

With \`mmsc demo\` running (it prints the URL of its MM7 and REST API, and the account \`demo\` / \`demo-password\`),
set \`MMSC\` to that URL, then:

\`\`\`sh
curl -s $MMSC/v1/openapi.json | head -c 300
curl -s -u demo:demo-password -F to=+15550000001 -F text=Thanks! $MMSC/v1/messages
curl -s -u demo:demo-password -H 'content-type: application/json' -H 'Idempotency-Key: order-1234' \\
  -d '{"to": "+15550000001", "text": "Thanks!", "clientRef": "order-1234"}' $MMSC/v1/messages
\`\`\``;

/**
 * The OpenAPI 3.1 document of the REST API (served at GET /v1/openapi.json, rendered into docs/rest-api.md by
 * `mmsc openapi --markdown`). Data, assembled from its parts: schemas.ts (bodies), responses.ts (errors and
 * headers), paths.ts (operations and the webhook).
 */
export const OPENAPI_DOCUMENT: OpenApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'MMSC gateway REST API',
    version: '1.0.0',
    description: DESCRIPTION,
    license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
  },
  jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
  tags: [
    { name: 'messages', description: 'Submit, read, list and cancel messages.' },
    { name: 'media', description: 'Upload media to name in submissions.' },
    { name: 'events', description: 'What the gateway POSTs to your callbackUrl.' },
    { name: 'meta', description: 'This description.' },
  ],
  security: [{ basic: [] }, { bearer: [] }, { mutualTLS: [] }],
  paths: PATHS,
  webhooks: WEBHOOKS,
  components: {
    schemas: SCHEMAS,
    responses: RESPONSES,
    parameters: PARAMETERS,
    headers: HEADERS,
    securitySchemes: {
      basic: { type: 'http', scheme: 'basic', description: "The account's username and password (mm7.vasps[])." },
      bearer: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'API key',
        description:
          'An API key of the account (`Authorization: Bearer <key>`). A key has a scope: `send`, `read` or `full`; an ' +
          "operation's requirement names the scope it needs (`full` allows both). A key without it: 403 improper-identification.",
      },
      mutualTLS: { type: 'mutualTLS', description: 'A client certificate the listener maps to the account (mm7.tls).' },
    },
  },
  'x-mmsc-unmatched': {
    path: { $ref: '#/components/responses/NOT_FOUND' },
    method: { $ref: '#/components/responses/METHOD_NOT_ALLOWED' },
  },
};

let serialised: Buffer | undefined;

/** The document as JSON bytes, made once. */
export function openApiJson(): Buffer {
  serialised ??= Buffer.from(JSON.stringify(OPENAPI_DOCUMENT), 'utf8');
  return serialised;
}
