// The JSON submission's side of the Idempotency-Key contract (src/rest/route.ts IdempotentRun): the key is
// claimed once the body is read and checked and before anything is stored or fetched; a replay is answered
// as it was; a refusal after the claim releases the key; an accepted message keeps it. The route is called
// directly: the dispatcher that sets `body` and `idempotency` from the header is another slice's (its own
// tests go through HTTP), and the recording run below stands in for its store-backed run.
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { pino } from 'pino';
import t from 'tap';
import { Intake } from '../../src/core/intake.js';
import { StaticRouter } from '../../src/core/static-router.js';
import { ConfigSchema, VaspSchema } from '../../src/ops/config.js';
import { Metrics } from '../../src/ops/metrics.js';
import { MediaUnavailableError } from '../../src/rest/media/types.js';
import { RestError } from '../../src/rest/errors.js';
import type { IdempotentRun, RestAnswer, RestRequest } from '../../src/rest/route.js';
import type { RestApiOptions } from '../../src/rest/services.js';
import { formSubmitRoute } from '../../src/rest/submit-route.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { OutboundGuard } from '../../src/transport/outbound-guard.js';

const VASP = VaspSchema.parse({ id: 'acme', username: 'acme', password: 'pw', senders: ['12345'] });

class RecordingRun implements IdempotentRun {
  readonly calls: string[] = [];
  constructor(private readonly replay?: RestAnswer) {}
  async claim(messageId: string) {
    this.calls.push(`claim ${typeof messageId}`);
    return this.replay ? { first: false as const, replay: this.replay } : { first: true as const };
  }
  async release() {
    this.calls.push('release');
  }
}

function setup() {
  const store = createMemoryStore();
  const log = pino({ level: 'silent' });
  const o: RestApiOptions = {
    config: ConfigSchema.parse({ mm7: { vasps: [VASP] } }).mm7,
    queue: store.queue,
    intake: new Intake({ queue: store.queue, throttle: store.throttle, router: new StaticRouter(), log }),
    metrics: new Metrics(),
    log,
    guard: new OutboundGuard(),
    media: {
      resolve: async (_v, refs) => {
        throw new MediaUnavailableError(refs[0]!.source, 'not-found', 'gone');
      },
    },
  };
  const route = formSubmitRoute(o);
  const call = (json: unknown, run: RecordingRun) => {
    const bytes = Buffer.from(JSON.stringify(json));
    const r: RestRequest = {
      req: { headers: { 'content-type': 'application/json', 'content-length': String(bytes.length) } } as IncomingMessage,
      body: Readable.from([bytes]),
      vasp: VASP,
      auth: { by: 'basic', scope: 'full' },
      params: {},
      query: new URLSearchParams(),
      idempotency: run,
    };
    return route.handle(r);
  };
  return { store, route, call };
}

t.test('the route takes an Idempotency-Key', async (t) => {
  t.equal(setup().route.idempotent, true);
});

t.test('first request: claimed, stored, kept', async (t) => {
  const { store, call } = setup();
  const run = new RecordingRun();
  const a = await call({ to: '+14155550100', text: 'hi' }, run);
  t.equal(a.status, 202);
  t.same(run.calls, ['claim string'], 'claimed once, not released');
  t.ok(await store.queue.message((a.body as { messageId: string }).messageId));
});

t.test('a replay: the first answer, nothing stored', async (t) => {
  const { store, call } = setup();
  const first: RestAnswer = {
    status: 202,
    body: { messageId: 'm-1', recipients: 1, status: 'accepted' },
    headers: { location: '/v1/messages/m-1' },
  };
  const run = new RecordingRun(first);
  t.equal(await call({ to: '+14155550100', text: 'hi' }, run), first);
  t.equal((await store.queue.stats()).waiting, 0);
});

t.test('refused before the claim: nothing claimed', async (t) => {
  const { call } = setup();
  const run = new RecordingRun();
  await t.rejects(call({ to: 'nope', text: 'hi' }, run), RestError);
  await t.rejects(call({ to: '+14155550100', text: 'hi', bogus: 1 }, run), RestError);
  t.same(run.calls, [], 'a body refused as such does not touch the key');
});

t.test('refused after the claim: released', async (t) => {
  const { call } = setup();
  const media = new RecordingRun();
  await t.rejects(call({ to: '+14155550100', media: ['https://cdn.example/x.jpg'] }, media), new RestError('UNPROCESSABLE', 'gone'));
  t.same(media.calls, ['claim string', 'release'], 'media unavailable: released');
  const past = new RecordingRun();
  await t.rejects(call({ to: '+14155550100', text: 'hi', sendAt: '2001-01-01T00:00:00Z' }, past), RestError);
  t.same(past.calls, ['claim string', 'release'], 'sendAt in the past (checked in the intake): released');
});
