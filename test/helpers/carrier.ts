// One mobile network's MMSC for the inter-carrier (MM4) tests: a real `mmsc serve` process with its own
// config file, ports, Redis key prefix, MMS domain and number range, its own SMSC simulator (the WAP push
// bearer to its handsets) and its own VASP (an MM7 HTTP receiver that records what the MMSC sends it). The
// process can be SIGKILLed and started again on the same config and Redis prefix, as an operator's
// supervisor restarts a crashed instance.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Test } from 'tap';
import type { Queue } from '../../src/core/ports.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { createStore } from '../../src/store/index.js';
import { freePort } from './free-port.js';
import { Handset, httpRequest } from './handset.js';
import { MM7_NS, type Mm7Part, mm7SubmitReq } from './mm7-request.js';
import { MMSC_BIN, ROOT } from './paths.js';
import { dropKeys, redisUrl, testPrefix } from './redis.js';
import { type Smsc, startSmsc } from './smsc.js';
import { until } from './until.js';

/** What another carrier needs to know of this one before either starts: ports, domain, range. */
export interface CarrierPlan {
  /** Peer id the other carrier knows this one by (its mm4.peers[].id). */
  id: string;
  domain: string;
  /** The +E.164 prefix of its subscribers (mm1.localPrefixes). */
  localPrefix: string;
  mm1Port: number;
  mm4Port: number;
  /** Redis key prefix (queue.prefix): a restart keeps it, and with it the queue. */
  prefix: string;
}

export async function planCarrier(id: string, domain: string, localPrefix: string): Promise<CarrierPlan> {
  return { id, domain, localPrefix, mm1Port: await freePort(), mm4Port: await freePort(), prefix: testPrefix() };
}

/** A request the MMSC made to the carrier's VASP (DeliveryReportReq, ReadReplyReq, DeliverReq). */
export interface VaspRequest {
  kind: string;
  xml: string;
  messageId: string | undefined;
  /** MMStatus of a DeliveryReportReq, or of a ReadReplyReq. */
  status: string | undefined;
  recipient: string | undefined;
  /** Date.now() when it arrived. */
  at: number;
}

export interface CarrierOptions {
  /** The other carrier: its plan, reached at `port` (default its MM4 port; a relay's in between). */
  peer: { plan: CarrierPlan; port?: number };
  /** Merged into the config's queue section (retryBaseMs and the like). */
  queue?: Record<string, unknown>;
  /** Merged into the peer's out section (rate, maxConnections, ...). */
  out?: Record<string, unknown>;
}

/** A cold `mmsc serve` (modules, Redis, listeners, SMPP bind) on two cores shared with other test runs. */
const STARTUP_MS = 90_000;

const VASP = { id: 'vasp', username: 'vasp', password: 'pw-vasp', shortCode: '7070' } as const;
const SMSC_LOGIN = { systemId: 'mmsc', password: 'secret' } as const;

export class Carrier {
  mm7Url = '';
  private child: ChildProcessWithoutNullStreams | undefined;
  private exited: Promise<unknown> = Promise.resolve();
  private stdout = '';
  private stderr = '';
  /** stderr of every run (warnings and errors), for the test's diagnostics. */
  log = '';

  private constructor(
    readonly plan: CarrierPlan,
    readonly smsc: Smsc,
    /** What the MMSC sent the carrier's VASP, in order. */
    readonly vaspRequests: VaspRequest[],
    readonly store: { queue: Queue },
    private readonly configFile: string,
    private readonly redis: string,
  ) {}

  /** Start the carrier's process and its surroundings; all of it goes at the end of `t` (SIGKILL, keys dropped). */
  static async start(t: Test, plan: CarrierPlan, o: CarrierOptions): Promise<Carrier> {
    const redis = await redisUrl(t);
    const smsc = await startSmsc({ ...SMSC_LOGIN });
    const vaspRequests: VaspRequest[] = [];
    const vasp = await vaspReceiver(vaspRequests);
    const dir = mkdtempSync(join(tmpdir(), `mmsc-${plan.id}-`));
    const peer = o.peer.plan;
    const file = {
      redis: { url: redis },
      queue: { prefix: plan.prefix, leaseMs: 5000, retryBaseMs: 100, retryMaxMs: 1000, maxAttempts: 60, ...o.queue },
      ops: { port: 0 },
      mm7: {
        port: 0,
        vasps: [
          {
            id: VASP.id,
            username: VASP.username,
            password: VASP.password,
            senders: [VASP.shortCode],
            url: `http://127.0.0.1:${(vasp.address() as AddressInfo).port}/mm7`,
          },
        ],
      },
      mm1: {
        port: plan.mm1Port,
        publicUrl: `http://127.0.0.1:${plan.mm1Port}`,
        tokenSecret: `secret-of-${plan.id}-0123456789`,
        localPrefixes: [plan.localPrefix],
      },
      smpp: {
        smscs: [{ id: 'sim', host: '127.0.0.1', port: smsc.port, ...SMSC_LOGIN, sourceAddr: '6000', enquireLinkMs: 5000 }],
      },
      mm4: {
        enabled: true,
        host: '127.0.0.1',
        port: plan.mm4Port,
        domains: [plan.domain],
        peers: [
          {
            id: peer.id,
            domain: peer.domain,
            prefixes: [peer.localPrefix],
            allow: ['127.0.0.1'],
            out: {
              host: '127.0.0.1',
              port: o.peer.port ?? peer.mm4Port,
              tls: 'none',
              connectTimeoutMs: 2000,
              greetingTimeoutMs: 5000,
              socketTimeoutMs: 10_000,
              ...o.out,
            },
          },
        ],
      },
    };
    const configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify(file, null, 2));
    const config = ConfigSchema.parse({ redis: { url: redis }, queue: { prefix: plan.prefix } });
    const store = createStore({ redis: config.redis, queue: config.queue }, pino({ level: 'silent' }));
    await store.ready();
    const c = new Carrier(plan, smsc, vaspRequests, store, configFile, redis);
    t.teardown(async () => {
      if (!t.passing()) t.comment(`${plan.id} stderr:\n${c.log.slice(-4000)}`);
      await c.kill();
      await store.close();
      await new Promise<void>((r) => vasp.close(() => r()));
      vasp.closeAllConnections();
      await smsc.stop();
      await dropKeys(redis, plan.prefix);
      rmSync(dir, { recursive: true, force: true });
    });
    await c.run();
    return c;
  }

  get mm1Url(): string {
    return `http://127.0.0.1:${this.plan.mm1Port}`;
  }

  handset(msisdn: string): Handset {
    return new Handset(msisdn, this.mm1Url);
  }

  /** Spawn `mmsc serve` on the config file; resolves once it listens on MM4 and MM7 and is bound to its SMSC. */
  async run(): Promise<void> {
    if (this.child) throw new Error(`${this.plan.id} is running`);
    this.stdout = '';
    this.stderr = '';
    const binds = this.smsc.binds.length;
    const env: NodeJS.ProcessEnv = {};
    // Only this config: no MMSC_* override from the environment the tests run in.
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MMSC_')) env[k] = v;
    const child = spawn(process.execPath, [MMSC_BIN, 'serve'], {
      cwd: ROOT,
      env: { ...env, MMSC_CONFIG: this.configFile, REDIS_URL: this.redis, MMSC_LOG_LEVEL: 'warn' },
    });
    this.child = child;
    this.exited = once(child, 'exit');
    child.stdout.on('data', (b: Buffer) => (this.stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => {
      this.stderr += b.toString();
      this.log += b.toString();
    });
    const why = (e: Error) =>
      new Error(`${this.plan.id}: ${e.message}; exit ${child.exitCode}; stdout: ${this.stdout}; stderr: ${this.stderr.slice(-2000)}`);
    const listening = (iface: string) => () =>
      child.exitCode === null
        ? new RegExp(`^${iface}\\s+listening on (\\S+)(?: \\(.*\\))?$`, 'm').exec(this.stdout)?.[1]
        : Promise.reject(new Error('exited'));
    await until(`${this.plan.id}'s mm4 listener`, listening('mm4'), STARTUP_MS).catch((e: Error) => Promise.reject(why(e)));
    this.mm7Url = await until(`${this.plan.id}'s mm7 listener`, listening('mm7'), STARTUP_MS).catch((e: Error) => Promise.reject(why(e)));
    await until(`${this.plan.id} bound to its SMSC`, () => this.smsc.binds.length > binds, STARTUP_MS).catch((e: Error) =>
      Promise.reject(why(e)),
    );
  }

  /** SIGKILL (no shutdown of any kind) and wait for the process to be gone; nothing if not running. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await this.exited;
    this.child = undefined;
  }

  /** The VASP's MM7 SubmitReq to `to` (+E.164); returns the MessageID of the SubmitRsp. */
  async submit(to: string, o: { subject: string; parts: Mm7Part[]; deliveryReport?: boolean }): Promise<string> {
    const req = mm7SubmitReq({
      vasp: VASP.id,
      shortCode: VASP.shortCode,
      to: [to],
      subject: o.subject,
      deliveryReport: o.deliveryReport ?? false,
      parts: o.parts,
    });
    const a = await httpRequest(this.mm7Url, {
      method: 'POST',
      body: req.body,
      headers: {
        'content-type': req.contentType,
        authorization: `Basic ${Buffer.from(`${VASP.username}:${VASP.password}`).toString('base64')}`,
      },
    });
    const xml = a.body.toString('utf8');
    const id = /<(?:\w+:)?MessageID>([^<]+)</.exec(xml)?.[1];
    if (a.status !== 200 || !id) throw new Error(`${this.plan.id} did not accept the SubmitReq: ${a.status} ${xml}`);
    return id;
  }
}

/** The VASP's HTTP endpoint: records each request and answers it with its Rsp, StatusCode 1000. */
async function vaspReceiver(into: VaspRequest[]): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const xml = Buffer.concat(chunks).toString('utf8');
      const kind = /<(?:\w+:)?(\w+Req)[\s>]/.exec(xml.slice(xml.indexOf('Body')))?.[1] ?? 'unknown';
      into.push({
        kind,
        xml,
        messageId: /<(?:\w+:)?MessageID>([^<]+)</.exec(xml)?.[1],
        status: /<(?:\w+:)?MMStatus>([^<]+)</.exec(xml)?.[1],
        recipient: /<(?:\w+:)?Recipient>\s*<(?:\w+:)?Number>([^<]+)</.exec(xml)?.[1],
        at: Date.now(),
      });
      const rsp = kind.replace(/Req$/, 'Rsp');
      res
        .writeHead(200, { 'content-type': 'text/xml' })
        .end(
          `<?xml version="1.0"?><e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Header><TransactionID xmlns="${MM7_NS}">x</TransactionID></e:Header>` +
            `<e:Body><${rsp} xmlns="${MM7_NS}"><MM7Version>6.8.0</MM7Version><Status><StatusCode>1000</StatusCode></Status></${rsp}></e:Body></e:Envelope>`,
        );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}
