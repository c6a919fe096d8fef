// Every REST answer a test receives (through restCall, or api.test.ts's own call) is checked against the OpenAPI
// document the gateway serves (src/rest/openapi/): a route that answers what the document does not say fails the
// test that called it, so the document cannot drift from the routes.
import type { IncomingHttpHeaders } from 'node:http';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { REST_ERRORS, type RestErrorCode } from '../../src/rest/errors.js';
import { OPENAPI_DOCUMENT } from '../../src/rest/openapi/document.js';
import type { Header, MediaType, Operation, Reference, Response, Schema } from '../../src/rest/openapi/types.js';

/** One answer of the REST API as a test received it. */
export interface ReceivedAnswer {
  method: string;
  /** The path as requested, query included. */
  path: string;
  status: number;
  contentType: string;
  body: unknown;
  /** The answer's headers: when given, the ones the document says are required are checked too. */
  headers?: Headers;
}

const DOC = OPENAPI_DOCUMENT;

/** RFC 3339 date-time (the `format` the document uses; ajv-formats is not installed). */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

const ajv = new Ajv2020({ strict: true, strictTypes: false, strictRequired: false, allErrors: true });
ajv.addFormat('date-time', { type: 'string', validate: (s: string) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)) });
ajv.addFormat('uri', {
  type: 'string',
  validate: (s: string) => {
    try {
      new URL(s);
      return true;
    } catch {
      return false;
    }
  },
});

/** The components' schemas with their refs rewritten to `$defs`, for ajv (the document's refs point into components). */
const DEFS = rewrite(DOC.components.schemas) as Record<string, unknown>;

function rewrite(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewrite);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = k === '$ref' && typeof v === 'string' ? v.replace('#/components/schemas/', '#/$defs/') : rewrite(v);
  }
  return out;
}

const compiled = new Map<unknown, ValidateFunction>();

/** A validator of `schema` (with the components' schemas), compiled once per schema object. */
function validator(key: unknown, schema: Schema): ValidateFunction {
  let v = compiled.get(key);
  if (!v) {
    v = ajv.compile({ $defs: DEFS, allOf: [rewrite(schema)] });
    compiled.set(key, v);
  }
  return v;
}

function deref<T>(x: T | Reference): T {
  if (typeof x !== 'object' || x === null || !('$ref' in x) || typeof x.$ref !== 'string') return x as T;
  const parts = x.$ref.replace(/^#\//, '').split('/');
  let node: unknown = DOC;
  for (const p of parts) node = (node as Record<string, unknown> | undefined)?.[p];
  if (node === undefined) throw new Error(`OpenAPI: dangling $ref ${x.$ref}`);
  return node as T;
}

/** The document's path templates as patterns, most literal first (a literal segment beats a parameter). */
const TEMPLATES = Object.keys(DOC.paths)
  .map((template) => ({
    template,
    params: (template.match(/\{/g) ?? []).length,
    re: new RegExp(`^${template.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`),
  }))
  .sort((a, b) => a.params - b.params);

/** The path template (`/v1/messages/{id}`) a request path matches, or undefined. */
export function templateOf(path: string): string | undefined {
  const bare = path.split('?')[0]!;
  return TEMPLATES.find((t) => t.re.test(bare))?.template;
}

/** What answers any request before it reaches an operation: the listener's credentials and admission. */
const BEFORE_ANY: Record<number, Reference> = {
  401: { $ref: '#/components/responses/UNAUTHORIZED' },
  403: { $ref: '#/components/responses/FORBIDDEN' },
  429: { $ref: '#/components/responses/THROTTLED' },
  503: { $ref: '#/components/responses/UNAVAILABLE' },
};

/** The response the document gives for the request and status; throws when it gives none. */
export function documentedResponse(method: string, path: string, status: number): { response: Response; where: string } {
  const template = templateOf(path);
  const m = method.toLowerCase() as keyof (typeof DOC.paths)[string];
  const op: Operation | undefined = template !== undefined ? DOC.paths[template]![m] : undefined;
  if (!op) {
    // No operation: the document's answer for a path (404) or a method (405) it does not describe, or the listener's.
    const name = template === undefined ? `path ${path.split('?')[0]}` : `method ${method} on ${template}`;
    const unmatched = template === undefined ? DOC['x-mmsc-unmatched'].path : DOC['x-mmsc-unmatched'].method;
    const where = `${method} ${path} (no operation: ${name}) -> ${status}`;
    if (status in BEFORE_ANY) return { response: deref<Response>(BEFORE_ANY[status]!), where };
    if (status === REST_ERRORS[unmatched.$ref.split('/').pop() as RestErrorCode]) return { response: deref<Response>(unmatched), where };
    throw new Error(`OpenAPI: ${where}: the document has no ${name}, and ${status} is not its answer for that`);
  }
  const where = `${method} ${template} (${op.operationId}) -> ${status}`;
  const r = op.responses[String(status)] ?? op.responses[`${String(status)[0]}XX`] ?? op.responses.default;
  if (!r) throw new Error(`OpenAPI: ${where}: status ${status} is not documented (documented: ${Object.keys(op.responses).join(', ')})`);
  return { response: deref<Response>(r), where };
}

/**
 * Checks an answer against the OpenAPI document served at /v1/openapi.json (src/rest/openapi/): the
 * operation for the method and path, the status among its responses, the media type among its content, the
 * JSON body against that content's schema, and the headers the response requires. Throws with what does not match.
 */
export function checkAnswer(answer: ReceivedAnswer): void {
  const { response, where } = documentedResponse(answer.method, answer.path, answer.status);
  const type = answer.contentType.split(';')[0]!.trim().toLowerCase();
  const content = response.content ?? {};
  if (Object.keys(content).length === 0) {
    if (type !== '') throw new Error(`OpenAPI: ${where}: the document says no body, the answer has ${type}`);
  } else {
    const media: MediaType | undefined = content[type];
    if (!media) throw new Error(`OpenAPI: ${where}: answered ${type || 'without a body'}, documented: ${Object.keys(content).join(', ')}`);
    if (type === 'application/json' && media.schema !== undefined) {
      const v = validator(media, media.schema);
      if (!v(answer.body)) {
        const errors = (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
        throw new Error(
          `OpenAPI: ${where}: the body does not match its schema:\n  ${errors.join('\n  ')}\nbody: ${JSON.stringify(answer.body).slice(0, 600)}`,
        );
      }
    }
  }
  if (answer.headers) checkHeaders(answer.headers, response, where);
}

function checkHeaders(headers: Headers, response: Response, where: string): void {
  for (const [name, h] of Object.entries(response.headers ?? {})) {
    const header = deref<Header>(h);
    const value = headers.get(name);
    if (value === null) {
      if (header.required) throw new Error(`OpenAPI: ${where}: the header ${name} is required, the answer has none`);
      continue;
    }
    const v = validator(header, header.schema);
    if (!v(value)) throw new Error(`OpenAPI: ${where}: header ${name}: ${JSON.stringify(value)} does not match its schema`);
  }
}

/** Checks a value against one of the document's schemas (components.schemas[name]): e.g. a webhook event's body. */
export function checkSchema(name: string, value: unknown): void {
  const schema = DOC.components.schemas[name];
  if (schema === undefined) throw new Error(`OpenAPI: no schema ${name}`);
  const v = validator(`schema:${name}`, { $ref: `#/components/schemas/${name}` });
  if (!v(value)) {
    const errors = (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
    throw new Error(`OpenAPI: ${name}: does not match:\n  ${errors.join('\n  ')}\nvalue: ${JSON.stringify(value).slice(0, 600)}`);
  }
}

/** checkAnswer for an answer read with node:http (tests that write requests byte by byte): JSON parsed when it says it is. */
export function checkRawAnswer(method: string, path: string, status: number, headers: IncomingHttpHeaders, text: string): void {
  const contentType = headers['content-type'] ?? '';
  const body: unknown = contentType.startsWith('application/json') && text !== '' ? JSON.parse(text) : undefined;
  const h = new Headers();
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined) h.set(name, Array.isArray(value) ? value.join(', ') : value);
  checkAnswer({ method, path, status, contentType, body, headers: h });
}
