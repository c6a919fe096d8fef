import { isShortCode, normaliseE164 } from '../../protocols/address/index.js';
import { decodeShortMessage, SmsError } from '../../protocols/sms/index.js';
import { Intake, type IntakeResult } from '../core/intake.js';
import { parseJobId, type CoreMessage, type Party } from '../core/message.js';
import { buildMessage, textPart } from '../core/message-builder.js';
import { Refusal } from '../core/refusals.js';
import type { Router } from '../core/router.js';
import type { Config, SmscConfig } from '../ops/config.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import { StoreUnavailableError, type CorrelationStore, type Queue, type SubscriberStore, type Throttle } from '../core/ports.js';
import { SmppClient, type DeliverSm, type Receipt } from './client.js';
import { keywordOf } from './keywords.js';
import { type ConsentKeywords, moProof } from './consent-keywords.js';
import { PushSender } from './push-sender.js';
import { receiptKey } from './receipts.js';
import { TextSmsRoute } from './text-route.js';

/** Origin peer of the texts the gateway writes itself (keyword confirmations): never refused by an opt-out. */
export const KEYWORD_REPLY_PEER = 'keywords';

/** A text the gateway wrote itself (a STOP/START confirmation): sent by SMS whatever the subscriber's flags. */
export function isKeywordReply(m: CoreMessage): boolean {
  return m.origin.iface === 'smpp' && m.origin.peer === KEYWORD_REPLY_PEER;
}

/** A receipt whose submit is not known yet is looked up this many more times, this far apart. */
const RECEIPT_LOOKUPS = 4;
const RECEIPT_LOOKUP_PAUSE_MS = 250;
/** How long an MO text or a confirmation is tried. */
const SMS_EXPIRY_MS = 86_400_000;

/** One SMSC connection of the edge: its config entry, client, text route and push sender. */
interface Smsc {
  smsc: SmscConfig;
  client: SmppClient;
  prefixes: string[];
  route: TextSmsRoute;
  push: PushSender;
}

export interface SmppEdgeOptions {
  config: Config['smpp'];
  queue: Queue;
  /** The inbound throttles core intake holds (MO texts take none today). */
  throttle: Throttle;
  subscribers: SubscriberStore;
  correlations: CorrelationStore;
  /** The gateway's route table, for MO texts (whose destination may be a VASP's short code). */
  router: Router;
  metrics: Metrics;
  log: Logger;
  /** The web-view link of a message, for the text fallback. */
  viewLink: (messageId: string) => string;
  /** Whether the store can be reached now (Store.available); default always. */
  storeAvailable?: () => boolean;
  /** Keywords per sender and the consent registry (issue 24): STOP/START per short code, HELP, double opt-in. */
  consentKeywords?: ConsentKeywords;
}

/**
 * The SMPP side of the gateway: one client per SMSC, the text-SMS routes (by destination prefix, longest
 * first), delivery receipts noted in the history of the job they belong to, and MO texts: STOP/START
 * update the subscriber's opt-out and are confirmed by SMS; other texts go into the queue as messages to
 * their destination address (a VASP short code gets them as MM7 DeliverReq), or are dropped and counted.
 */
export class SmppEdge {
  readonly clients: SmppClient[] = [];
  /** The SMSC connections in config order (reconfigure replaces the list). */
  private smscs: Smsc[] = [];
  private routes: readonly { prefixes: string[]; route: TextSmsRoute; push: PushSender }[] = [];
  private started = false;
  /** How an MO text is accepted (core/intake.ts): routed, stored, and only then answered ESME_ROK. */
  private readonly intake: Intake;

  constructor(private readonly o: SmppEdgeOptions) {
    this.intake = new Intake({ queue: o.queue, throttle: o.throttle, router: o.router, log: o.log });
    for (const smsc of o.config.smscs) this.smscs.push(this.connection(smsc));
    this.sync();
  }

  /** One SMSC: its client, and its text route and push sender (not started). */
  private connection(smsc: SmscConfig): Smsc {
    const o = this.o;
    const storeUp = (): void => {
      if (o.storeAvailable && !o.storeAvailable()) throw new StoreUnavailableError();
    };
    const log = this.o.log.child({ smsc: smsc.id });
    const client = new SmppClient({
      id: smsc.id,
      host: smsc.host,
      port: smsc.port,
      systemId: smsc.systemId,
      password: smsc.password,
      ...(smsc.systemType !== undefined ? { systemType: smsc.systemType } : {}),
      bindMode: smsc.bindMode,
      window: smsc.window,
      enquireLinkMs: smsc.enquireLinkMs,
      log,
      metrics: this.o.metrics,
      // An MO is answered once stored: one the store refuses (full, or unreachable: refused before it is
      // read, so that a STOP is not lost either) is answered ESME_RX_T_APPN and the SMSC delivers it
      // again, as the other edges answer "try later".
      onMo: async (m) => {
        try {
          storeUp();
        } catch (err) {
          throw notStored(err);
        }
        await this.mo(smsc.id, m);
      },
    });
    // A receipt is answered before its handler runs: while the store cannot be reached, the listener
    // throws, so that the client answers ESME_RX_T_APPN and the SMSC delivers it again later (SMPP 3.4
    // §5.1.3) instead of it being acknowledged and lost (an MO waits for onMo, above). The handler settles
    // its own errors; the catch keeps an unexpected one from ending the process.
    client.on(
      'receipt',
      (r) => (storeUp(), void this.receipt(smsc.id, r).catch((err: unknown) => log.error({ err }, 'receipt handler failed'))),
    );
    return {
      smsc,
      client,
      prefixes: smsc.prefixes,
      route: new TextSmsRoute(smsc, client, o.correlations, { viewLink: o.viewLink, log }),
      push: new PushSender(smsc, client, { correlations: o.correlations, log }),
    };
  }

  /** clients and routes as the SMSC list is now (config order). */
  private sync(): void {
    this.clients.length = 0;
    this.clients.push(...this.smscs.map((c) => c.client));
    this.routes = this.smscs;
  }

  /**
   * A reload's SMSC list (smpp.smscs): connections added are bound, removed ones unbound and closed, changed
   * ones (any field) replaced by a new connection; unchanged ones keep their binds. Returns what it did.
   */
  async reconfigure(smscs: readonly SmscConfig[]): Promise<string[]> {
    const old = new Map(this.smscs.map((c) => [c.smsc.id, c]));
    const next: Smsc[] = [];
    const done: string[] = [];
    const closing: Smsc[] = [];
    for (const smsc of smscs) {
      const had = old.get(smsc.id);
      old.delete(smsc.id);
      if (had && JSON.stringify(had.smsc) === JSON.stringify(smsc)) {
        next.push(had);
        continue;
      }
      const conn = this.connection(smsc);
      if (this.started) conn.client.start();
      next.push(conn);
      if (had) closing.push(had);
      done.push(`smpp.smscs[${smsc.id}]: ${had ? 'reconnected with its new settings' : 'added, binding'}`);
    }
    for (const [id, gone] of old) {
      closing.push(gone);
      done.push(`smpp.smscs[${id}]: unbound and removed`);
    }
    this.smscs = next;
    this.sync();
    await Promise.all(closing.map((c) => c.client.close()));
    return done;
  }

  /** Whether this instance is bound to the SMSC `id` now (the admin API's peers); undefined for no such SMSC. */
  bound(id: string): boolean | undefined {
    return this.smscs.find((c) => c.smsc.id === id)?.client.bound;
  }

  /** Listener lines: one per SMSC. */
  get addresses(): string[] {
    return this.smscs.map(({ smsc: s }) => `smpp://${s.host}:${s.port} (${s.id}, ${s.bindMode})`);
  }

  start(): void {
    this.started = true;
    for (const c of this.clients) c.start();
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
  }

  /** The text route for an address: the SMSC whose prefix matches longest ('' and [] match anything). */
  textRoute(address: string): TextSmsRoute | undefined {
    return this.smscFor(address)?.route;
  }

  /** The WAP push sender (MMS notifications) for an address, by the same prefix rule. */
  pushSender(address: string): PushSender | undefined {
    return this.smscFor(address)?.push;
  }

  private smscFor(address: string): { route: TextSmsRoute; push: PushSender } | undefined {
    let best: { len: number; entry: { route: TextSmsRoute; push: PushSender } } | undefined;
    for (const entry of this.routes) {
      const lens = entry.prefixes.length === 0 ? [0] : entry.prefixes.filter((p) => address.startsWith(p)).map((p) => p.length);
      for (const len of lens) if (!best || len > best.len) best = { len, entry };
    }
    return best?.entry;
  }

  private async receipt(smscId: string, r: Receipt): Promise<void> {
    const log = this.o.log.child({ smsc: smscId, smscMessageId: r.messageId });
    try {
      // A fast SMSC's receipt can arrive before the submit_sm_resp's correlation is written: look again.
      let job = await this.o.correlations.get(receiptKey(smscId, r.messageId));
      for (let i = 0; job === undefined && i < RECEIPT_LOOKUPS; i++) {
        await new Promise((resolve) => setTimeout(resolve, RECEIPT_LOOKUP_PAUSE_MS));
        job = await this.o.correlations.get(receiptKey(smscId, r.messageId));
      }
      this.o.metrics.smppReceipts.inc({ state: receiptStateLabel(r.state), matched: String(job !== undefined) });
      if (!job) {
        log.info({ state: r.state }, 'receipt for no message of ours (or one past its retention)');
        return;
      }
      const { messageId, recipientIndex } = parseJobId(job);
      const err = r.error !== undefined && r.error !== '' && r.error !== '000' ? ` err ${r.error}` : '';
      await this.o.queue.note(messageId, recipientIndex, `SMSC ${smscId} receipt ${r.messageId}: ${r.state}${err}`);
      log.debug({ messageId, state: r.state }, 'receipt noted');
    } catch (err) {
      log.warn({ err }, 'receipt not recorded');
    }
  }

  private async mo(smscId: string, d: DeliverSm): Promise<void> {
    const log = this.o.log.child({ smsc: smscId });
    let text: string;
    try {
      const decoded = decodeShortMessage(d.messagePayload ?? d.shortMessage, { dataCoding: d.dataCoding, udhi: (d.esmClass & 0x40) !== 0 });
      if (decoded.kind !== 'text') {
        this.o.metrics.smppMo.inc({ outcome: 'binary' });
        log.info({ dataCoding: d.dataCoding }, 'binary MO dropped');
        return;
      }
      text = decoded.text;
    } catch (err) {
      if (!(err instanceof SmsError)) throw err;
      this.o.metrics.smppMo.inc({ outcome: 'unreadable' });
      log.info({ code: err.code, detail: err.message }, 'MO not readable; dropped');
      return;
    }
    const to = d.destinationAddr.trim();
    let from: Party;
    let keyword: ReturnType<typeof keywordOf>;
    try {
      from = subscriberOf(d.sourceAddr, d.sourceAddrTon);
      const join = this.o.consentKeywords?.joinKeywords(to) ?? [];
      keyword = keywordOf(text, this.o.config.stopKeywords, [...this.o.config.startKeywords, ...join]);
    } catch (err) {
      return this.moFailed(err, log);
    }
    if (keyword) {
      try {
        await this.o.subscribers.setOptedOut(from.address, keyword === 'stop');
        this.o.metrics.smppMo.inc({ outcome: keyword });
        log.info({ subscriber: from.address, keyword }, keyword === 'stop' ? 'subscriber opted out' : 'subscriber opted back in');
        let reply = keyword === 'stop' ? this.o.config.stopReply : this.o.config.startReply;
        // The registry too, for the sender the MO was sent to (its short code), the MO as proof.
        const ck = this.o.consentKeywords;
        const proof = moProof(text, from.address, to, smscId);
        if (ck && keyword === 'stop') await ck.stop(to, from.address, proof);
        else if (ck) reply = await ck.start(to, from.address, proof);
        if (reply !== '')
          await this.enqueueText({ address: to, type: isShortCode(to) ? 'shortcode' : 'other' }, from, reply, KEYWORD_REPLY_PEER);
        return;
      } catch (err) {
        // Not stored (the store is full or cannot be reached): the deliver_sm is answered ESME_RX_T_APPN, and
        // the SMSC delivers it again later. (An opt-out already recorded is recorded again: no harm.)
        return this.moNotStored(err, from, log);
      }
    }
    // HELP, and YES to a pending double opt-in, are answered here (the sender's policy).
    try {
      const handled = await this.o.consentKeywords?.other(to, from.address, text, moProof(text, from.address, to, smscId));
      if (handled) {
        this.o.metrics.smppMo.inc({ outcome: handled.outcome });
        log.info({ subscriber: from.address, sender: to, keyword: handled.outcome }, 'consent keyword answered');
        if (handled.reply !== '')
          await this.enqueueText({ address: to, type: isShortCode(to) ? 'shortcode' : 'other' }, from, handled.reply, KEYWORD_REPLY_PEER);
        return;
      }
    } catch (err) {
      return this.moNotStored(err, from, log);
    }
    // Any other text is a message to its destination address, accepted as every edge accepts one (not
    // throttled: the SMSC paces its MOs). One no route reaches is refused by the intake and acknowledged
    // here, dropped: an SMSC cannot tell the sender, and an error status would only bring it again.
    const dest: Party = { address: to, type: isShortCode(to) ? 'shortcode' : 'plmn' };
    let result: IntakeResult;
    try {
      result = await this.intake.submit({
        from: { kind: 'smsc', id: smscId },
        unroutable: 'refuse',
        build: (id, now) => ({
          message: textMessage(from, dest, text, { iface: 'smpp', peer: smscId }, id, now),
          content: [Buffer.from(text, 'utf8')],
        }),
      });
    } catch (err) {
      return this.moFailed(err, log);
    }
    if (result.ok) {
      this.o.metrics.smppMo.inc({ outcome: 'routed' });
      return;
    }
    if (result.refusal.code === 'unroutable') {
      this.o.metrics.smppMo.inc({ outcome: 'unrouted' });
      log.info({ to }, 'MO text to an address with no route; dropped');
      return;
    }
    // Only the store's refusals (full, unreachable) are answered ESME_RX_T_APPN.
    return this.moNotStored(result.refusal, from, log);
  }

  /** A fault in our own handling, not the store's: a redelivery would fail the same way, for ever. */
  private moFailed(err: unknown, log: Logger): void {
    this.o.metrics.smppMo.inc({ outcome: 'failed' });
    log.error({ err }, 'MO could not be handled; acknowledged and dropped');
  }

  /**
   * Not stored: thrown as a Refusal, so that the deliver_sm is answered its entry's ESME status
   * (store-unavailable: ESME_RX_T_APPN) and the SMSC delivers it again later.
   */
  private moNotStored(err: unknown, from: Party, log: Logger): never {
    this.o.metrics.smppMo.inc({ outcome: 'retry' });
    log.warn({ err, from: from.address }, 'MO not stored; the SMSC is asked to deliver it again');
    throw err instanceof Refusal ? err : notStored(err);
  }

  /** A text the gateway sends itself, through the queue like any message (retried, throttled). */
  private async enqueueText(from: Party, to: Party, text: string, peer: string): Promise<void> {
    const message = textMessage(from, to, text, { iface: 'smpp', peer });
    const route = this.textRoute(to.address);
    if (!route) {
      this.o.log.warn({ to: to.address }, 'no SMSC serves this address: confirmation not sent');
      return;
    }
    await this.o.queue.enqueue(message, [Buffer.from(text, 'utf8')], [route.peer]);
  }
}

/** A store failure as the MO's refusal: the SMSC is answered its entry's ESME status and delivers the MO again. */
function notStored(err: unknown): Refusal {
  const refusal = new Refusal('store-unavailable', err instanceof Error ? err.message : String(err));
  refusal.cause = err;
  return refusal;
}

/** A short message's text as a message (an MO, or a text the gateway writes): one UTF-8 part, kept a day. */
function textMessage(from: Party, to: Party, text: string, origin: CoreMessage['origin'], id?: string, now = Date.now()): CoreMessage {
  return buildMessage({
    id,
    now,
    originator: from,
    recipients: [{ ...to, kind: 'to' }],
    origin,
    parts: [textPart(text)],
    lifetime: { defaultMs: SMS_EXPIRY_MS },
  });
}

/** An MO source address as a subscriber: TON 1 (international) or a '+' gives +E.164; else kept as sent. */
function subscriberOf(addr: string, ton: number): Party {
  const a = addr.trim();
  try {
    if (ton === 1 || a.startsWith('+')) return { address: normaliseE164(a.startsWith('+') ? a : `+${a}`), type: 'plmn' };
  } catch {
    // fall through: kept as sent
  }
  return { address: a, type: 'other' };
}

/**
 * The receipt states of SMPP 3.4 Appendix B (`stat:` of the receipt text): anything else an SMSC writes
 * there is counted `OTHER`, so that a label value never comes from free text.
 */
const RECEIPT_STATES: ReadonlySet<string> = new Set([
  'DELIVRD',
  'EXPIRED',
  'DELETED',
  'UNDELIV',
  'ACCEPTD',
  'UNKNOWN',
  'REJECTD',
  'ENROUTE',
]);

export function receiptStateLabel(state: string): string {
  const s = String(state).toUpperCase();
  return RECEIPT_STATES.has(s) ? s : 'OTHER';
}
