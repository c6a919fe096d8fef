import type { SMTPServerError } from 'smtp-server';
import type { Mm4ForwardHead, Mm4ForwardReq } from '../../protocols/mm4/index.js';
import type { Intake } from '../core/intake.js';
import { newMessageId } from '../core/message-id.js';
import type { Queue } from '../core/ports.js';
import { Refusal } from '../core/refusals.js';
import type { Mm4Config, Mm4PeerConfig } from '../ops/config.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import type { ForwardClaim, ForwardDuplicates } from './duplicates.js';
import { ForwardStage } from './forward-stage.js';
import { forwardSubmission } from './inbound-forward.js';
import type { Mm4InboundReports } from './inbound-reports.js';

/** How long a forward's stage outlives mm4.dataTimeoutMs if this process dies before it is enqueued or discarded. */
const STAGE_GRACE_MS = 5 * 60_000;

export interface ForwardReceiverOptions {
  config: Mm4Config;
  queue: Queue;
  intake: Intake;
  metrics: Metrics;
  /** Undefined: repeats are not recognised. */
  duplicates: ForwardDuplicates | undefined;
  reports: Mm4InboundReports | undefined;
  now: (() => number) | undefined;
  /** A refusal as the listener's SMTP reply, counted. */
  answer: (command: string, refusal: Refusal) => SMTPServerError;
}

/**
 * The MM4 listener's MM4_forward.REQ (3GPP TS 23.140 §8.4.1.1), from its header fields to its 250: the id it
 * is stored under (a repeat's: ForwardDuplicates), the content stage its parts stream into (ForwardStage),
 * the core intake, and the stage and claim let go when it is not stored.
 */
export class ForwardReceiver {
  constructor(private readonly o: ForwardReceiverOptions) {}

  /**
   * Once a forward's header fields are read: the id it is to be stored under (claimed against its
   * X-Mms-Message-ID), and where its parts go: a stage under that id, or nowhere for a repeat whose first copy
   * is stored (answered with that copy's id) or when the claim could not be checked.
   */
  async stageFor(head: Mm4ForwardHead, peer: Mm4PeerConfig, rcptTo: readonly string[]): Promise<ForwardStage> {
    let claim: ForwardClaim | undefined;
    try {
      claim = await this.claim(head, peer, rcptTo);
      if (claim?.repeat && (await this.o.queue.message(claim.messageId))) return ForwardStage.repeat(claim);
    } catch (err) {
      return ForwardStage.failed(err);
    }
    const id = claim?.messageId ?? newMessageId((this.o.now ?? Date.now)());
    return ForwardStage.staged(this.o.queue.stage(id, this.o.config.dataTimeoutMs + STAGE_GRACE_MS), claim);
  }

  async forward(
    req: Mm4ForwardReq,
    staged: ForwardStage,
    peer: Mm4PeerConfig,
    rcptTo: string[],
    log: Logger,
  ): Promise<string | SMTPServerError> {
    const c = this.o.config;
    const type = req.type;
    const claim = staged.claim;
    if (staged.kind === 'failed') {
      log.error({ err: staged.error }, 'mm4 forward: its X-Mms-Message-ID could not be checked');
      this.o.metrics.mm4Messages.inc({ peer: peer.id, type, result: 'store-unavailable' });
      return this.o.answer('DATA', new Refusal('store-unavailable'));
    }
    if (staged.kind === 'repeat') {
      log.info({ messageId: staged.messageId, mm4MessageId: req.messageId }, 'mm4 forward repeated: answered with the first message id');
      try {
        // Acknowledged again: a repeat with its own Transaction-ID gets its own MM4_forward.RES (§8.4.1.2).
        await this.o.reports?.forwardStored(req, peer, staged.messageId, log);
      } catch (err) {
        log.error({ err }, 'mm4 forward: its X-Mms-Message-ID could not be checked');
        this.o.metrics.mm4Messages.inc({ peer: peer.id, type, result: 'store-unavailable' });
        return this.o.answer('DATA', new Refusal('store-unavailable'));
      }
      this.o.metrics.mm4Messages.inc({ peer: peer.id, type, result: 'duplicate' });
      this.o.metrics.mm4Commands.inc({ command: 'DATA', reply: '250' });
      return `2.6.0 queued as ${staged.messageId}`;
    }
    // A repeat whose first copy is not stored (yet: in progress elsewhere, or it failed) is stored under the
    // first copy's id: the queue stores an id once.
    if (claim?.repeat)
      log.info({ messageId: claim.messageId, mm4MessageId: req.messageId }, 'mm4 forward repeated before the first was stored');
    const r = await this.o.intake.submit({
      from: { kind: 'carrier', id: peer.id },
      messageId: staged.messageId,
      throttle: { limits: { rate: peer.rate, burst: peer.burst, maxInFlight: peer.maxInFlight }, slotMs: c.dataTimeoutMs },
      unroutable: 'refuse',
      build: (id, now) => {
        const ctx = { peer: peer.id, rcptTo, lifetime: { defaultMs: c.defaultExpiryMs, maxMs: c.maxExpiryMs } };
        const sub = forwardSubmission(req, ctx, id, now, staged.stage);
        staged.taken = sub.content === staged.stage;
        return sub;
      },
    });
    if (!r.ok) {
      staged.taken = false; // the finally of readAndHandle discards the stage and releases the claim
      this.o.metrics.mm4Messages.inc({ peer: peer.id, type, result: r.refusal.code });
      return this.o.answer('DATA', r.refusal);
    }
    staged.stored = true;
    log.info({ messageId: r.messageId, mm4MessageId: req.messageId, recipients: r.recipients }, 'mm4 forward accepted');
    await this.o.reports?.forwardStored(req, peer, r.messageId, log);
    this.o.metrics.mm4Messages.inc({ peer: peer.id, type, result: 'accepted' });
    this.o.metrics.mm4Commands.inc({ command: 'DATA', reply: '250' });
    return `2.6.0 queued as ${r.messageId}`;
  }

  /**
   * A forward answered: its stage is dropped unless the queue took it, and when it was not stored (refused,
   * malformed, over a limit, cut, store error) its X-Mms-Message-ID is released, so that a retry is taken as new.
   */
  async unstage(staged: ForwardStage, log: Logger): Promise<void> {
    if (staged.kind !== 'stage') return;
    // Stored from the parts' bodies (a single-part body is not streamed): the stage was not used.
    await staged.discard().catch((err: unknown) => log.warn({ err }, 'mm4 forward: its stage could not be discarded'));
    if (!staged.stored && staged.claim && this.o.duplicates)
      await this.o.duplicates
        .release(staged.claim)
        .catch((err: unknown) => log.warn({ err }, 'mm4 forward: its record could not be released'));
  }

  /** The id to store a forward under, recorded against its X-Mms-Message-ID; undefined when repeats are not recognised. */
  private claim(req: Mm4ForwardHead, peer: Mm4PeerConfig, rcptTo: readonly string[]): Promise<ForwardClaim> | undefined {
    return this.o.duplicates?.claim(peer.id, req, rcptTo, newMessageId((this.o.now ?? Date.now)()));
  }
}
