import { randomBytes } from 'node:crypto';
import { StaticRouter } from './core/static-router.js';
import { NotifyRoute } from './mm1/notify-route.js';
import { NumberPlan } from './mm1/numbers.js';
import { PapSender } from './mm1/pap-sender.js';
import { PapPusher, SmppPusher, type WapPusher } from './mm1/pusher.js';
import { Mm1ReportRoute } from './mm1/report-route.js';
import { addMm1Routes } from './mm1/routes.js';
import { Mm1Server } from './mm1/server.js';
import { Tokens } from './mm1/tokens.js';
import { WebViewServer } from './mm1/web-view-server.js';
import { ReportPump } from './core/report-pump.js';
import { ReportGenerator } from './core/reports.js';
import { addVaspRoutes } from './mm7/routes.js';
import { Mm7Server } from './mm7/server.js';
import type { Route } from './core/router.js';
import { KEYWORD_REPLY_PEER, SmppEdge } from './smpp/edge.js';
import type { LeasedJob } from './core/ports.js';
import { WorkerPool } from './core/worker-pool.js';
import type { Config } from './ops/config.js';
import type { Logger } from './ops/logger.js';
import { Metrics } from './ops/metrics.js';
import { OpsServer } from './ops/server.js';
import { createStore, type Store } from './store/index.js';
import { OutboundGuard } from './transport/outbound-guard.js';

/** Interfaces the gateway can listen on; one line is printed per listener. */
export type InterfaceName = 'mm1' | 'web' | 'mm7' | 'mm4' | 'smpp' | 'ops';

export interface Listener {
  iface: InterfaceName;
  address: string;
}

/**
 * Composition root: builds everything from the config, starts it, stops it in reverse order. Today: the
 * store (Redis or embedded), the delivery workers, the ops listener and the MM7 listener; the other edges
 * and their routes join as their issues land.
 */
export class Gateway {
  readonly metrics = new Metrics();
  readonly store: Store;
  readonly router = new StaticRouter();
  readonly workers: WorkerPool;
  private readonly reportPump: ReportPump;
  private readonly ops: OpsServer;
  private readonly mm7: Mm7Server | undefined;
  private readonly mm1: Mm1Server | undefined;
  /** The web view on its own listener (mm1.webViewPort), else undefined (the MM1 listener serves it). */
  private readonly webView: WebViewServer | undefined;
  /** Retrieval and web-view tokens (shared by every instance through mm1.tokenSecret). */
  readonly tokens: Tokens;
  readonly smpp: SmppEdge | undefined;
  private listeners: Listener[] = [];
  private stopping = false;
  private connecting: Promise<void> | undefined;

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
  ) {
    this.ops = new OpsServer(this.metrics, log.child({ iface: 'ops' }));
    this.store = createStore({ redis: config.redis, queue: config.queue }, log.child({ component: 'store' }));
    this.setStoreInfo();
    this.metrics.queueStats = () => this.store.queue.stats();
    this.metrics.storeUsage = this.store.usage;
    const reports = new ReportGenerator({ queue: this.store.queue, router: this.router, log: log.child({ component: 'reports' }) });
    this.workers = new WorkerPool({
      queue: this.store.queue,
      throttle: this.store.throttle,
      router: this.router,
      log: log.child({ component: 'workers' }),
      concurrency: config.queue.concurrency,
      retry: { baseMs: config.queue.retryBaseMs, factor: 2, maxMs: config.queue.retryMaxMs, jitter: 0.2 },
      resolve: (job, route) => this.resolve(job, route),
    });
    this.workers.on('outcome', (o) => {
      this.metrics.queueOutcomes.inc({ state: o.state });
      if (o.state !== 'retrying' && o.state !== 'deferred') this.reportPump.notify();
    });
    this.reportPump = new ReportPump({ queue: this.store.queue, reports, log: log.child({ component: 'reports' }) });
    if (config.mm1.tokenSecret === undefined) {
      log.warn(
        { key: 'mm1.tokenSecret' },
        'no token secret configured: retrieval and web-view links die with this process and are not valid on other instances',
      );
    }
    this.tokens = new Tokens(config.mm1.tokenSecret ?? randomBytes(32));
    const viewLink = (messageId: string): string => {
      const token = this.tokens.view(messageId);
      return config.smpp.viewUrl !== undefined
        ? config.smpp.viewUrl.replace('{token}', token)
        : `${config.mm1.webViewPublicUrl}/m/${token}`;
    };
    if (config.smpp.smscs.length > 0) {
      this.smpp = new SmppEdge({
        config: config.smpp,
        queue: this.store.queue,
        subscribers: this.store.subscribers,
        correlations: this.store.correlations,
        router: this.router,
        metrics: this.metrics,
        log: log.child({ iface: 'smpp' }),
        viewLink,
        storeAvailable: () => this.store.available(),
      });
    }
    if (config.mm1.enabled) {
      warnNoPushBearer(config, log);
      const plan = new NumberPlan(config.mm1);
      const mm1Log = log.child({ iface: 'mm1' });
      const pusher: WapPusher =
        config.mm1.push === 'pap'
          ? new PapPusher(
              new PapSender(
                {
                  url: config.mm1.papUrl!,
                  timeoutMs: config.mm1.papTimeoutMs,
                  ...(config.mm1.papAddressDomain !== undefined ? { addressDomain: config.mm1.papAddressDomain } : {}),
                },
                { log: mm1Log, onResult: (result) => this.metrics.papRequests.inc({ result }) },
              ),
            )
          : new SmppPusher(this.smpp);
      const notify = new NotifyRoute({
        config: config.mm1,
        tokens: this.tokens,
        pusher,
        textRoute: (address) => this.smpp?.textRoute(address),
        metrics: this.metrics,
        log: mm1Log.child({ direction: 'out' }),
      });
      addMm1Routes(this.router, { plan, notify, reports: new Mm1ReportRoute({ config: config.mm1, pusher, metrics: this.metrics }) });
      this.mm1 = new Mm1Server({
        config: config.mm1,
        queue: this.store.queue,
        throttle: this.store.throttle,
        router: this.router,
        reports,
        tokens: this.tokens,
        plan,
        metrics: this.metrics,
        log: mm1Log,
        onFinal: () => this.reportPump.notify(),
      });
    }
    if (config.mm1.webViewPort !== undefined) {
      this.webView = new WebViewServer({
        config: config.mm1,
        queue: this.store.queue,
        tokens: this.tokens,
        metrics: this.metrics,
        log: log.child({ iface: 'web' }),
      });
    }
    if (config.mm7.enabled) {
      // Requests to URLs clients choose (REST callbacks) go through it: no SSRF from inside the network.
      const guard = new OutboundGuard({ allow: config.outbound.allow });
      addVaspRoutes(this.router, { config: config.mm7, metrics: this.metrics, log: log.child({ iface: 'mm7', direction: 'out' }), guard });
      this.mm7 = new Mm7Server({
        config: config.mm7,
        queue: this.store.queue,
        throttle: this.store.throttle,
        router: this.router,
        metrics: this.metrics,
        log: log.child({ iface: 'mm7' }),
        guard,
        idempotency: this.store.idempotency,
      });
    }
  }

  /**
   * Subscriber flags decide last: nothing goes to a subscriber who opted out (STOP), except the
   * confirmation of it; a text-only subscriber gets the SMS fallback instead of the router's route.
   */
  private async resolve(job: LeasedJob, route: Route | undefined): Promise<Route | { refuse: string } | undefined> {
    const m = job.message;
    const r = m.recipients[job.recipientIndex];
    if (m.report || !r || r.type !== 'plmn' || (m.origin.iface === 'smpp' && m.origin.peer === KEYWORD_REPLY_PEER)) return route;
    const flags = await this.store.subscribers.get(r.address);
    if (flags.optedOut) return { refuse: 'recipient opted out (STOP)' };
    if (flags.textOnly) return this.smpp?.textRoute(r.address) ?? route;
    return route;
  }

  async start(): Promise<Listener[]> {
    // The ops listener comes first, so that health and metrics answer while the store connects.
    const address = await this.ops.listen(this.config.ops.host, this.config.ops.port);
    this.listeners.push({ iface: 'ops', address });
    this.log.info({ iface: 'ops', address }, 'listening');
    if (this.mm1) {
      const mm1 = await this.mm1.listen(this.config.mm1.host, this.config.mm1.port);
      this.listeners.push({ iface: 'mm1', address: mm1 });
      this.log.info(
        {
          iface: 'mm1',
          address: mm1,
          publicUrl: this.config.mm1.publicUrl,
          trustedProxies: this.config.mm1.trustedProxies,
          push: this.config.mm1.push,
        },
        'listening',
      );
    }
    if (this.webView) {
      const web = await this.webView.listen(this.config.mm1.webViewHost, this.config.mm1.webViewPort!);
      this.listeners.push({ iface: 'web', address: web });
      this.log.info({ iface: 'web', address: web, publicUrl: this.config.mm1.webViewPublicUrl }, 'listening');
    }
    if (this.mm7) {
      const mm7 = await this.mm7.listen(this.config.mm7.host, this.config.mm7.port);
      this.listeners.push({ iface: 'mm7', address: mm7 });
      this.log.info({ iface: 'mm7', address: mm7, vasps: this.config.mm7.vasps.length }, 'listening');
    }
    if (this.smpp) {
      for (const address of this.smpp.addresses) {
        this.listeners.push({ iface: 'smpp', address });
        this.log.info({ iface: 'smpp', address }, 'SMSC connection');
      }
    }
    // An unreachable Redis does not stop the start: /readyz says 503 until the store answers, then the
    // workers start (a gateway restarted in a loop by its supervisor would help nobody).
    this.connecting = this.connectStore();
    return this.listeners;
  }

  /** Resolves when the store is connected and the workers run (for tests and embedding). */
  whenReady(): Promise<void> {
    return this.connecting ?? Promise.resolve();
  }

  private async connectStore(): Promise<void> {
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        await this.store.ready();
        if (this.stopping) return;
        this.workers.start();
        this.reportPump.start();
        // SMPP binds once the store answers: MO messages and receipts need it.
        this.smpp?.start();
        this.setStoreInfo();
        // Not ready while the store is away later on either: the edges refuse then (StoreUnavailableError).
        this.ops.ready = () => this.store.available();
        this.log.info({ backend: this.store.backend, durable: this.store.durable }, 'ready');
        return;
      } catch (err) {
        this.log.warn({ err: (err as Error).message, attempt }, 'store not reachable; retrying');
        await new Promise((r) => setTimeout(r, Math.min(5_000, 250 * attempt)));
      }
    }
  }

  /** mmsc_store_info: durable as the store knows it (for Redis, what the server reported when it connected). */
  private setStoreInfo(): void {
    this.metrics.storeInfo.reset();
    this.metrics.storeInfo.set(
      { backend: this.store.backend, durable: this.store.durable === undefined ? 'unknown' : String(this.store.durable) },
      1,
    );
  }

  /** Graceful stop: not ready, edges stop accepting, workers finish or give back what they hold, store closed, ops last. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.ops.ready = () => false;
    await this.mm7?.close();
    await this.mm1?.close();
    await this.webView?.close();
    await this.workers.stop();
    await this.reportPump.stop();
    await this.smpp?.close();
    await this.store.close();
    await this.ops.close();
    this.log.info('stopped');
  }
}

/**
 * Local subscribers are notified by WAP push (mm1.push): over SMPP that needs an SMSC serving their numbers.
 * Without one every message to them is refused ("no SMSC serves ..."); say it once at start, naming the
 * keys, rather than only in each message's history. (push = pap always has its PPG: mm1.papUrl is required.)
 */
function warnNoPushBearer(config: Config, log: Logger): void {
  if (config.mm1.push !== 'smpp') return;
  const smscs = config.smpp.smscs;
  if (smscs.length === 0) {
    log.warn(
      { keys: ['mm1.push', 'smpp.smscs', 'mm1.papUrl'], localPrefixes: config.mm1.localPrefixes },
      'no WAP push bearer: mm1.push is smpp but smpp.smscs is empty (and no PPG: mm1.papUrl); messages to local subscribers will be refused, not notified',
    );
    return;
  }
  // A local range no SMSC's prefixes touch (an SMSC with prefixes [] serves every number).
  const related = (a: string, b: string): boolean => a.startsWith(b) || b.startsWith(a);
  const unserved = config.mm1.localPrefixes.filter(
    (p) => !smscs.some((s) => s.prefixes.length === 0 || s.prefixes.some((q) => related(p, q))),
  );
  if (unserved.length > 0) {
    log.warn(
      { keys: ['mm1.localPrefixes', 'smpp.smscs'], unserved },
      'no SMSC serves these local ranges: their subscribers cannot be notified by WAP push',
    );
  }
}
