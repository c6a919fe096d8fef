import type { HandsetMemory, ProfileSource } from './adapt/capabilities.js';
import { type AdaptationOverrides, type AdaptationWiring, buildAdaptation } from './adapt/wiring.js';
import type { IntakeContentCheck } from './core/content-check.js';
import { errorFields } from './core/log-error.js';
import { StaticRouter } from './core/static-router.js';
import { subscriberPolicy } from './core/subscriber-policy.js';
import { thenResolve } from './core/marketing-policy.js';
import { marketingStep, senderApiServices } from './sender-api.js';
import { consentScreen } from './core/consent.js';
import { NotifyRoute } from './mm1/notify-route.js';
import { NumberPlan } from './mm1/numbers.js';
import { Mm1ReportRoute } from './mm1/report-route.js';
import { mm1Routes } from './mm1/routes.js';
import { Mm1Server } from './mm1/server.js';
import { peerOutbound } from './mm4/peer-options.js';
import { Mm3RelayRoute } from './mm3/relay-route.js';
import { mm3Routes } from './mm3/routes.js';
import { Mm3Server } from './mm3/server.js';
import { type Mm4RouteEntry, mm4ReplyRoutes, mm4Routes } from './mm4/routes.js';
import { Mm4InboundReports } from './mm4/inbound-reports.js';
import { Mm4Server } from './mm4/server.js';
import { readFileSync } from 'node:fs';
import type { Tokens } from './mm1/tokens.js';
import { WebViewServer } from './mm1/web-view-server.js';
import { createPusher, mm1Tokens, viewLinkFor, warnNoPushBearer } from './mm1/wiring.js';
import { ReportPump } from './core/report-pump.js';
import { ReportGenerator } from './core/reports.js';
import { vaspRoutes } from './mm7/routes.js';
import { Mm7Server } from './mm7/server.js';
import { type EdgeRoutes, routeTable } from './routes.js';
import { isKeywordReply, SmppEdge } from './smpp/edge.js';
import { ConsentKeywords, senderPolicy } from './smpp/consent-keywords.js';
import { smppRoutes } from './smpp/routes.js';
import { WorkerPool } from './core/worker-pool.js';
import type { Config } from './ops/config.js';
import type { Logger } from './ops/logger.js';
import { Metrics } from './ops/metrics.js';
import { OpsServer } from './ops/server.js';
import { opsExposure } from './ops/exposure.js';
import { ObservedThrottle, observeQueue } from './ops/observe-store.js';
import { logStates } from './ops/state-log.js';
import { coreAdminRoutes } from './ops/admin/index.js';
import { buildPortability } from './ops/portability.js';
import { recordNetworks } from './core/portability.js';
import { createStore, type Store } from './store/index.js';
import type { RouteEntry } from './core/static-router.js';
import { ConfigReloader, type Reloader, type ReloadReport } from './ops/reload.js';
import { peerRoutes } from './ops/admin/peers.js';
import { reloadRoutes } from './ops/admin/reload.js';
import { apiKeyRoutes } from './ops/admin/api-keys.js';
import { consentRoutes } from './ops/admin/consent.js';
import { configuredPeers } from './peer-directory.js';
import { OutboundGuard } from './transport/outbound-guard.js';
import { QueuedSenderEvents } from './rest/webhooks/events.js';
import { outcomeEvents } from './core/sender-event-map.js';

/** Interfaces the gateway can listen on; one line is printed per listener. */
export type InterfaceName = 'mm1' | 'web' | 'mm7' | 'mm4' | 'mm3' | 'smpp' | 'ops';

export interface Listener {
  iface: InterfaceName;
  address: string;
  /** Said after the address on the startup line, e.g. "(loopback only)". */
  note?: string;
}

/**
 * Composition root: builds everything from the config, wires it, starts it, stops it in reverse order: the
 * store (Redis or embedded), the delivery workers with the subscriber policy, the ops listener, the edges
 * (MM1 and its web view, MM7 and REST, SMPP), and the route table of their entries (src/routes.ts). It holds
 * no policy: what to decide belongs to core or to an edge.
 */
export class Gateway {
  readonly metrics = new Metrics();
  readonly store: Store;
  /** The route table (src/routes.ts), filled once the edges are built; tests append stand-ins after it. */
  readonly router = new StaticRouter();
  readonly workers: WorkerPool;
  private readonly reportPump: ReportPump;
  /** The sender's events (webhooks): src/rest/webhooks/events.ts. */
  readonly events: QueuedSenderEvents;
  /** Content adaptation (issue 25): capabilities, the tools, once per (message, capability class). */
  readonly adaptation: AdaptationWiring;
  private readonly ops: OpsServer;
  private readonly mm7: Mm7Server | undefined;
  private readonly mm1: Mm1Server | undefined;
  /** Peer carriers' MM4 over SMTP (inbound; mm4.enabled). */
  private readonly mm4: Mm4Server | undefined;
  /** Routes to peer carriers (mm4.peers[].out), whose SMTP pools close on stop. */
  private readonly mm4Out: Mm4RouteEntry[] = [];
  /** E-mail over SMTP (mm3.enabled): the inbound listener and the route to the mail relay. */
  private readonly mm3: Mm3Server | undefined;
  private readonly mm3Relay: Mm3RelayRoute | undefined;
  /** The web view on its own listener (mm1.webViewPort), else undefined (the MM1 listener serves it). */
  private readonly webView: WebViewServer | undefined;
  /** Retrieval and web-view tokens (shared by every instance through mm1.tokenSecret). */
  readonly tokens: Tokens;
  readonly smpp: SmppEdge | undefined;
  private listeners: Listener[] = [];
  private stopping = false;
  private connecting: Promise<void> | undefined;
  /** Reload (src/ops/reload.ts): the config in force, and the reloaders that apply a new one live. */
  readonly reloads: ConfigReloader;
  /** Each edge's route entries, and the route table made of them (swapped whole by a reload). */
  private edgeRoutes: EdgeRoutes = {};
  private table: RouteEntry[] = [];

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    /** Where a reload reads the config again (`mmsc serve --config FILE`); unset: reload is refused. */
    options: {
      loadConfig?: () => Config;
      /** Issue 25's pieces replaced (tests): a resolver, handset memory, profile source or planner. */
      adaptation?: AdaptationOverrides;
      /**
       * Handset hints on MM1 (issue 25): where they are remembered, and the UAProf source that can mark
       * text-only. Unset: the gateway's own (the store's handset records, UAProf through the outbound guard).
       */
      handsets?: { memory: HandsetMemory; profiles?: ProfileSource };
    } = {},
  ) {
    const noSource = (): Config => {
      throw new Error('this gateway was not given a config source to reload from');
    };
    this.reloads = new ConfigReloader(config, options.loadConfig ?? noSource, log.child({ component: 'reload' }));
    // Certificates are read again on every reload: a renewed file keeps its name (certbot, cert-manager).
    this.onReload({
      name: 'tls certificates',
      keys: [],
      always: true,
      apply: () =>
        this.reloadTls().map((r) => (r.error ? `${r.iface}: certificate kept (${r.error})` : `${r.iface}: certificate reloaded`)),
    });
    this.ops = new OpsServer(
      this.metrics,
      log.child({ iface: 'ops' }),
      config.ops.tls ? { key: 'ops.tls', config: config.ops.tls } : undefined,
      { tokens: config.ops.tokens },
    );
    const store = createStore({ redis: config.redis, queue: config.queue }, log.child({ component: 'store' }));
    // Seen by the metrics (final states, dead letters, throttle waits) before any edge or worker takes them,
    // then logged (one line per state change). logStates answers `queue` from a proxy of its own: wrap first.
    store.queue = observeQueue(store.queue, this.metrics.flow);
    store.throttle = new ObservedThrottle(store.throttle, this.metrics.flow);
    this.store = logStates(store, log, { mask: config.log.maskNumbers });
    this.metrics.flow.storeDurable = () => ({ backend: this.store.backend, durable: this.store.durable });
    this.ops.addRoutes(coreAdminRoutes({ queue: this.store.queue, startedAt: Date.now() }));
    this.setStoreInfo();
    this.metrics.queueStats = () => this.store.queue.stats();
    this.metrics.storeUsage = this.store.usage;
    // The sender's events (webhooks, issue 24): queued to the REST callbacks, from the final events (the
    // report generator), delivery outcomes (queued, notified: below) and the REST routes (accepted ...).
    this.events = new QueuedSenderEvents({
      queue: this.store.queue,
      router: this.router,
      metrics: this.metrics,
      log: log.child({ component: 'events' }),
      retryForMs: config.api.webhookRetryForMs,
    });
    // Requests to URLs clients choose (REST callbacks, media by URL, UAProf documents) go through it: no SSRF
    // from inside the network.
    const guard = new OutboundGuard({ allow: config.outbound.allow });
    this.adaptation = buildAdaptation(
      config,
      {
        media: this.store.media,
        idempotency: this.store.idempotency,
        events: this.events,
        guard,
        metrics: this.metrics.content,
        log,
      },
      {
        ...(options.handsets ? { memory: options.handsets.memory } : {}),
        ...(options.handsets?.profiles ? { profiles: options.handsets.profiles } : {}),
        ...options.adaptation,
      },
    );
    const reports = new ReportGenerator({
      queue: this.store.queue,
      router: this.router,
      log: log.child({ component: 'reports' }),
      events: this.events,
    });
    const marketing = marketingStep({
      config,
      frequency: this.store.frequency,
      metrics: this.metrics,
      log,
      onReload: (r) => this.onReload(r),
    });
    this.workers = new WorkerPool({
      queue: this.store.queue,
      throttle: this.store.throttle,
      router: this.router,
      log: log.child({ component: 'workers' }),
      concurrency: config.queue.concurrency,
      retry: { baseMs: config.queue.retryBaseMs, factor: 2, maxMs: config.queue.retryMaxMs, jitter: 0.2 },
      resolve: thenResolve(
        subscriberPolicy({
          subscribers: this.store.subscribers,
          textRoute: (address) => this.smpp?.textRoute(address),
          exempt: isKeywordReply,
          consent: this.store.consent,
        }),
        marketing,
      ),
    });
    this.workers.on('outcome', (o) => {
      this.metrics.queueOutcomes.inc({ peer: o.job.peer, state: o.state });
      if (o.state !== 'retrying' && o.state !== 'notified' && o.state !== 'deferred') this.reportPump.notify();
    });
    this.workers.on('outcome', (o) => {
      for (const event of outcomeEvents(o, Date.now())) {
        this.events.emit(o.job.message, event).catch((err: unknown) => {
          log.warn({ err: errorFields(err), messageId: o.job.messageId, type: event.type }, 'sender event not queued');
        });
      }
    });
    this.reportPump = new ReportPump({ queue: this.store.queue, reports, log: log.child({ component: 'reports' }) });
    // Number portability (docs/portability.md): looked up at intake, before the route table's prefixes.
    const portability = buildPortability(config.portability, {
      table: this.store.porting,
      homeDomains: config.mm4.domains,
      peers: config.mm4.peers,
      metrics: this.metrics,
      log: log.child({ component: 'portability' }),
    });
    if (portability) this.router.prepareWith(recordNetworks(portability));
    this.tokens = mm1Tokens(config.mm1, log);
    const viewLink = viewLinkFor(config, this.tokens);
    const routes: EdgeRoutes = {};
    if (config.smpp.smscs.length > 0) {
      this.smpp = new SmppEdge({
        config: config.smpp,
        queue: this.store.queue,
        throttle: this.store.throttle,
        subscribers: this.store.subscribers,
        correlations: this.store.correlations,
        router: this.router,
        metrics: this.metrics,
        log: log.child({ iface: 'smpp' }),
        viewLink,
        storeAvailable: () => this.store.available(),
        consentKeywords: new ConsentKeywords({
          consent: this.store.consent,
          policy: (sender) => senderPolicy(this.reloads.config.consent.senders, sender),
          replies: () => this.reloads.config.smpp,
        }),
      });
      routes.smpp = smppRoutes(this.smpp);
      const smpp = this.smpp;
      this.onReload({ name: 'smsc connections', keys: ['smpp.smscs'], apply: (next) => smpp.reconfigure(next.smpp.smscs) });
    }
    // Every part of every submission (MM1, MM3, MM4, MM7, REST) is checked against its bytes (issue 25).
    const contentCheck: IntakeContentCheck = {
      allowedTypes: () => this.reloads.config.content.allowedTypes,
      refused: (iface, reason) => this.metrics.content.refusals.inc({ iface, reason }),
    };
    if (config.mm1.enabled) {
      warnNoPushBearer(config, log);
      const plan = new NumberPlan(config.mm1);
      const mm1Log = log.child({ iface: 'mm1' });
      const pusher = createPusher(config.mm1, { smpp: this.smpp, metrics: this.metrics, log: mm1Log });
      const notify = new NotifyRoute({
        config: config.mm1,
        tokens: this.tokens,
        pusher,
        textRoute: (address) => this.smpp?.textRoute(address),
        adapter: this.adaptation.adapter,
        metrics: this.metrics,
        log: mm1Log.child({ direction: 'out' }),
      });
      routes.mm1 = mm1Routes({ plan, notify, reports: new Mm1ReportRoute({ config: config.mm1, pusher, metrics: this.metrics }) });
      this.mm1 = new Mm1Server({
        config: config.mm1,
        queue: this.store.queue,
        throttle: this.store.throttle,
        router: this.router,
        reports,
        tokens: this.tokens,
        plan,
        portability,
        adapter: this.adaptation.adapter,
        metrics: this.metrics,
        log: mm1Log,
        onFinal: () => this.reportPump.notify(),
        contentCheck,
        handsets: { memory: this.adaptation.memory, profiles: this.adaptation.profiles, subscribers: this.store.subscribers },
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
    if (config.mm4.enabled) {
      this.mm4 = new Mm4Server({
        config: config.mm4,
        queue: this.store.queue,
        throttle: this.store.throttle,
        router: this.router,
        metrics: this.metrics,
        log: log.child({ iface: 'mm4' }),
        idempotency: this.store.idempotency,
        contentCheck,
        reports: new Mm4InboundReports({
          queue: this.store.queue,
          correlations: this.store.correlations,
          reports,
          router: this.router,
          metrics: this.metrics,
          log: log.child({ iface: 'mm4' }),
          ownDomain: config.mm4.domains[0] ?? 'mmsc',
          onFinal: () => this.reportPump.notify(),
        }),
      });
    }
    const ownDomain = config.mm4.domains[0];
    const outbound =
      ownDomain === undefined ? [] : config.mm4.peers.flatMap((p) => peerOutbound(p, ownDomain, (f) => readFileSync(f, 'utf8')) ?? []);
    if (ownDomain !== undefined && outbound.length > 0) {
      const { dkimDomain, dkimSelector, dkimKeyFile } = config.mm4;
      const deps = {
        ownDomain,
        log: log.child({ iface: 'mm4', direction: 'out' }),
        correlations: this.store.correlations,
        metrics: this.metrics,
        adapter: this.adaptation.adapter,
        ...(dkimDomain && dkimSelector && dkimKeyFile
          ? { dkim: { domainName: dkimDomain, keySelector: dkimSelector, privateKey: readFileSync(dkimKeyFile, 'utf8') } }
          : {}),
      };
      this.mm4Out = mm4Routes(outbound, deps);
      // Reports and RES to a peer first, then forwards by prefix.
      routes.mm4 = [...mm4ReplyRoutes(this.mm4Out), ...this.mm4Out];
    }
    if (config.mm7.enabled) {
      const vaspLog = log.child({ iface: 'mm7', direction: 'out' });
      routes.mm7 = vaspRoutes({ config: config.mm7, metrics: this.metrics, log: vaspLog, guard });
      this.mm7 = new Mm7Server({
        config: config.mm7,
        queue: this.store.queue,
        throttle: this.store.throttle,
        router: this.router,
        metrics: this.metrics,
        log: log.child({ iface: 'mm7' }),
        guard,
        idempotency: this.store.idempotency,
        contentCheck,
        restServices: senderApiServices({
          config: this.reloads.config,
          stores: this.store,
          events: this.events,
          guard,
          metrics: this.metrics,
          log: this.log,
        }),
        screen: consentScreen({
          consent: this.store.consent,
          enabled: () => this.reloads.config.consent.marketingNeedsOptIn,
          refused: (iface) => this.metrics.consentRefusals.inc({ iface }),
          log: log.child({ component: 'consent' }),
        }),
      });
      this.reloads.register(this.vaspReloader(this.mm7, guard));
    }
    if (config.mm3.enabled) {
      const mm3Log = log.child({ iface: 'mm3' });
      this.mm3Relay = new Mm3RelayRoute(config.mm3, { metrics: this.metrics, log: mm3Log.child({ direction: 'out' }) });
      routes.mm3 = mm3Routes(this.mm3Relay);
      this.mm3 = new Mm3Server({
        config: config.mm3,
        queue: this.store.queue,
        throttle: this.store.throttle,
        router: this.router,
        metrics: this.metrics,
        log: mm3Log,
        contentCheck,
      });
    }
    // The edges route only once they run (requests, MO texts, workers): the table is complete by then.
    this.edgeRoutes = routes;
    this.table = routeTable(routes);
    this.router.append(this.table);
    // The admin API's peers and reload (the core routes, messages and dead letters, are added with the store).
    this.ops.addRoutes(
      peerRoutes({
        queue: this.store.queue,
        peers: () => configuredPeers(this.reloads.config),
        link: (id) => {
          const bound = id.startsWith('smpp:') ? this.smpp?.bound(id.slice('smpp:'.length)) : undefined;
          return bound === undefined ? undefined : { bound };
        },
        log: log.child({ component: 'admin' }),
      }),
      reloadRoutes({ reload: () => this.reload() }),
      // issue 24: each account's API keys and their last-used times
      apiKeyRoutes({ vasps: () => this.reloads.config.mm7.vasps, activity: this.store.apiKeyActivity }),
    );
    // The consent policies are read where they are used (this.reloads.config), so a reload applies them at once.
    this.onReload({
      name: 'consent policies',
      keys: ['consent.senders', 'consent.marketingNeedsOptIn', 'consent.importMaxBytes'],
      apply: () => ['consent: keywords, opt-in enforcement and import limit in force from now'],
    });
    // The consent registry (issue 24): lookup, CSV export and import.
    this.ops.addRoutes(
      consentRoutes({
        consent: this.store.consent,
        importMaxBytes: () => this.reloads.config.consent.importMaxBytes,
        log: log.child({ component: 'admin' }),
      }),
    );
    this.metrics.flow.peerStats = () => this.store.queue.peerStats();
    this.metrics.flow.reportsPending = () => this.store.queue.reportsPending();
  }

  /**
   * Read the config again and apply what can change live (src/ops/reload.ts): SIGHUP and POST /admin/reload.
   * Other reloaders (the listeners' certificates) plug in with onReload.
   */
  reload(): Promise<ReloadReport> {
    return this.reloads.reload();
  }

  onReload(reloader: Reloader): void {
    this.reloads.register(reloader);
  }

  /** mm7.vasps live: the accounts (credentials, allowIps, rates, limits) and the routes to VASPs (urls, short codes). */
  private vaspReloader(mm7: Mm7Server, guard: OutboundGuard): Reloader {
    return {
      name: 'mm7 accounts',
      keys: ['mm7.vasps'],
      apply: (next) => {
        const log = this.log.child({ iface: 'mm7', direction: 'out' });
        const entries = vaspRoutes({ config: next.mm7, metrics: this.metrics, log, guard });
        mm7.setVasps(next.mm7.vasps); // throws on a duplicate id: nothing changed then
        this.swapRoutes({ ...this.edgeRoutes, mm7: entries });
        return [`mm7.vasps: ${next.mm7.vasps.length} accounts in force, and their routes`];
      },
    };
  }

  /** A reload's new route entries, in place of the old table (entries tests appended after it stay). */
  private swapRoutes(routes: EdgeRoutes): void {
    const table = routeTable(routes);
    this.router.replace(this.table, table);
    this.edgeRoutes = routes;
    this.table = table;
  }

  async start(): Promise<Listener[]> {
    // The ops listener comes first, so that health and metrics answer while the store connects.
    const address = await this.ops.listen(this.config.ops.host, this.config.ops.port);
    this.listeners.push({ iface: 'ops', address, ...opsExposure(this.config.ops, this.log) });
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
    if (this.mm4) {
      const mm4 = await this.mm4.listen(this.config.mm4.host, this.config.mm4.port);
      this.listeners.push({ iface: 'mm4', address: mm4 });
      this.log.info({ iface: 'mm4', address: mm4, peers: this.config.mm4.peers.length, domains: this.config.mm4.domains }, 'listening');
    }
    if (this.mm3) {
      const mm3 = await this.mm3.listen(this.config.mm3.host, this.config.mm3.port);
      this.listeners.push({ iface: 'mm3', address: mm3 });
      this.log.info({ iface: 'mm3', address: mm3, domain: this.config.mm3.domain, relays: this.config.mm3.relays }, 'listening');
    }
    if (this.smpp) {
      for (const address of this.smpp.addresses) {
        this.listeners.push({ iface: 'smpp', address });
        this.log.info({ iface: 'smpp', address }, 'SMSC connection');
      }
    }
    // ffmpeg looked for (a process run): its encoders in one log line; until then audio and video are no-tool.
    await this.adaptation.av.detect(this.config.content, { log: this.log, metrics: this.metrics.content });
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
        this.log.warn({ err: errorFields(err), attempt }, 'store not reachable; retrying');
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

  /**
   * Every HTTPS listener's certificate and key read again (SIGHUP): new handshakes get them, open connections
   * keep theirs. A listener whose files do not make a key and certificate keeps the ones it has (logged).
   */
  reloadTls(): { iface: InterfaceName; error?: string }[] {
    const done: { iface: InterfaceName; error?: string }[] = [];
    const each: [InterfaceName, { reloadTls(): void } | undefined, unknown][] = [
      ['ops', this.ops, this.config.ops.tls],
      ['mm1', this.mm1, this.config.mm1.tls],
      ['web', this.webView, this.config.mm1.webViewTls],
      ['mm7', this.mm7, this.config.mm7.tls],
    ];
    for (const [iface, server, tls] of each) {
      if (!server || tls === undefined) continue;
      try {
        server.reloadTls();
        done.push({ iface });
        this.log.info({ iface }, 'TLS certificate reloaded');
      } catch (err) {
        done.push({ iface, error: (err as Error).message });
        this.log.error({ iface, err: errorFields(err) }, 'TLS certificate not reloaded: the previous one stays');
      }
    }
    return done;
  }

  /** Graceful stop: not ready, edges stop accepting, workers finish or give back what they hold, store closed, ops last. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.ops.ready = () => false;
    await this.mm7?.close();
    await this.mm1?.close();
    await this.mm4?.close();
    await this.mm3?.close();
    await this.webView?.close();
    await this.workers.stop();
    this.adaptation.image.close();
    for (const r of this.mm4Out) r.peerRoute.close();
    await this.reportPump.stop();
    await this.smpp?.close();
    this.mm3Relay?.close();
    await this.store.close();
    await this.ops.close();
    this.log.info('stopped');
  }
}
