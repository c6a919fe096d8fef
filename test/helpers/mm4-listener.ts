// The MM4 listener on loopback for tests, over a store (the embedded one unless given), with one peer
// allowed from 127.0.0.1 (carrier-b) and one from elsewhere; and the MM4_forward.REQ the tests send.
import { pino } from 'pino';
import type { Test } from 'tap';
import type { IdempotencyStore, Queue, Throttle } from '../../src/core/ports.js';
import type { Route } from '../../src/core/router.js';
import { StaticRouter } from '../../src/core/static-router.js';
import { Mm4Server } from '../../src/mm4/server.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { Metrics } from '../../src/ops/metrics.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import type { RawSmtp } from './smtp-raw.js';

export const DOMAIN = 'mms.mnc001.mcc001.gprs';
export const LOCAL = '+15550001111';
export const PEER_FROM = '+15559998888/TYPE=PLMN@mms.mnc002.mcc001.gprs';

/** A route for our subscribers (+1555...): never used to deliver here, only to route. */
const local: Route = {
  peer: 'mm1',
  limits: { rate: 100, burst: 100, maxInFlight: 10 },
  send: () => Promise.reject(new Error('not delivered in this test')),
};

export type Mm4Input = Record<string, unknown>;
export interface StartOptions {
  enqueueFails?: boolean;
  /** Several listeners on one store (two instances of the gateway). */
  store?: { queue: Queue; throttle: Throttle; idempotency: IdempotencyStore };
}

export function mm4Config(mm4: Mm4Input = {}) {
  return ConfigSchema.parse({
    mm4: {
      enabled: true,
      port: 0,
      domains: [DOMAIN],
      maxMessageBytes: 4096,
      peers: [
        { id: 'carrier-b', allow: ['127.0.0.1/32', '::1/128'], rate: 1000, burst: 1000 },
        { id: 'far-away', allow: ['192.0.2.0/24'] },
      ],
      ...mm4,
    },
  }).mm4;
}

export async function startMm4(t: Test, mm4: Mm4Input = {}, opts: StartOptions = {}) {
  const config = mm4Config(mm4);
  const store = opts.store ?? createMemoryStore();
  const queue = opts.enqueueFails
    ? Object.assign(Object.create(store.queue) as Queue, {
        enqueue: () => Promise.reject(new Error('store down')),
      })
    : store.queue;
  const metrics = new Metrics();
  const router = new StaticRouter().add((m, i) => m.recipients[i]!.address.startsWith('+1555'), local, 'local');
  const server = new Mm4Server({
    config,
    queue,
    throttle: store.throttle,
    idempotency: store.idempotency,
    router,
    metrics,
    log: pino({ level: 'silent' }),
  });
  const url = new URL(await server.listen('127.0.0.1', 0));
  t.teardown(() => server.close());
  return { port: Number(url.port), queue: store.queue, metrics, server };
}

export function forwardReq(opts: { to?: string; body?: string; messageId?: string } = {}): string {
  const to = opts.to ?? `${LOCAL}/TYPE=PLMN@${DOMAIN}`;
  return [
    'X-Mms-3GPP-MMS-Version: 6.10.0',
    'X-Mms-Message-Type: MM4_forward.REQ',
    'X-Mms-Transaction-ID: "tx-0001@mms.mnc002.mcc001.gprs"',
    `X-Mms-Message-ID: "${opts.messageId ?? 'msg-0001@mms.mnc002.mcc001.gprs'}"`,
    'X-Mms-Originator-System: system-user@mms.mnc002.mcc001.gprs',
    'X-Mms-Ack-Request: No',
    'From: +15559998888/TYPE=PLMN@mms.mnc002.mcc001.gprs',
    `To: ${to}`,
    'Subject: hello',
    'Date: Sun, 06 Dec 2026 12:00:00 +0000',
    'Content-Type: text/plain; charset=utf-8',
    '',
    opts.body ?? 'Hi there',
    '',
  ].join('\r\n');
}

/** One whole transaction to our local subscriber (EHLO first unless `ehlo` is false); resolves to the last reply. */
export async function transaction(raw: RawSmtp, data: string, o: { ehlo?: boolean; rcpt?: string } = {}): Promise<string> {
  if (o.ehlo !== false) await raw.send('EHLO peer.example');
  await raw.send(`MAIL FROM:<${PEER_FROM}>`);
  await raw.send(`RCPT TO:<${o.rcpt ?? `${LOCAL}/TYPE=PLMN@${DOMAIN}`}>`);
  const go = await raw.send('DATA');
  if (!go.startsWith('354')) return go;
  // RFC 5321 §4.5.2: a line starting with "." gets another.
  const r = raw.reply();
  raw.write(`${data.replace(/^\./gm, '..')}\r\n.\r\n`);
  return r;
}
