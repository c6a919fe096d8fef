// `mmsc demo`: a first delivered MMS in one command. The gateway runs on the embedded store, bound to
// loopback, with a demo VASP account; its SMSC is the SMSC simulator, and every number pushed to is a
// simulated handset that fetches what it is notified of and acknowledges it (OMA-TS-MMS_CTR §6: the
// immediate retrieval flow), so the message ends delivered and the VASP's delivery report arrives at a
// callback served by this process. It prints a curl command that submits an MMS with a picture over the REST
// API, then each event as it happens.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { MmsPdu } from '../../protocols/mms/index.js';
import { type Config, ConfigSchema } from '../ops/config.js';
import type { Logger } from '../ops/logger.js';
import { Handset, httpRequest } from './handset.js';
import { demoPicture } from './picture.js';
import { PushAssembler } from './push-assembler.js';
import type { SubmitRecord } from './smsc-records.js';
import { type Smsc, startSmsc } from './smsc-sim.js';
import { HTTP_STATUS } from '../transport/http-status.js';

/** The part of the gateway the demo drives (src/gateway.ts; passed in: only the command line builds it). */
export interface DemoGateway {
  start(): Promise<Array<{ iface: string; address: string }>>;
  whenReady(): Promise<void>;
  stop(): Promise<void>;
}

export interface DemoOptions {
  /**
   * Ports are this plus: 1 MM1, 2 ops, 3 SMSC simulator, 4 demo callback, 7 MM7/REST; 0 = any free ones
   * (tests).
   */
  portBase: number;
  /** Where the banner and the events go (a line each, without its newline). */
  print: (line: string) => void;
  /** Where the gateway's warnings and errors go (pino JSON lines). */
  warn: (line: string) => void;
  /** The recipient the printed command sends to. */
  to?: string;
}

export const DEMO_PORT_BASE = 8100;
export const DEMO_VASP = { id: 'demo', username: 'demo', password: 'demo-password', shortCode: '12345' } as const;
const SMSC_ACCOUNT = { systemId: 'mmsc-demo', password: 'demo' } as const;
const HOST = '127.0.0.1';

const port = (base: number, offset: number) => (base === 0 ? 0 : base + offset);

export interface Demo {
  /** The curl command printed. */
  curl: string;
  stop(): Promise<void>;
}

/** Starts everything, prints the banner with the curl command, and returns once the gateway is bound to the SMSC. */
export async function runDemo(o: DemoOptions, build: (config: Config, log: Logger) => DemoGateway): Promise<Demo> {
  const started = Date.now();
  const event = (what: string, text: string) => o.print(`${new Date().toISOString().slice(11, 23)}  ${what.padEnd(15)} ${text}`);
  const dir = mkdtempSync(join(tmpdir(), 'mmsc-demo-'));
  const picture = join(dir, 'picture.png');
  writeFileSync(picture, demoPicture());
  const cleanups: Array<() => Promise<void> | void> = [() => rmSync(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c();
  };
  try {
    const callback = await listen(callbackServer(event), port(o.portBase, 4));
    cleanups.push(() => close(callback));
    const callbackUrl = `http://${HOST}:${(callback.address() as AddressInfo).port}/callback`;

    let mm1Url = '';
    let mm7Url = '';
    const assembler = new PushAssembler();
    const smsc = await startSmsc({
      ...SMSC_ACCOUNT,
      port: port(o.portBase, 3),
      host: HOST,
      onSubmit: (s) => {
        if (s.status === 0) void arrived(assembler, s, { event, mm1: () => mm1Url, mm7: () => mm7Url });
      },
    });
    cleanups.push(() => smsc.stop());

    // MM1's port is in the Content-Location of every notification: known before the gateway starts.
    const mm1Port = o.portBase === 0 ? await freePort() : o.portBase + 1;
    const config = demoConfig(o.portBase, mm1Port, smsc.port, callbackUrl);
    const gateway = build(config, demoLogger(config, o.warn, event));
    const listeners = await gateway.start();
    cleanups.push(() => gateway.stop());
    await gateway.whenReady();
    mm1Url = listeners.find((l) => l.iface === 'mm1')!.address;
    mm7Url = new URL(listeners.find((l) => l.iface === 'mm7')!.address).origin;
    await bound(smsc);

    const to = o.to ?? '+15550000001';
    const curl =
      `curl -sS -u ${DEMO_VASP.username}:${DEMO_VASP.password} -F to=${to} -F 'subject=Hello from mmsc' ` +
      `-F 'text=A first MMS, with a picture' -F 'picture=@${picture};type=image/png' ` +
      `-F callbackUrl=${callbackUrl} ${mm7Url}/v1/messages`;
    for (const line of banner({ mm1Url, mm7Url, smscPort: smsc.port, callbackUrl, curl, ms: Date.now() - started })) o.print(line);
    return { curl, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function demoConfig(base: number, mm1Port: number, smscPort: number, callbackUrl: string): Config {
  return ConfigSchema.parse({
    log: { level: 'info' },
    ops: { host: HOST, port: port(base, 2) },
    // No redis.url: the embedded store (non-durable, in this process).
    queue: { retryBaseMs: 200, retryMaxMs: 2_000 },
    mm7: {
      host: HOST,
      port: port(base, 7),
      vasps: [
        {
          id: DEMO_VASP.id,
          username: DEMO_VASP.username,
          password: DEMO_VASP.password,
          senders: [DEMO_VASP.shortCode],
          callbackUrlPrefixes: [new URL('/callback', callbackUrl).href],
          // Its events are signed (docs/webhooks.md); the demo's callback does not check them.
          webhookSecrets: [randomBytes(24).toString('hex')],
        },
      ],
    },
    mm1: { host: HOST, port: mm1Port, tokenSecret: randomBytes(24).toString('hex'), renotifyMs: 60_000 },
    mm3: { enabled: false },
    mm4: { enabled: false },
    smpp: {
      smscs: [{ id: 'demo-smsc', host: HOST, port: smscPort, ...SMSC_ACCOUNT, sourceAddr: DEMO_VASP.shortCode, registeredDelivery: false }],
    },
    // The outbound guard refuses loopback callbacks (server-side request forgery); the demo's own one is allowed.
    outbound: { allow: [`${HOST}/32`] },
  });
}

/** pino at info, read line by line: acceptances become events, warnings and errors go to `warn`. */
function demoLogger(config: Config, warn: (line: string) => void, event: (what: string, text: string) => void): Logger {
  return pino(
    { level: config.log.level, base: { service: 'mmsc' } },
    {
      write(line: string) {
        let entry: { level?: number; msg?: string; messageId?: string; recipients?: number; iface?: string; durable?: boolean };
        try {
          entry = JSON.parse(line) as typeof entry;
        } catch {
          return;
        }
        if (entry.msg === 'submission accepted')
          event('accepted', `${entry.messageId} (${entry.recipients} recipient${entry.recipients === 1 ? '' : 's'}, ${entry.iface})`);
        // The embedded store's warning that it is not durable: the banner says so already.
        if ((entry.level ?? 0) >= 40 && entry.durable !== false) warn(line.trimEnd());
      },
    },
  );
}

interface Hooks {
  event: (what: string, text: string) => void;
  mm1: () => string;
  mm7: () => string;
}

/** A submit_sm the SMSC took: a handset's notification is fetched and acknowledged at once. */
async function arrived(assembler: PushAssembler, s: SubmitRecord, h: Hooks): Promise<void> {
  const a = assembler.add(s);
  if (a.kind === 'sms') return h.event('sms', `to ${a.to}: ${a.text}`);
  if (a.kind === 'bad-push') return h.event('bad push', `to ${a.to}: ${a.error}`);
  if (a.kind === 'segment') return;
  const pdu = a.pdu;
  if (pdu.messageType !== 'm-notification-ind') return h.event('pushed', `${pdu.messageType} to ${a.to}${about(pdu)}`);
  h.event('pushed', `m-notification-ind to ${a.to}: ${pdu.messageSize} bytes at ${pdu.contentLocation}`);
  try {
    const handset = new Handset(a.to, h.mm1());
    const got = await handset.retrieve(pdu.contentLocation);
    const conf = got.pdu;
    if (got.status !== HTTP_STATUS.OK || conf?.messageType !== 'm-retrieve-conf')
      return h.event('fetch failed', `${a.to}: HTTP ${got.status} ${got.body.toString('utf8').slice(0, 200)}`);
    const parts = (conf.parts ?? []).map((p) => `${p.contentType.mediaType} (${p.data.length} bytes)`);
    h.event('fetched', `${conf.messageId} by ${a.to}: ${parts.join(', ')}`);
    const ack = await handset.acknowledge(conf.transactionId ?? '');
    h.event('acknowledged', `${conf.messageId} by ${a.to} (m-acknowledge-ind: HTTP ${ack.status})`);
    const state = await stateOf(h.mm7(), conf.messageId ?? '', a.to);
    h.event(state ?? 'state unknown', `${conf.messageId} to ${a.to} (GET /v1/messages/:id)`);
  } catch (err) {
    h.event('handset error', `${a.to}: ${(err as Error).message}`);
  }
}

const about = (pdu: MmsPdu) => (pdu.messageId !== undefined ? ` about ${pdu.messageId}` : '');

/** The recipient's state, as the VASP sees it over the REST API. */
async function stateOf(mm7: string, messageId: string, recipient: string): Promise<string | undefined> {
  const auth = `Basic ${Buffer.from(`${DEMO_VASP.username}:${DEMO_VASP.password}`).toString('base64')}`;
  const a = await httpRequest(`${mm7}/v1/messages/${encodeURIComponent(messageId)}`, { headers: { authorization: auth } });
  if (a.status !== HTTP_STATUS.OK) return undefined;
  const view = JSON.parse(a.body.toString('utf8')) as { recipients?: Array<{ address: string; state: string }> };
  return view.recipients?.find((r) => r.address === recipient)?.state ?? view.recipients?.[0]?.state;
}

/** The VASP's side: REST callbacks (the sender's events, docs/webhooks.md) POSTed as JSON (src/mm7/callback-route.ts). */
function callbackServer(event: (what: string, text: string) => void): Server {
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        const r = JSON.parse(text) as { type?: string; messageId?: string; recipient?: string; detail?: string };
        const final = ['delivered', 'delivered_as_sms', 'rejected', 'failed', 'expired'].includes(r.type ?? '');
        event(
          final ? 'delivery report' : `event ${r.type}`,
          `${r.messageId} for ${r.recipient}: ${r.type} (at the demo callback${r.detail ? `; ${r.detail}` : ''})`,
        );
      } catch {
        event('callback', `not JSON: ${text.slice(0, 200)}`);
      }
      res.writeHead(HTTP_STATUS.NO_CONTENT).end();
    });
  });
}

function banner(b: { mm1Url: string; mm7Url: string; smscPort: number; callbackUrl: string; curl: string; ms: number }): string[] {
  return [
    `mmsc demo: ready in ${b.ms} ms (embedded store: messages live in this process only)`,
    `  MM7 and REST API  ${b.mm7Url}   VASP account ${DEMO_VASP.username} / ${DEMO_VASP.password}`,
    `  MM1 (handsets)    ${b.mm1Url}`,
    `  SMSC simulator    smpp://${HOST}:${b.smscPort}   every number pushed to is a simulated handset`,
    `  demo callback     ${b.callbackUrl}`,
    '',
    'Send an MMS with a picture (in another terminal):',
    '',
    `  ${b.curl}`,
    '',
    'Events (Ctrl-C stops):',
  ];
}

function listen(server: Server, p: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(p, HOST, () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/** Resolves once the gateway has bound to the simulator (it connects in the background). */
async function bound(smsc: Smsc, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (smsc.sessions === 0) {
    if (Date.now() > until) throw new Error('the gateway did not bind to the SMSC simulator');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A port free on the loopback address now (the system picks it). */
async function freePort(): Promise<number> {
  const server = await listen(createServer(), 0);
  const p = (server.address() as AddressInfo).port;
  await close(server);
  return p;
}
