// The OpenAPI 3.1 document of the REST API (src/rest/openapi/): valid by an independent validator
// (@readme/openapi-parser), served without credentials as the module has it, in step with the dispatcher's
// route table both ways, and the answer checker every REST test goes through (test/helpers/openapi-check.ts)
// able to fail.
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileErrors, validate } from '@readme/openapi-parser';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { Intake } from '../../src/core/intake.js';
import { REFUSALS } from '../../src/core/refusals.js';
import { SENDER_EVENT_TYPES } from '../../src/core/sender-events.js';
import { StaticRouter } from '../../src/core/static-router.js';
import { ConfigSchema, VaspSchema } from '../../src/ops/config.js';
import { Metrics } from '../../src/ops/metrics.js';
import { RestApi } from '../../src/rest/api.js';
import { REST_ERRORS } from '../../src/rest/errors.js';
import { OPENAPI_DOCUMENT } from '../../src/rest/openapi/document.js';
import { openApiMarkdown } from '../../src/rest/openapi/markdown.js';
import type { Method, SchemaObject } from '../../src/rest/openapi/types.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { OutboundGuard } from '../../src/transport/outbound-guard.js';
import { checkAnswer, checkSchema, type ReceivedAnswer } from '../helpers/openapi-check.js';
import { mmscInProcess } from '../helpers/cli.js';
import { ROOT } from '../helpers/paths.js';
import { basic, restCall } from '../helpers/rest-call.js';
import { mm7Listener } from '../helpers/mm7-listener.js';

const DOC = OPENAPI_DOCUMENT;

/**
 * Documented operations whose routes other slices of issue 24 add (JSON submission, listing, cancel, media):
 * not in this branch's table yet. The test below fails once one of them is in the table, so that the merger
 * empties this list rather than leaving a route unchecked.
 */
const PENDING = new Set<string>([]);

const config = () =>
  ConfigSchema.parse({
    mm7: {
      port: 0,
      vasps: [VaspSchema.parse({ id: 'acme', username: 'acme', password: 'pw-acme', senders: ['12345'] })],
    },
  }).mm7;

function restApi(): RestApi {
  const store = createMemoryStore();
  const log = pino({ level: 'silent' });
  const intake = new Intake({ queue: store.queue, throttle: store.throttle, router: new StaticRouter(), log });
  return new RestApi({ config: config(), queue: store.queue, intake, metrics: new Metrics(), log, guard: new OutboundGuard() });
}

async function listener(t: Test): Promise<string> {
  return (await mm7Listener(t, { config: config() })).url;
}

t.test('the document is valid OpenAPI 3.1 (@readme/openapi-parser)', async (t) => {
  t.equal(DOC.openapi, '3.1.0');
  const result = await validate(structuredClone(DOC) as unknown as Parameters<typeof validate>[0]);
  t.equal(result.specification, 'OpenAPI');
  t.ok(result.valid, result.valid ? 'valid' : compileErrors(result));
  t.strictSame(result.warnings, [], 'no warnings');
});

t.test('the validator is not blind: a broken document is invalid', async (t) => {
  const broken = structuredClone(DOC) as unknown as Record<string, Record<string, Record<string, unknown>>>;
  // An operation without responses, and a dangling $ref.
  delete broken.paths!['/v1/messages/{id}']!.get;
  (broken.paths!['/v1/messages/{id}'] as Record<string, unknown>).get = {
    operationId: 'x',
    responses: { 200: { $ref: '#/components/responses/NOPE' } },
  };
  const result = await validate(broken as unknown as Parameters<typeof validate>[0]);
  t.notOk(result.valid, 'invalid');
});

t.test('GET /v1/openapi.json: the document, without credentials; only that path and method are public', async (t) => {
  const url = await listener(t);
  const a = await restCall(url, 'GET', '/v1/openapi.json');
  t.equal(a.status, 200);
  t.match(a.headers.get('content-type'), /^application\/json; charset=utf-8$/);
  t.strictSame(a.body, JSON.parse(JSON.stringify(DOC)), "the served document is the module's");
  t.equal(
    (await restCall(url, 'GET', '/v1/openapi.json?x=1', { auth: basic('acme', 'wrong') })).status,
    200,
    'credentials are not looked at',
  );
  const post = await restCall(url, 'POST', '/v1/openapi.json', { body: 'x', headers: { 'content-type': 'text/plain' } });
  t.equal(post.status, 401, 'another method authenticates first');
  t.match(post.headers.get('www-authenticate'), /^Basic/);
  const put = await restCall(url, 'PUT', '/v1/openapi.json', { auth: basic('acme', 'pw-acme'), body: 'x' });
  t.equal(put.status, 405);
  t.equal(put.headers.get('allow'), 'GET');
  t.equal((await restCall(url, 'GET', '/v1/openapi.jsonx')).status, 401, 'a neighbouring path is not public');
  t.equal((await restCall(url, 'GET', '/v1/messages/some-id')).status, 401, 'the others need credentials');
});

const template = (path: string) => path.replace(/:([^/]+)/g, '{$1}');

t.test("every route of the dispatcher's table is documented, and every documented operation is a route", async (t) => {
  const table = restApi().routeTable();
  t.ok(table.length >= 3, `${table.length} routes`);
  const routed = new Set<string>();
  for (const route of table) {
    const op = DOC.paths[template(route.path)]?.[route.method.toLowerCase() as Method];
    t.ok(op, `${route.method} ${route.path} is in the document`);
    if (!op) continue;
    routed.add(op.operationId);
    t.equal(op['x-mmsc-needs'], route.needs, `${op.operationId}: the scope the document names is the route's`);
    const bearer = op.security?.find((s) => 'bearer' in s)?.bearer ?? [];
    t.strictSame(bearer, route.needs === 'none' ? [] : [route.needs], `${op.operationId}: the bearer role`);
    t.equal(op.security?.length === 0, route.needs === 'none', `${op.operationId}: public exactly when it needs nothing`);
  }
  for (const [path, item] of Object.entries(DOC.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (PENDING.has(op.operationId)) {
        t.notOk(routed.has(op.operationId), `${op.operationId} is not routed yet (PENDING: once it is, take it off the list)`);
        continue;
      }
      t.ok(routed.has(op.operationId), `${method.toUpperCase()} ${path} (${op.operationId}) has a route`);
    }
  }
});

t.test('operation ids are unique and every operation answers errors through the shared Error schema', async (t) => {
  const ids = Object.values(DOC.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
  t.equal(new Set(ids).size, ids.length, 'unique operationIds');
  const errors = Object.keys(REST_ERRORS);
  for (const code of errors) {
    const schema = DOC.components.responses[code]!.content!['application/json']!.schema as SchemaObject;
    t.strictSame(schema.allOf?.[0], { $ref: '#/components/schemas/Error' }, `${code}: the shared Error schema`);
  }
  const idem = DOC.paths['/v1/messages']!.post!.parameters;
  t.ok(
    idem?.some((p) => '$ref' in p && p.$ref === '#/components/parameters/IdempotencyKey'),
    'POST /v1/messages takes Idempotency-Key',
  );
  t.strictSame(Object.keys(DOC.paths['/v1/messages']!.post!.requestBody!.content).sort(), ['application/json', 'multipart/form-data']);
  t.ok(DOC.webhooks.senderEvent?.post?.parameters?.some((p) => 'name' in p && p.name === 'Mmsc-Signature' && p.required));
});

t.test("the document's enums are the code's", async (t) => {
  const error = (DOC.components.schemas.Error as SchemaObject).properties!.error as SchemaObject;
  t.strictSame(
    [...((error.properties!.code as SchemaObject).enum ?? [])].sort(),
    Object.keys(REST_ERRORS).sort(),
    'error codes: REST_ERRORS',
  );
  t.strictSame(
    [...((error.properties!.refusal as SchemaObject).enum ?? [])].sort(),
    Object.keys(REFUSALS).sort(),
    'refusals: the catalogue',
  );
  const event = (DOC.components.schemas.SenderEvent as SchemaObject).properties!;
  t.strictSame((event.type as SchemaObject).enum, SENDER_EVENT_TYPES, 'event types: SENDER_EVENT_TYPES');
});

// -- the checker ---------------------------------------------------------------------------------------------

const JSON_TYPE = 'application/json; charset=utf-8';
const VIEW = {
  messageId: 'm1',
  from: '12345',
  submittedAt: '2030-01-15T12:00:00.000Z',
  expiresAt: '2030-01-17T12:00:00.000Z',
  status: 'queued',
  recipients: [
    { address: '+16175550100', kind: 'to', state: 'queued', events: [{ at: '2030-01-15T12:00:00.000Z', state: 'queued', attempt: 0 }] },
  ],
};
const get = (body: unknown, status = 200, path = '/v1/messages/m1'): ReceivedAnswer => ({
  method: 'GET',
  path,
  status,
  contentType: JSON_TYPE,
  body,
});
const err = (status: number, code: string, more: Record<string, unknown> = {}) => ({ error: { status, code, message: 'no', ...more } });

t.test('the checker passes answers the document describes', async (t) => {
  t.doesNotThrow(() => checkAnswer(get(VIEW)), 'a message view');
  t.doesNotThrow(() => checkAnswer(get(err(404, 'NOT_FOUND', { refusal: 'message-not-found' }), 404)), 'a 404');
  t.doesNotThrow(() => checkAnswer(get(err(404, 'NOT_FOUND'), 404, '/v1/nothing?x=1')), 'a path not described: 404');
  const headers = new Headers({ location: '/v1/messages/m1' });
  const accepted = { messageId: 'm1', recipients: 1, status: 'accepted' };
  t.doesNotThrow(() => checkAnswer({ method: 'POST', path: '/v1/messages', status: 202, contentType: JSON_TYPE, body: accepted, headers }));
  t.doesNotThrow(() =>
    checkAnswer({
      ...get(err(405, 'METHOD_NOT_ALLOWED'), 405, '/v1/messages/m1'),
      method: 'PUT',
      headers: new Headers({ allow: 'GET, DELETE' }),
    }),
  );
  t.doesNotThrow(() =>
    checkAnswer({
      ...get(undefined, 401),
      contentType: 'text/plain; charset=utf-8',
      headers: new Headers({ 'www-authenticate': 'Basic realm="MM7"' }),
    }),
  );
  t.doesNotThrow(() =>
    checkSchema('SenderEvent', {
      eventId: 'e1',
      type: 'delivered',
      at: '2030-01-15T12:00:00Z',
      messageId: 'm1',
      recipient: '+16175550100',
    }),
  );
});

t.test('the checker fails answers the document does not describe', async (t) => {
  t.throws(() => checkAnswer(get(VIEW, 418)), /status 418 is not documented/, 'an undocumented status');
  const { expiresAt: _, ...missing } = VIEW;
  t.throws(() => checkAnswer(get(missing)), /expiresAt/, 'a required field missing');
  t.throws(() => checkAnswer(get({ ...VIEW, extra: 1 })), /additional/, 'an extra field where additionalProperties is false');
  t.throws(() => checkAnswer(get({ ...VIEW, submittedAt: 'yesterday' })), /format/, 'a time that is not RFC 3339');
  t.throws(() => checkAnswer(get({ ...VIEW, status: 'sent' })), /enum|allowed/, 'a status not in the enum');
  t.throws(() => checkAnswer(get(err(404, 'BAD_REQUEST'), 404)), /code/, "an error whose code is not its status's");
  t.throws(() => checkAnswer(get(err(400, 'BAD_REQUEST'), 404)), /status/, "an error whose status is not the answer's");
  t.throws(() => checkAnswer(get(err(403, 'FORBIDDEN', { refusal: 'media-unavailable' }), 403)), /refusal/, 'a refusal of another status');
  t.throws(() => checkAnswer(get({ message: 'no' }, 404)), /error/, 'an error without the error object');
  t.throws(() => checkAnswer(get(VIEW, 200, '/v1/nothing')), /no path \/v1\/nothing/, 'an undocumented path answered 200');
  t.throws(
    () => checkAnswer({ ...get(err(405, 'METHOD_NOT_ALLOWED'), 200), method: 'PATCH' }),
    /no method PATCH/,
    'an undocumented method answered 200',
  );
  t.throws(
    () =>
      checkAnswer({
        method: 'POST',
        path: '/v1/messages',
        status: 202,
        contentType: JSON_TYPE,
        body: { messageId: 'm1', recipients: 1, status: 'accepted' },
        headers: new Headers(),
      }),
    /Location is required/,
    'a required header missing',
  );
  t.throws(() => checkAnswer({ ...get(VIEW), contentType: 'text/html' }), /answered text\/html/, 'another media type');
  t.throws(
    () => checkAnswer({ ...get(err(405, 'METHOD_NOT_ALLOWED'), 405), method: 'PUT', headers: new Headers() }),
    /Allow is required/,
    '405 without Allow',
  );
  t.throws(
    () => checkSchema('SenderEvent', { eventId: 'e1', type: 'arrived', at: '2030-01-15T12:00:00Z', messageId: 'm', recipient: 'r' }),
    /type/,
  );
});

t.test('mmsc openapi prints the document; --markdown the page', async (t) => {
  const json = await mmscInProcess(['openapi']);
  t.equal(json.code, 0);
  t.strictSame(JSON.parse(json.stdout), JSON.parse(JSON.stringify(DOC)));
  const md = await mmscInProcess(['openapi', '--markdown']);
  t.equal(md.code, 0);
  t.match(md.stdout, /^# MMSC gateway REST API\n/);
  t.match(md.stdout, /\| POST \| `\/v1\/messages` \|/, 'the operations table');
  t.match(md.stdout, /`Mmsc-Signature` \| header \| yes/, 'the webhook signature header');
  t.equal((await mmscInProcess(['openapi', '--frob'])).code, 1, 'an unknown option: usage error');
});

t.test('docs/rest-api.md is the document rendered (npm run docs:api rewrites it)', async (t) => {
  const committed = readFileSync(join(ROOT, 'docs', 'rest-api.md'), 'utf8');
  t.equal(committed, openApiMarkdown(DOC), 'docs/rest-api.md is out of step with src/rest/openapi/: run npm run docs:api');
});

t.test("the webhook's verification snippet runs as printed and tells a good signature from a bad one", async (t) => {
  const description = DOC.webhooks.senderEvent!.post!.description;
  const code = /```js\n([\s\S]*?)```/.exec(description)?.[1];
  t.ok(code, 'the description has a js block');
  const dir = mkdtempSync(join(tmpdir(), 'mmsc-openapi-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'verify.mjs');
  writeFileSync(file, `${code}\nexport { verified };\n`);
  const { verified } = (await import(pathToFileURL(file).href)) as { verified: (s: string, h: string, raw: Buffer) => boolean };
  // Signed here with node:crypto as the API describes it (HMAC-SHA256 over "<t>.<raw body>"), two secrets during a rotation.
  const raw = Buffer.from('{"eventId":"e1","type":"delivered"}');
  const t0 = Math.floor(Date.now() / 1000);
  const sign = (secret: string, at = t0, body = raw) => createHmac('sha256', secret).update(`${at}.`).update(body).digest('hex');
  const header = `t=${t0},v1=${sign('old-secret')},v1=${sign('new-secret')}`;
  t.ok(verified('new-secret', header, raw), 'the new secret');
  t.ok(verified('old-secret', header, raw), 'the old secret, during the rotation');
  t.notOk(verified('another', header, raw), 'another secret');
  t.notOk(verified('new-secret', header, Buffer.from('{"eventId":"e1","type":"failed"}')), 'another body');
  const old = t0 - 3_600;
  t.notOk(verified('new-secret', `t=${old},v1=${sign('new-secret', old)}`, raw), 'an hour-old signature');
});
