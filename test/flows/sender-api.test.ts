import { pino } from 'pino';
import t from 'tap';
import type { Delivery, DeliveryResult, Route } from '../../src/core/router.js';
import { Gateway } from '../../src/gateway.js';
import { apiKeyHash, newApiKey } from '../../src/ops/api-key.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { mediaServer, png, serve } from '../rest/media-fixtures.js';
import { redisUrl, testPrefix } from '../helpers/redis.js';
import { bearer, restCall } from '../helpers/rest-call.js';
import { until } from '../helpers/until.js';
import { pythonVerifies, webhookReceiver } from '../helpers/webhooks.js';

const SECRET = 'whsec-flow-0123456789abcdef';
const SEND_KEY = newApiKey();
const READ_KEY = newApiKey();

/** Stand-in for the handsets: every message delivered. */
class Handsets implements Route {
  readonly peer = 'handsets-standin';
  readonly limits = { rate: 1000, burst: 1000, maxInFlight: 100 };
  async send(_d: Delivery): Promise<DeliveryResult> {
    return { status: 'delivered' };
  }
}

t.test('API key, JSON with a media URL, Idempotency-Key, signed events, listing, OpenAPI: one gateway', async (t) => {
  const media = await mediaServer(t);
  const picture = png();
  media.route('/receipt.png', serve(picture, 'image/png', { 'cache-control': 'max-age=600', etag: '"r1"' }));
  const hooks = await webhookReceiver(t);
  const config = ConfigSchema.parse({
    redis: { url: await redisUrl(t) },
    queue: { prefix: testPrefix() },
    ops: { port: 0 },
    mm1: { enabled: false },
    mm7: {
      port: 0,
      vasps: [
        {
          id: 'shop',
          username: 'shop',
          apiKeys: [
            { name: 'sender', hash: apiKeyHash(SEND_KEY), scope: 'send' },
            { name: 'reader', hash: apiKeyHash(READ_KEY), scope: 'read' },
          ],
          senders: ['7040'],
          webhookSecrets: [SECRET],
          // The media server is on loopback: this account may fetch from there, no other (mediaUrlAllow).
          mediaUrlAllow: ['127.0.0.1/32'],
          deliveryRate: 1000,
          deliveryBurst: 1000,
        },
      ],
    },
    // The webhook receiver is on loopback too: the operator opens it for callbacks.
    outbound: { allow: ['127.0.0.1/32'] },
  });
  const gw = new Gateway(config, pino({ level: 'silent' }));
  gw.router.add((m, i) => m.report === undefined && m.recipients[i]!.type === 'plmn', new Handsets());
  const listeners = await gw.start();
  t.teardown(() => gw.stop());
  await gw.whenReady();
  const base = listeners.find((l) => l.iface === 'mm7')!.address;

  const body = {
    to: ['+14155550100', '+14155550101'],
    from: '7040',
    subject: 'Your receipt',
    text: 'Thanks for your order',
    media: [`${media.base}/receipt.png`],
    callbackUrl: hooks.url,
    clientRef: 'order-77',
  };
  const first = await restCall(base, 'POST', '/v1/messages', {
    auth: bearer(SEND_KEY),
    json: body,
    headers: { 'idempotency-key': 'k-77' },
  });
  t.equal(first.status, 202, 'accepted with the send key');
  const id = first.body.messageId as string;
  t.strictSame(first.body, { messageId: id, recipients: 2, status: 'accepted', clientRef: 'order-77' });

  const again = await restCall(base, 'POST', '/v1/messages', {
    auth: bearer(SEND_KEY),
    json: body,
    headers: { 'idempotency-key': 'k-77' },
  });
  t.equal(again.status, 202, 'the retry answered as the first');
  t.strictSame(again.body, first.body);
  t.equal(again.headers.get('idempotent-replayed'), 'true');

  const stored = await gw.store.queue.content(id);
  t.ok(
    stored?.some((part) => part.equals(picture)),
    'the picture fetched from its URL is stored with the message',
  );
  t.strictSame(
    media.seen.filter((s) => s.startsWith('GET')),
    ['GET /receipt.png'],
    'fetched once: the retry was not carried out again',
  );

  // accepted, queued and delivered for each recipient, each signed, with the clientRef.
  await until('both delivered events', () => hooks.got.filter((h) => h.body.type === 'delivered').length === 2, 15_000);
  const types = hooks.got.map((h) => `${h.body.type}/${h.body.recipient}`).sort();
  t.strictSame(
    types,
    ['accepted', 'queued', 'delivered'].flatMap((type) => [`${type}/+14155550100`, `${type}/+14155550101`]).sort(),
    'every event once (an Idempotency-Key replay queues none)',
  );
  for (const h of hooks.got) {
    t.equal(h.body.messageId, id);
    t.equal(h.body.clientRef, 'order-77');
    t.equal(pythonVerifies(SECRET, String(h.headers['mmsc-signature']), h.raw), 'ok', `${h.body.type}: the signature verifies in Python`);
  }

  // The read key lists; the send key may not.
  const listed = await restCall(base, 'GET', '/v1/messages?clientRef=order-77', { auth: bearer(READ_KEY) });
  t.equal(listed.status, 200);
  t.strictSame(
    (listed.body.messages as Array<{ messageId: string }>).map((m) => m.messageId),
    [id],
  );
  t.equal((await restCall(base, 'GET', '/v1/messages', { auth: bearer(SEND_KEY) })).status, 403, 'a send key cannot read');
  t.equal((await restCall(base, 'POST', '/v1/messages', { auth: bearer(READ_KEY), json: body })).status, 403, 'a read key cannot send');

  // A second message with the same picture: served from the cache (fresh for 600 s), not fetched again.
  const second = await restCall(base, 'POST', '/v1/messages', { auth: bearer(SEND_KEY), json: { ...body, clientRef: 'order-78' } });
  t.equal(second.status, 202);
  t.equal(media.seen.filter((s) => s.startsWith('GET')).length, 1, 'the cached copy is used while fresh');

  const doc = await restCall(base, 'GET', '/v1/openapi.json');
  t.equal(doc.status, 200, 'the OpenAPI document without credentials');
  t.equal(doc.body.openapi, '3.1.0');
});
